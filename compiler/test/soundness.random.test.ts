// Randomized soundness check (issue 9, docs/soundness.md): for every spec the checker accepts (the
// shipped examples and the near-misses of language/test/soundness.specs.ts), draw learnable values
// inside their boxes (corners with high probability) and runtime values inside their declared
// ranges, lower the spec with the compiler, and verify on the QP data that P is PSD, lb <= ub on
// every row, the linear slack penalties are nonnegative and every entry is a number. Fixed seed
// (fast-check prints it on failure).

import { rng as mulberry32 } from "../../runtime/qp/test/helpers.js";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check } from "../../language/index.js";
import { declaredBox } from "../../language/check/index.js";
import { cholesky } from "../../language/check/matrix.js";
import { ACCEPTED, REJECTED, spec } from "../../language/test/soundness.specs.js";
import { dataLayout, type QpTemplate } from "../../runtime/mpc/template.js";
import { compileToModule, lowerChecked } from "../index.js";
import { dense, minEigenvalue } from "../../runtime/linalg/dense.js";
import type { NlpTemplate } from "../../runtime/nmpc/learnable.js";
import { repoRoot } from "./helpers.js";
import { specFiles } from "../../language/test/spec_files.js";

interface Case {
  readonly name: string;
  readonly source: string;
}

const examples: Case[] = specFiles(join(repoRoot, "examples")).map((f) => ({ name: relative(repoRoot, f), source: readFileSync(f, "utf8") }));
const nearMisses: Case[] = ACCEPTED.map((c) => ({ name: `near-miss: ${c.name}`, source: c.source }));

/** Declared ranges of the runtime values, in the template's runtime order (unbounded: +-inf); a
 *  disturbance's range applies to each stage of its forecast. */
function runtimeRanges(source: string, t: QpTemplate): { lo: number[]; hi: number[] } {
  const { model } = check(source);
  const lo = new Array<number>(t.nRuntime).fill(-Infinity);
  const hi = new Array<number>(t.nRuntime).fill(Infinity);
  const syms = model.symbolsIn(t.name);
  for (const r of t.runtime) {
    const sym = syms.find((s) => s.name === r.name);
    const box = sym ? declaredBox(model, sym) : undefined;
    if (!box || box.lo.length === 0 || r.size % box.lo.length !== 0) continue;
    for (let i = 0; i < r.size; i++) {
      lo[r.offset + i] = box.lo[i % box.lo.length];
      hi[r.offset + i] = box.hi[i % box.lo.length];
    }
  }
  return { lo, hi };
}

/** A value in [lo, hi]: a corner with probability 0.3 each, else uniform; infinite ends replaced by center +- 10. */
function draw(rand: () => number, lo: number, hi: number, center: number): number {
  const l = Number.isFinite(lo) ? lo : Math.min(center, Number.isFinite(hi) ? hi : center) - 10;
  const h = Number.isFinite(hi) ? hi : Math.max(center, l) + 10;
  const r = rand();
  return r < 0.3 ? l : r < 0.6 ? h : l + (h - l) * rand();
}


/** The violations of the QP data at one draw (empty: sound). */
function violations(t: QpTemplate, d: Float64Array): string[] {
  const L = dataLayout(t);
  const out: string[] = [];
  const n = t.n;
  // P: symmetric from its upper triangle; PSD iff P + eps*I has a Cholesky factor
  const P = new Array<number>(n * n).fill(0);
  let scale = 1;
  for (let j = 0; j < n; j++)
    for (let k = t.P.colPtr[j]; k < t.P.colPtr[j + 1]; k++) {
      const i = t.P.rowIdx[k];
      const v = d[L.P + k];
      if (!Number.isFinite(v)) out.push(`P[${i}, ${j}] = ${v}`);
      P[i * n + j] = v;
      P[j * n + i] = v;
      scale = Math.max(scale, Math.abs(v));
    }
  const eps = 1e-9 * scale;
  for (let i = 0; i < n; i++) P[i * n + i] += eps;
  if (out.length === 0 && n > 0 && !cholesky({ rows: n, cols: n, data: P })) out.push("P is not positive semidefinite");
  for (let i = 0; i < n; i++) if (!Number.isFinite(d[L.q + i])) out.push(`q[${i}] = ${d[L.q + i]}`);
  for (let k = L.A; k < L.l; k++) if (!Number.isFinite(d[k])) out.push(`A value ${k - L.A} = ${d[k]}`);
  for (let i = 0; i < t.m; i++) {
    const lo = d[L.l + i];
    const hi = d[L.u + i];
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo === Infinity || hi === -Infinity) out.push(`row ${i}: bounds [${lo}, ${hi}]`);
    else if (lo > hi + 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi))) out.push(`row ${i}: lb ${lo} > ub ${hi}`);
  }
  for (let j = 0; j < t.nSlack; j++) if (!(d[L.q + t.slackOffset + j] >= 0)) out.push(`slack ${j}: linear penalty ${d[L.q + t.slackOffset + j]}`);
  if (!Number.isFinite(d[L.c])) out.push(`c = ${d[L.c]}`);
  return out;
}

