// The one vitest configuration of the workspace's packages: tests read src/ through the
// `@framewire/source` condition, tests live beside the code (src/) and in test/, and a
// package changes only what differs (a longer timeout, one file at a time, src/ only).
import { defineConfig, type ViteUserConfig } from "vitest/config";

type TestOptions = NonNullable<ViteUserConfig["test"]>;

/** packageVitestConfig is a package's vitest.config.ts: the shared settings with `test` on top. */
export function packageVitestConfig(test: TestOptions = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ["@framewire/source"] },
    ssr: { resolve: { conditions: ["@framewire/source"] } },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      ...test,
    },
  });
}
