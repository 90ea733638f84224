import { defineConfig } from "vitest/config";

// Three projects so a developer can run the fast ones alone: `npx vitest --project unit`.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"] } },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 180_000 } },
      // Faults and hostile input, bounded in count and time (docs/reliability.md reports the counts).
      {
        extends: true,
        test: { name: "reliability", include: ["test/reliability/**/*.test.ts"], testTimeout: 300_000 },
      },
    ],
  },
});
