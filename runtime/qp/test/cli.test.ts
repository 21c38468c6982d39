// `mpcrl qp` through a child process: output, exit codes, clear errors.

import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dataDir } from "./helpers.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync("npx", ["tsx", "cli/main.ts", "qp", ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("mpcrl qp", () => {
  it("solves a problem and prints status, objective (with r), iterations, time, residuals", () => {
    const r = run(`${dataDir}mpc/a_2state.json`, "--eps", "1e-6", "--polish");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/status\s+solved/);
    expect(r.out).toMatch(/objective\s+1\.69842353895/);
    expect(r.out).toMatch(/iterations\s+\d+/);
    expect(r.out).toMatch(/residuals\s+primal/);
    expect(r.out).toMatch(/polish\s+success/);
  });

  it("--json adds x and y and includes the constant r in the objective", () => {
    const r = run(`${dataDir}maros/HS21.json`, "--json", "--eps", "1e-6", "--polish");
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out) as { status: string; objective: number; x: number[]; y: number[] };
    expect(o.status).toBe("solved");
    expect(o.x).toHaveLength(2);
    expect(o.y).toHaveLength(3);
    expect(Math.abs(o.objective - -99.96)).toBeLessThan(1e-4 * 99.96);
  });

  it("--max-iter limits the iterations (exit 1 when not solved)", () => {
    const r = run(`${dataDir}mpc/b_random12x4.json`, "--max-iter", "3", "--json");
    expect(r.code).toBe(1);
    const o = JSON.parse(r.out) as { status: string; iterations: number; x: (number | null)[] };
    expect(["max_iterations", "solved_inaccurate"]).toContain(o.status);
    expect(o.iterations).toBe(3);
  });

  it("exits 1 on an infeasible problem", () => {
    const dir = mkdtempSync(join(tmpdir(), "mpcrl-qp-"));
    const f = join(dir, "infeasible.json");
    // x >= 1 and x <= -1
    writeFileSync(f, JSON.stringify({ n: 1, m: 2, P: { indptr: [0, 1], indices: [0], data: [1] }, A: { indptr: [0, 2], indices: [0, 1], data: [1, 1] }, q: [0], l: [1, -1e30], u: [1e30, -1] }));
    const r = run(f);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/status\s+primal_infeasible/);
  });

  it("exits 2 with a clear message on bad usage and bad files, without a stack trace", () => {
    const dir = mkdtempSync(join(tmpdir(), "mpcrl-qp-"));
    const missing = run(join(dir, "nope.json"));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read/);
    const badJson = join(dir, "bad.json");
    writeFileSync(badJson, "{ not json");
    const b = run(badJson);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/bad\.json/);
    const lgu = join(dir, "lgu.json");
    writeFileSync(lgu, JSON.stringify({ n: 1, m: 1, P: { indptr: [0, 1], indices: [0], data: [1] }, A: { indptr: [0, 1], indices: [0], data: [1] }, q: [0], l: [2], u: [1] }));
    const c = run(lgu);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/row 0: lower bound 2 exceeds upper bound 1/);
    const e = run(`${dataDir}mpc/a_2state.json`, "--eps", "-3");
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/positive number/);
    for (const x of [missing, b, c, e]) expect(x.err).not.toMatch(/\n\s+at /);
  });
});
