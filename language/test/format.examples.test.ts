// Every shipped example is formatted: `format` leaves it unchanged and `mpcrl fmt --check`
// exits 0 on all of them. (To reformat them: `npx tsx cli/main.ts fmt --write $(find examples -name '*.mpcrl')`.)

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { format } from "../index.js";
import { specFiles } from "./spec_files.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

const examples = specFiles(join(root, "examples"));

describe("examples are formatted", () => {
  it("has the shipped examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(11);
  });

  it.each(examples.map((f) => [relative(root, f), f]))("%s is a fixed point of format", (_name, file) => {
    const text = readFileSync(file, "utf8");
    expect(format(text).text).toBe(text);
  });

  it("mpcrl fmt --check exits 0 on every example", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "cli/main.ts"), "fmt", "--check", ...examples], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 60_000);
});
