import { packageVitestConfig } from "../../vitest.package.ts";

export default packageVitestConfig({
  include: ["src/**/*.test.ts"],
  // the package test's setup builds, packs and installs every public package
  hookTimeout: 240_000,
});
