import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@framewire/source"] },
  ssr: { resolve: { conditions: ["@framewire/source"] } },
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
    // the package test's setup builds, packs and installs every public package
    hookTimeout: 240_000,
  },
});
