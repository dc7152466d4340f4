import { packageVitestConfig } from "../../vitest.package.ts";

export default packageVitestConfig({
  testTimeout: 150_000,
  // the cluster runs share the machine: one file at a time keeps their timing honest
  fileParallelism: false,
});
