// test-summary.mjs - add up the vitest JSON reports of every package (written by each package's
// `test` script to .vitest-report.json) and print one closing line: "N passed, N failed".
// Exits non-zero when a report is missing or a test failed, so CI cannot pass on no tests.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of ["packages", "apps"]) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    if (!existsSync(join(dir, "package.json"))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    if (pkg.scripts?.test === undefined) continue;
    const report = join(dir, ".vitest-report.json");
    if (!existsSync(report)) {
      missing.push(pkg.name);
      continue;
    }
    const r = JSON.parse(readFileSync(report, "utf8"));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(
      `${pkg.name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`,
    );
  }
}
for (const m of missing) console.log(`${m}: no test report (did its tests run?)`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
