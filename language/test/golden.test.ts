// Golden tests: every `fixtures/**/*.mpcrl` is checked and its diagnostics rendered (no color);
// the output must equal the sibling `.expected` file. `UPDATE_GOLDEN=1` rewrites the expected files.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { check, renderDiagnostics } from "../index.js";
import { specFiles } from "./spec_files.js";

const fixturesDir = fileURLToPath(new URL("./fixtures/", import.meta.url));
const update = process.env["UPDATE_GOLDEN"] === "1";

/** The golden output of one fixture: rendered diagnostics, or a line saying it is clean. */
export function goldenOutput(file: string): string {
  const text = readFileSync(file, "utf8");
  const name = relative(fixturesDir, file).split("\\").join("/");
  const { diagnostics } = check(text);
  return diagnostics.length === 0 ? "(no diagnostics)\n" : renderDiagnostics(text, diagnostics, name, { color: false });
}

const fixtures = specFiles(fixturesDir);

describe("golden fixtures", () => {
  it("has at least 60 fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(60);
  });

  for (const file of fixtures) {
    const name = relative(fixturesDir, file);
    it(name, () => {
      const actual = goldenOutput(file);
      const expectedFile = file.replace(/\.mpcrl$/, ".expected");
      if (update || !existsSync(expectedFile)) {
        if (!update) throw new Error(`missing ${expectedFile}: run with UPDATE_GOLDEN=1 to create it`);
        writeFileSync(expectedFile, actual);
      }
      expect(actual).toBe(readFileSync(expectedFile, "utf8"));
    });
  }

  it("syntax fixtures report their syntax code and valid fixtures have no syntax errors", () => {
    for (const file of fixtures) {
      const rel = relative(fixturesDir, file).split("\\").join("/");
      const text = readFileSync(file, "utf8");
      const codes = check(text).diagnostics.map((d) => d.code);
      if (rel.startsWith("syntax/")) {
        const m = /mpc(1\d{3})/.exec(rel);
        if (m) expect(codes, rel).toContain(`MPC${m[1]}`);
      }
      if (rel.startsWith("valid/")) expect(codes.filter((c) => c.startsWith("MPC1")), rel).toEqual([]);
    }
  });
});
