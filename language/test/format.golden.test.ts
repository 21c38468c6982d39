// Formatter golden tests: every `fixtures/format/NAME.mpcrl` formatted must equal
// `NAME.formatted` (matrix layout, aligned comments). `UPDATE_GOLDEN=1` rewrites the expected
// files. (golden.test.ts also checks these fixtures: their diagnostics are in `NAME.expected`.)

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { format } from "../index.js";

const dir = fileURLToPath(new URL("./fixtures/format/", import.meta.url));
const update = process.env["UPDATE_GOLDEN"] === "1";
const fixtures = readdirSync(dir)
  .filter((n) => n.endsWith(".mpcrl"))
  .sort();

describe("format golden fixtures", () => {
  it("has the matrix and comment fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(3);
  });

  for (const name of fixtures) {
    it(name, () => {
      const file = join(dir, name);
      const actual = format(readFileSync(file, "utf8")).text;
      const expectedFile = file.replace(/\.mpcrl$/, ".formatted");
      if (update) writeFileSync(expectedFile, actual);
      else if (!existsSync(expectedFile)) throw new Error(`missing ${expectedFile}: run with UPDATE_GOLDEN=1 to create it`);
      expect(actual).toBe(readFileSync(expectedFile, "utf8"));
      expect(format(actual).text).toBe(actual);
    });
  }
});
