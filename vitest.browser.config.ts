// `npm run test:browser`: the compiled controller in headless Chromium (test/browser/), apart from
// `npm test` (it needs Debian's chromium). The main config's `**/*.test.ts` never matches these
// `*.browser.ts` files.
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "mpcrl/runtime": `${root}runtime/index.ts`,
      "mpcrl/language": `${root}language/index.ts`,
      "mpcrl/compiler": `${root}compiler/index.ts`,
    },
  },
  test: {
    include: ["test/browser/**/*.browser.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
