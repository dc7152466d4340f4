import { packageVitestConfig } from "../../vitest.package.ts";

export default packageVitestConfig();