/** Searches draws for a violation of the QP data of a spec (lowered without the checker's verdict). */
function findViolation(source: string, numRuns: number): string[] {
  const { program } = check(source);
  const low = lowerChecked(program, source, { skipNumericChecks: true });
  const t = low.template;
  if (!t) return [`does not lower: ${low.diagnostics.map((x) => x.message).join("; ")}`];
  const rt = runtimeRanges(source, t);
  const d = new Float64Array(dataLayout(t).length);
  const theta = new Float64Array(t.nTheta);
  const runtime = new Float64Array(t.nRuntime);
  const rand = mulberry32(42);
  for (let run = 0; run < numRuns; run++) {
    for (const p of t.params) for (let i = 0; i < p.size; i++) theta[p.offset + i] = draw(rand, p.lower[i], p.upper[i], t.theta0[p.offset + i]);
    for (let i = 0; i < t.nRuntime; i++) runtime[i] = draw(rand, rt.lo[i], rt.hi[i], 0);
    t.fill(theta, runtime, d);
    const bad = violations(t, d);
    if (bad.length > 0) return bad;
  }
  return [];
}

// (`a <= u[0] == 0` is not here: it lowers to two rows, each with l <= u, whose conjunction is empty.)
describe("the numeric check has teeth: specs the checker now rejects violate it at some draw", () => {
  const teeth = ["let k - 2 scaling a square", "w[k] with a negative entry", "penalty 1 - P[1,1] of a psd learnable", "psd entry as a bound offset", "upper triangle of a factor is 0"];
  for (const name of teeth) {
    const c = REJECTED.find((x) => x.name === name)!;
    it(`${c.code}: ${name}`, () => {
      expect(findViolation(c.source, 200).length).toBeGreaterThan(0);
    });
  }
});

// (red team 2: specs check accepted, now MPC4025; see language/test/check.redteam.test.ts)
describe("the numeric check has teeth: red team 2's penalties and discretizations violate it at some draw", () => {
  const soft = (penalty: string, decls = ""): string => spec(decls, "u'*u + x'*x", `soft x <= 1 penalty ${penalty}`);
  const continuous = (decls: string, rhs: string): string => spec(decls, "u'*u + x'*x").replace("x+ = x + u", `der(x) = ${rhs}`);
  const cases: [string, string][] = [
    ["a quadratic penalty of 1e308", soft("quadratic 1e308")],
    ["a penalty 1e290*w with w in [0, 1e20]", soft("quadratic 1e290*w", "  learnable w = 1 in [0, 1e20]")],
    ["euler with a timestep of 1e300", continuous("  timestep 1e300\n  learnable a = 1 in [-1e10, 1e10]", "a*x + u using euler")],
    ["rk4 with a timestep of 1e100", continuous("  timestep 1e100\n  learnable b = 1 in [-1e10, 1e10]", "-x + b*u using rk4")],
  ];
  for (const [name, source] of cases) {
    it(name, () => {
      expect(check(source).diagnostics.map((d) => d.code)).toContain("MPC4025");
      expect(findViolation(source, 200).length).toBeGreaterThan(0);
    });
  }
});

/** The violations of the QP data at the initial parameters and the runtime defaults (what `act`
 *  uses when a call omits the runtime values), and defaults outside their declared ranges. */
function violationsAtDefaults(source: string, t: QpTemplate): string[] {
  const rt = runtimeRanges(source, t);
  const runtime = new Float64Array(t.nRuntime);
  for (const r of t.runtime) runtime.set(r.defaultValue, r.offset);
  const out: string[] = [];
  for (let i = 0; i < t.nRuntime; i++) {
    if (!Number.isFinite(runtime[i])) out.push(`runtime default ${i} = ${runtime[i]} is not finite`);
    else if (!(runtime[i] >= rt.lo[i] && runtime[i] <= rt.hi[i])) out.push(`runtime default ${i} = ${runtime[i]} outside [${rt.lo[i]}, ${rt.hi[i]}]`);
  }
  const d = new Float64Array(dataLayout(t).length);
  t.fill(Float64Array.from(t.theta0), runtime, d);
  return [...out, ...violations(t, d)];
}

describe("the runtime defaults: the specs the checker rejects (MPC4023) violate the QP data at their defaults", () => {
  for (const name of ["runtime default outside its range as a penalty", "runtime default outside its range as a hard bound", "implicit runtime default 0 outside its range", "disturbance default outside its range", "infinite runtime default inside an unbounded range", "infinite runtime default without a range"]) {
    const c = REJECTED.find((x) => x.name === name)!;
    it(`${c.code}: ${name}`, () => {
      const { program } = check(c.source);
      const t = lowerChecked(program, c.source, { skipNumericChecks: true }).template!;
      expect(violationsAtDefaults(c.source, t).length).toBeGreaterThan(0);
    });
  }
});

