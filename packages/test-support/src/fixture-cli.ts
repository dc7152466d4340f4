// fixture-cli.ts NAME… - print the path of each fixture, generating it first when it is a
// generated one that is not cached yet (tools/peers/fixture.sh runs this).
import { ensureFixture } from "./fixtures.js";

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error("usage: fixture-cli.ts NAME...");
  process.exit(2);
}
for (const name of names) console.log(await ensureFixture(name));
