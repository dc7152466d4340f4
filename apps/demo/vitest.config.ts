import { packageVitestConfig } from "../../vitest.package.ts";

export default packageVitestConfig({
  testTimeout: 120_000,
  // the end-to-end runs share the machine: one file at a time keeps their timing honest
  fileParallelism: false,
});