/**
 * A nonlinear controller (Gauss-Newton Hessian): its QP subproblems are convex when the Hessian of
 * every stage's general term (the affine and convex quadratic terms the checker admitted) is PSD,
 * at every drawn parameter and stage point (x drawn in [-3, 3] where unbounded, u in its box); the
 * least-squares part 2 J'J is PSD by construction. Boxes have lb <= ub.
 */
function expectConvexSubproblems(t: NlpTemplate): void {
  const m = t.model;
  for (let i = 0; i < m.xLower.length; i++) expect(m.xLower[i]).toBeLessThanOrEqual(m.xUpper[i]);
  for (let i = 0; i < m.uLower.length; i++) expect(m.uLower[i]).toBeLessThanOrEqual(m.uUpper[i]);
  if (t.hessian === "exact") return; // the solver convexifies each stage block (docs/soundness.md section 8)
  const nv = m.nx + m.nu + m.nTheta;
  const H = new Float64Array(nv * nv);
  const out = { gx: new Float64Array(m.nx), gu: new Float64Array(m.nu), gtheta: new Float64Array(m.nTheta) };
  const rt = new Float64Array(m.nRuntime ?? 0);
  for (const r of t.runtime) rt.set(r.defaultValue, r.offset);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: m.N - 1 }), (seed, k) => {
      const rand = mulberry32(seed);
      const theta = Float64Array.from(t.theta0);
      for (const p of t.params) for (let i = 0; i < p.size; i++) theta[p.offset + i] = draw(rand, p.lower[i], p.upper[i], t.theta0[p.offset + i]);
      const pick = (lo: number, hi: number): number => (Number.isFinite(lo) && Number.isFinite(hi) ? lo + (hi - lo) * rand() : -3 + 6 * rand());
      const x = Float64Array.from({ length: m.nx }, (_, i) => pick(m.xLower[(k + 1) * m.nx + i], m.xUpper[(k + 1) * m.nx + i]));
      const u = Float64Array.from({ length: m.nu }, (_, i) => pick(m.uLower[k * m.nu + i], m.uUpper[k * m.nu + i]));
      if (m.general === undefined) return;
      m.general.eval(k, x, u, theta, rt, out);
      m.general.hessian(k, x, u, theta, rt, 1, H);
      // the (x, u) block only: theta is not a decision variable
      const n = m.nx + m.nu;
      const block = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) block[i * n + j] = H[i * nv + j];
      const scale = Math.max(1, ...Array.from(block, Math.abs));
      expect(minEigenvalue(dense(n, n, block)), `stage ${k}, theta = [${Array.from(theta).join(", ")}]`).toBeGreaterThanOrEqual(-1e-9 * scale);
    }),
    { seed: 42, numRuns: 40 },
  );
}

describe("accepted specs give a convex QP with lb <= ub at every drawn parameter", () => {
  for (const c of [...examples, ...nearMisses]) {
    it(c.name, () => {
      // every example and near-miss must check clean: a checker error here is a regression, not a skip
      expect(check(c.source).diagnostics.filter((x) => x.severity === "error").map((x) => `${x.code} ${x.message}`)).toEqual([]);
      const { module, nlpModule, diagnostics } = compileToModule(c.source, { fileName: c.name });
      // a spec that checks clean compiles (the property; reported here with the spec's name)
      expect(diagnostics.filter((x) => x.severity === "error").map((x) => `${x.code} ${x.message}`)).toEqual([]);
      if (nlpModule !== undefined) {
        expectConvexSubproblems(nlpModule.template);
        return;
      }
      const t = module!.template;
      // the point `act` uses when a call omits the runtime values
      expect(violationsAtDefaults(c.source, t)).toEqual([]);
      const rt = runtimeRanges(c.source, t);
      const rtDefault = new Float64Array(t.nRuntime);
      for (const r of t.runtime) rtDefault.set(r.defaultValue, r.offset);
      const d = new Float64Array(dataLayout(t).length);
      const theta = new Float64Array(t.nTheta);
      const runtime = new Float64Array(t.nRuntime);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
          const rand = mulberry32(seed);
          for (const p of t.params) for (let i = 0; i < p.size; i++) theta[p.offset + i] = draw(rand, p.lower[i], p.upper[i], t.theta0[p.offset + i]);
          for (let i = 0; i < t.nRuntime; i++) runtime[i] = draw(rand, rt.lo[i], rt.hi[i], rtDefault[i]);
          t.fill(theta, runtime, d);
          const bad = violations(t, d);
          expect(bad.slice(0, 5), `theta = [${Array.from(theta).join(", ")}], runtime = [${Array.from(runtime).join(", ")}]`).toEqual([]);
        }),
        { seed: 42, numRuns: c.source.length > 2000 ? 15 : 40 },
      );
    });
  }
});
