import { packageVitestConfig } from "../../vitest.package.ts";

export default packageVitestConfig({ include: ["src/**/*.test.ts"] });
