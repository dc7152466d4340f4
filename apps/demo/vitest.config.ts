import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@framewire/source"] },
  ssr: { resolve: { conditions: ["@framewire/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // the end-to-end runs share the machine: one file at a time keeps their timing honest
    fileParallelism: false,
  },
});
