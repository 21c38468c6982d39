// CLI conventions shared by every command (in process, fast): one message for a file that cannot
// be read, `--json` everywhere with units in time fields, `--out` never overwriting a run folder,
// and the lazy start-up of the installed CLI (one spawned process).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandSpecFiles } from "../fmt.js";
import { root, runCli, spawnCli } from "./cli.js";

const spec = join(root, "examples/gros_zanon/linear_mpc.mpcrl");
const tmp = mkdtempSync(join(tmpdir(), "mpcrl-cli-conv-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const missing = join(tmp, "missing.file");

const qpFile = join(tmp, "qp.json");
// min 0.5 x^2 - x  s.t. -10 <= x <= 10: x = 1
writeFileSync(qpFile, JSON.stringify({ n: 1, m: 1, P: { indptr: [0, 1], indices: [0], data: [1] }, A: { indptr: [0, 1], indices: [0], data: [1] }, q: [-1], l: [-10], u: [10] }));

describe("CLI conventions", () => {
  it("reports a missing file the same way in every command: `mpcrl <cmd>: cannot read [what ]'<path>': no such file`, exit 2", async () => {
    const cases: [string, string[]][] = [
      ["check", [missing]],
      ["compile", [missing, "--stdout"]],
      ["fmt", [missing]],
      ["qp", [missing]],
      ["train", [missing, "--out", join(tmp, "never")]],
      ["eval", [missing, "--out", join(tmp, "never")]],
      ["eval", [spec, "--params", missing, "--out", join(tmp, "never")]],
    ];
    for (const [cmd, args] of cases) {
      const r = await runCli(cmd, ...args);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim(), cmd).toMatch(new RegExp(`^mpcrl ${cmd}: cannot read (the [a-z ]+ )?'[^']*missing\\.file': no such file$`));
    }
    const dir = await runCli("qp", tmp);
    expect(dir.stderr.trim()).toBe(`mpcrl qp: cannot read '${tmp}': it is a directory`);
  });

  it("qp --json gives times in milliseconds, named so", async () => {
    const r = await runCli("qp", qpFile, "--json", "--eps", "1e-8");
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(o.status).toBe("solved");
    expect(Math.abs((o.x as number[])[0] - 1)).toBeLessThan(1e-6);
    expect(typeof o.solveTimeMs).toBe("number");
    expect(typeof o.setupTimeMs).toBe("number");
    expect(o).not.toHaveProperty("solveTime");
    expect(o).not.toHaveProperty("setupTime");
  });

  it("compile --json and fmt --json print one record; fmt takes a folder", async () => {
    const out = join(tmp, "gz.ts");
    const c = await runCli("compile", spec, "-o", out, "--json");
    expect(c.code, c.stderr).toBe(0);
    const rec = JSON.parse(c.stdout) as { ok: boolean; output: string; controller: string; variables: number; diagnostics: unknown[] };
    expect(rec).toMatchObject({ ok: true, output: out, controller: "LinearMpc" });
    expect(rec.variables).toBeGreaterThan(0);
    expect(existsSync(out)).toBe(true);
    expect((await runCli("compile", spec, "--stdout", "--json")).code).toBe(2);

    const f = join(tmp, "fmt", "a.mpcrl");
    mkdirSync(join(tmp, "fmt", "sub"), { recursive: true });
    writeFileSync(f, "const  a=1\n");
    writeFileSync(join(tmp, "fmt", "sub", "b.mpcrl"), "const b = 2\n");
    writeFileSync(join(tmp, "fmt", "notes.txt"), "not a spec\n");
    expect(expandSpecFiles([join(tmp, "fmt")])).toEqual([f, join(tmp, "fmt", "sub", "b.mpcrl")]);
    const r = await runCli("fmt", "--check", "--json", join(tmp, "fmt"));
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { file: string; changed: boolean });
    expect(lines.map((l) => [l.file, l.changed])).toEqual([
      [f, true],
      [join(tmp, "fmt", "sub", "b.mpcrl"), false],
    ]);
    expect(readFileSync(f, "utf8")).toBe("const  a=1\n");
  });

  it("train --out refuses to overwrite a run (exit 2); --force overwrites; --json prints the summary with wallTimeSeconds", async () => {
    const out = join(tmp, "run");
    const first = await runCli("train", spec, "--steps", "3", "--out", out, "--json");
    expect(first.code, first.stderr).toBe(0);
    const s = JSON.parse(first.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ kind: "training", status: "completed", steps: 3, runFolder: out });
    expect(typeof s.wallTimeSeconds).toBe("number");
    expect(s).not.toHaveProperty("wallTime");
    const before = readFileSync(join(out, "metrics.jsonl"), "utf8");

    const again = await runCli("train", spec, "--steps", "4", "--out", out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^mpcrl train: --out '.*run' already holds a run \(.*\): choose another folder, --resume .* to continue it, or add --force to overwrite it\n$/);
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8")).toBe(before);
    expect((await runCli("eval", spec, "--steps", "2", "--out", out)).stderr).toMatch(/already holds a run/);
    expect((await runCli("train", spec, "--resume", out, "--force")).code).toBe(2);

    writeFileSync(join(out, "notes.txt"), "mine\n");
    const forced = await runCli("train", spec, "--steps", "4", "--out", out, "--force");
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/training completed: 1 episode\(s\), 4 steps/);
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("mine\n"); // only the run's files are replaced

    // a folder without a run is fine
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    writeFileSync(join(empty, "controller.ts"), "// not a run\n");
    const ev = await runCli("eval", spec, "--steps", "2", "--out", empty, "--json");
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout)).toMatchObject({ kind: "evaluation", steps: 2 });
  });

  it("the CLI starts without loading subcommands for --version, and loads one for a command", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    const v = spawnCli("--version");
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const h = spawnCli("qp", "--help");
    expect(h.status).toBe(0);
    expect(h.stdout).toContain("solveTimeMs");
  });
});
