// CLI tests: `mpcrl check` and `mpcrl fmt` run as child processes (exit codes, JSON, messages).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const example = join(root, "examples/gros_zanon/linear_mpc.mpcrl");
const tmp = mkdtempSync(join(tmpdir(), "mpcrl-cli-"));

function mpcrl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "cli/main.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The smallest spec `check` accepts: one controller (a file without one is MPC4609). */
const CLEAN = "controller C {\n  state x[1]\n  input u[1]\n  horizon 2\n  dynamics x+ = x + u\n  minimize stage sumsq(x) + sumsq(u)\n}\n";

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe("mpcrl check", () => {
  it("exits 0 on a clean spec", () => {
    const r = mpcrl("check", file("ok.mpcrl", CLEAN));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("ok.mpcrl: ok");
  });

  it("exits 0 on the flagship example (warnings allowed)", () => {
    expect(mpcrl("check", example).status).toBe(0);
  });

  it("exits 1 with rendered diagnostics on errors", () => {
    const bad = file("bad.mpcrl", "controller C {\n  state x[2\n}\n");
    const r = mpcrl("check", bad, "--no-color");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("error[MPC1005]: expected `]` to close the dimensions");
    expect(r.stdout).toContain(`--> ${bad}:2:12`);
    expect(r.stdout).toMatch(/error: \d+ errors? emitted/);
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it("prints one JSON record per file with --json", () => {
    const bad = file("bad2.mpcrl", "const a = 1 +\n");
    const ok = file("ok2.mpcrl", CLEAN);
    const r = mpcrl("check", "--json", bad, ok);
    expect(r.status).toBe(1);
    const records = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { file: string; diagnostics: { code: string; span: { startLine: number } }[] });
    expect(records.map((x) => x.file)).toEqual([bad, ok]);
    expect(records[0].diagnostics[0].code).toBe("MPC1006");
    expect(records[0].diagnostics[0].span.startLine).toBe(1);
    expect(records[1].diagnostics).toEqual([]);
  });

  it("exits 2 with a clear message for an unreadable file, without a stack trace", () => {
    const r = mpcrl("check", join(tmp, "missing.mpcrl"));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("mpcrl check: cannot read");
    expect(r.stderr).toContain("no such file");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 2 for a directory and for missing arguments or unknown options", () => {
    expect(mpcrl("check", tmp).status).toBe(2);
    expect(mpcrl("check").status).toBe(2);
    expect(mpcrl("check", "--frobnicate", example).status).toBe(2);
  });
});

describe("mpcrl fmt", () => {
  it("prints the formatted text, --check exits 1 when a file would change, --write rewrites it", () => {
    const p = file("messy.mpcrl", "const  a=1\n");
    const printed = mpcrl("fmt", p);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe("const a = 1\n");
    const checked = mpcrl("fmt", "--check", p);
    expect(checked.status).toBe(1);
    expect(checked.stdout).toContain("would reformat");
    expect(mpcrl("fmt", "--write", p).status).toBe(0);
    expect(readFileSync(p, "utf8")).toBe("const a = 1\n");
    expect(mpcrl("fmt", "--check", p).status).toBe(0);
  });

  it("refuses to format a file with syntax errors (exit 1, file untouched)", () => {
    const text = "const a = [1,\n";
    const p = file("broken.mpcrl", text);
    const r = mpcrl("fmt", "--write", p);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("has syntax errors");
    expect(readFileSync(p, "utf8")).toBe(text);
  });

  it("exits 2 for an unreadable file and for --check with --write", () => {
    expect(mpcrl("fmt", join(tmp, "missing.mpcrl")).status).toBe(2);
    expect(mpcrl("fmt", "--check", "--write", example).status).toBe(2);
  });
});
