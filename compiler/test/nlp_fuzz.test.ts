// Fuzzing of nonlinear controllers (`solver sqp|rti`, issue 11): random small specs (1-3 states
// and inputs; dynamics built from sin cos tan exp log sqrt tanh, integer powers, quotients and
// products of states, inputs and learnables; random boxes; hard and soft rows; sumsq and quadratic
// costs; sqp or rti with random options) go through the checker, the compiler and a few solver
// calls. Properties:
//  - nothing throws: errors are diagnostics, solver failures are statuses;
//  - no internal compiler error (MPC9xxx "internal compiler error") is ever reported;
//  - one verdict: when the checker (`check`, the language) reports no error, `verify` (what `mpcrl
//    check` prints) and `compile` report none either, and compile gives the code and the in-process
//    module; when verify reports no error, compile reports no error (compile never finds an error
//    check missed);
//  - the controller's calls return finite inputs within the input boxes, and a known status;
//  - the emitted straight-line model (compiler/emit/nlp.ts) computes bitwise the numbers of the
//    in-process one (compiler/ocp.ts) on the accepted random specs: dynamics, residuals, rows,
//    general terms, their Jacobians and Hessians.
// Deterministic: every fc.assert has an explicit seed and run count.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { check } from "../../language/index.js";
import { emitOcpModel } from "../emit/nlp.js";
import type { NlpIr } from "../ir/nlp.js";
import { ocpModelFromIr } from "../ocp.js";
import type { OcpModel, StageFunction } from "../../runtime/nmpc/types.js";
import { compile, compileToModule, verify } from "../index.js";

interface Leaf {
  readonly text: string;
}

const STATUSES = new Set(["solved", "solved_inaccurate", "primal_infeasible", "dual_infeasible", "max_iterations", "time_limit", "non_convex", "invalid_input", "not_differentiable"]);

/** A random expression over the given leaves (depth-bounded). */
function exprArb(leaves: readonly string[], depth: number): fc.Arbitrary<string> {
  const leaf = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...leaves) },
    { weight: 1, arbitrary: fc.constantFrom("0.5", "2", "-1", "0.1", "3") },
  );
  if (depth <= 0) return leaf;
  const sub = exprArb(leaves, depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    // smooth total functions
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom("sin", "cos", "tanh", "exp"), sub).map(([f, a]) => `${f}(${f === "exp" ? `0.1*${a}` : a})`) },
    // partial functions: sometimes with a provably admissible argument, sometimes raw
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom("log", "sqrt", "tan"), sub, fc.constantFrom(true, true, false)).map(([f, a, safe]) =>
        safe ? (f === "tan" ? `tan(0.3*tanh(${a}))` : `${f}(1 + (${a})^2)`) : `${f}(${a})`,
      ),
    },
    { weight: 2, arbitrary: fc.tuple(sub, fc.constantFrom("^2", "^3", "^2", "^-1")).map(([a, p]) => `(${a})${p}`) },
    { weight: 4, arbitrary: fc.tuple(sub, fc.constantFrom("+", "-", "*"), sub).map(([a, op, b]) => `(${a} ${op} ${b})`) },
    { weight: 1, arbitrary: fc.tuple(sub, sub, fc.constantFrom(true, true, false)).map(([a, b, safe]) => (safe ? `${a}/(2 + ${b}^2)` : `${a}/${b}`)) },
  );
}

interface Shape {
  nx: number;
  nu: number;
  nl: number;
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({ nx: fc.integer({ min: 1, max: 3 }), nu: fc.integer({ min: 1, max: 3 }), nl: fc.integer({ min: 0, max: 2 }) });

function leavesOf(s: Shape): string[] {
  const l: string[] = [];
  for (let i = 0; i < s.nx; i++) l.push(`x[${i}]`);
  for (let j = 0; j < s.nu; j++) l.push(`u[${j}]`);
  for (let p = 0; p < s.nl; p++) l.push(`p${p}`);
  return l;
}

const boxArb = fc.oneof(
  fc.constant(""),
  fc.tuple(fc.double({ min: 0.2, max: 5, noNaN: true }), fc.boolean()).map(([b, sym]) => (sym ? ` in [${-b}, ${b}]` : ` in [0.1, ${(b + 0.2).toFixed(3)}]`)),
);

/** A whole random nonlinear spec. */
const specArb: fc.Arbitrary<{ source: string; shape: Shape; method: string }> = shapeArb.chain((shape) => {
  const leaves = leavesOf(shape);
  const stateLeaves = leaves.filter((l) => l.startsWith("x"));
  const e = exprArb(leaves, 2);
  const row = fc.oneof(
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...stateLeaves), e).map(([xi, ex]) => `${xi} + 0.1*${ex}`) },
    { weight: 1, arbitrary: e },
  );
  return fc
    .record({
      xBox: boxArb,
      uBox: fc.oneof(fc.constant(" in [-1, 1]"), boxArb),
      learnables: fc.array(fc.tuple(fc.double({ min: 0.2, max: 0.8, noNaN: true }), fc.boolean()), { minLength: shape.nl, maxLength: shape.nl }),
      horizon: fc.integer({ min: 2, max: 6 }),
      method: fc.constantFrom("sqp", "rti"),
      options: fc.constantFrom("", "(hessian = exact)", "(max_iterations = 15)", "(tolerance = 1e-6, max_iterations = 10)", "(hessian = gauss_newton)"),
      continuous: fc.boolean(),
      integrator: fc.constantFrom("rk4", "euler", "rk4(2)"),
      dynamics: fc.array(row, { minLength: shape.nx, maxLength: shape.nx }),
      residual: fc.array(e, { minLength: 1, maxLength: 3 }),
      extraCost: fc.constantFrom("", " + 0.1*u'*u", " + 0.5*x'*x", " + p0*sumsq(u)", " + sin(x[0])", " + 0.01*exp(u[0])"),
      terminal: fc.constantFrom("", "\n    + terminal sumsq(x)", "\n    + terminal 2*x'*x"),
      hard: fc.option(fc.tuple(row, fc.double({ min: 0.5, max: 3, noNaN: true }), fc.constantFrom("for k in 1..N", "for k in 0..N - 1", "")), { nil: undefined }),
      soft: fc.option(fc.tuple(row, fc.double({ min: -1, max: 2, noNaN: true }), fc.constantFrom("penalty linear 10", "penalty quadratic 5", "penalty linear 1 quadratic 1"), fc.constantFrom("<=", ">=", "==")), { nil: undefined }),
      terminalSoft: fc.boolean(),
    })
    .map((r) => {
      const lines: string[] = ["controller Fz {"];
      lines.push(`  state x[${shape.nx}]${r.xBox}`);
      lines.push(`  input u[${shape.nu}]${r.uBox}`);
      r.learnables.forEach(([v, boxed], p) => lines.push(`  learnable p${p} = ${v.toFixed(3)}${boxed ? " in [0.1, 0.9]" : ""}`));
      lines.push(`  horizon ${r.horizon}`);
      if (r.continuous) lines.push("  timestep 0.1");
      lines.push(`  solver ${r.method}${r.options}`);
      lines.push(`  dynamics ${r.continuous ? "der(x)" : "x+"} = [${r.dynamics.join("; ")}]${r.continuous ? ` using ${r.integrator}` : ""}`);
      const extra = shape.nl === 0 ? r.extraCost.replace(" + p0*sumsq(u)", "") : r.extraCost;
      lines.push(`  minimize stage sumsq([${r.residual.join("; ")}])${extra}${r.terminal}`);
      const cons: string[] = [];
      if (r.hard !== undefined) cons.push(`    ${r.hard[0]} <= ${r.hard[1].toFixed(3)} ${r.hard[2]}`);
      if (r.soft !== undefined) cons.push(`    soft ${r.soft[0]} ${r.soft[3]} ${r.soft[1].toFixed(3)} ${r.soft[2]}`);
      if (r.terminalSoft) cons.push("    terminal soft x[0] <= 0.5 penalty linear 3");
      if (cons.length > 0) lines.push("  subject to", ...cons);
      lines.push("}");
      return { source: lines.join("\n") + "\n", shape, method: r.method };
    });
});

const tmp = mkdtempSync(join(tmpdir(), "mpcrl-nlp-fuzz-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const runtimeTypes = new URL("../../runtime/nmpc/types.js", import.meta.url).href;

/** The emitted OcpModel of an IR, imported from a temporary file. */
async function emitted(ir: NlpIr, name: string): Promise<OcpModel> {
  const lines: string[] = [];
  const types = emitOcpModel(ir, (...l) => lines.push(...l));
  const file = join(tmp, `${name}.ts`);
  writeFileSync(file, [`import { ${types.join(", ")} } from ${JSON.stringify(runtimeTypes)};`, "", ...lines].join("\n"));
  return ((await import(file)) as { ocp: OcpModel }).ocp;
}

/** Entries equal as numbers (===, so 0 and -0 are equal: the in-process Hessian accumulates w_i h_i
 *  into zeros, the emitted one assigns w_i h_i), NaN equal to NaN. */
function same(b: ArrayLike<number>, a: ArrayLike<number>, what: string): void {
  expect(b.length, what).toBe(a.length);
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) expect(`${what}[${i}] = ${b[i]}`).toBe(`${what}[${i}] = ${a[i]}`);
}

/** Every callback of `a` and `b` at one point (stages 0, 1 and N-1, and N): equal outputs, bit for bit up to the sign of zero. */
function sameNumbers(a: OcpModel, b: OcpModel, x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array, source: string): void {
  const nc = (a.carriedInputs ?? []).length;
  const nd = a.nx - nc;
  const xd = x.subarray(0, nd);
  const dyn = () => ({ f: new Float64Array(nd), fx: new Float64Array(nd * nd), fu: new Float64Array(nd * a.nu), ftheta: new Float64Array(nd * a.nTheta) });
  const da = dyn();
  const db = dyn();
  a.dynamics(xd, u, theta, rt, da);
  b.dynamics(xd, u, theta, rt, db);
  for (const key of ["f", "fx", "fu", "ftheta"] as const) same(db[key], da[key], `${source}\ndynamics ${key}`);
  const nvd = nd + a.nu + a.nTheta;
  const lam = Float64Array.from({ length: nd }, (_, i) => 0.5 - i);
  const ha = new Float64Array(nvd * nvd);
  const hb = new Float64Array(nvd * nvd);
  a.dynamicsHessian!(xd, u, theta, rt, lam, ha);
  b.dynamicsHessian!(xd, u, theta, rt, lam, hb);
  same(hb, ha, `${source}\ndynamicsHessian`);
  const none = new Float64Array(0);
  const fns: [StageFunction | undefined, StageFunction | undefined, boolean][] = [
    [a.residual, b.residual, false],
    [a.terminalResidual, b.terminalResidual, true],
    [a.constraint, b.constraint, false],
    [a.terminalConstraint, b.terminalConstraint, true],
    [a.softConstraint?.fn, b.softConstraint?.fn, false],
    [a.terminalSoftConstraint?.fn, b.terminalSoftConstraint?.fn, true],
  ];
  for (const [fa, fb, terminal] of fns) {
    expect(fb === undefined, source).toBe(fa === undefined);
    if (fa === undefined || fb === undefined) continue;
    const uu = terminal ? none : u;
    const nv = a.nx + uu.length + a.nTheta;
    for (const k of terminal ? [a.N] : [0, 1, a.N - 1]) {
      const mk = () => ({ value: new Float64Array(fa.size), jx: new Float64Array(fa.size * a.nx), ju: new Float64Array(fa.size * uu.length), jtheta: new Float64Array(fa.size * a.nTheta) });
      const oa = mk();
      const ob = mk();
      fa.eval(k, x, uu, theta, rt, oa);
      fb.eval(k, x, uu, theta, rt, ob);
      for (const key of ["value", "jx", "ju", "jtheta"] as const) same(ob[key], oa[key], `${source}\nrow k=${k} ${key}`);
      const w = Float64Array.from({ length: fa.size }, (_, i) => 1 - 0.3 * i);
      const sa = new Float64Array(nv * nv);
      const sb = new Float64Array(nv * nv);
      fa.hessian!(k, x, uu, theta, rt, w, sa);
      fb.hessian!(k, x, uu, theta, rt, w, sb);
      same(sb, sa, `${source}\nrow Hessian k=${k}`);
    }
  }
  for (const [ga, gb, terminal] of [
    [a.general, b.general, false],
    [a.terminalGeneral, b.terminalGeneral, true],
  ] as const) {
    expect(gb === undefined, source).toBe(ga === undefined);
    if (ga === undefined || gb === undefined) continue;
    const uu = terminal ? none : u;
    const nv = a.nx + uu.length + a.nTheta;
    for (const k of terminal ? [a.N] : [0, 1, a.N - 1]) {
      const mk = () => ({ gx: new Float64Array(a.nx), gu: new Float64Array(uu.length), gtheta: new Float64Array(a.nTheta) });
      const oa = mk();
      const ob = mk();
      same([gb.eval(k, x, uu, theta, rt, ob)], [ga.eval(k, x, uu, theta, rt, oa)], `${source}\ngeneral k=${k}`);
      for (const key of ["gx", "gu", "gtheta"] as const) same(ob[key], oa[key], `${source}\ngeneral k=${k} ${key}`);
      const sa = new Float64Array(nv * nv);
      const sb = new Float64Array(nv * nv);
      ga.hessian(k, x, uu, theta, rt, 0.7, sa);
      gb.hessian(k, x, uu, theta, rt, 0.7, sb);
      same(sb, sa, `${source}\ngeneral Hessian k=${k}`);
    }
  }
}

const errors = <D extends { severity: string }>(d: readonly D[]): D[] => d.filter((x) => x.severity === "error");

describe("fuzzing nonlinear controllers: checker, compiler and solver never throw; one verdict", () => {
  const tally = { accepted: 0, rejected: 0, acts: 0, solved: 0 };
  const statuses: Record<string, number> = {};

  it("random specs: diagnostics or a controller whose calls return statuses", () => {
    fc.assert(
      fc.property(specArb, fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }), ({ source, shape }, x0raw) => {
        const checked = check(source);
        const checkerErrors = errors(checked.diagnostics);
        const v = verify(source);
        const c = compile(source);
        const m = compileToModule(source);
        for (const d of [...v.diagnostics, ...c.diagnostics, ...m.diagnostics]) expect(d.message, source).not.toMatch(/internal compiler error/);
        // one verdict: check -> verify -> compile
        if (checkerErrors.length === 0) expect(errors(v.diagnostics), source).toEqual([]);
        if (errors(v.diagnostics).length > 0) {
          tally.rejected++;
          expect(c.code).toBeUndefined();
          expect(m.nlpModule).toBeUndefined();
          return;
        }
        expect(errors(c.diagnostics), source).toEqual([]);
        expect(c.code, source).toBeDefined();
        const mod = m.nlpModule;
        expect(mod, source).toBeDefined();
        tally.accepted++;
        const ctl = mod!.createController({ sqp: { maxIterations: 15 } });
        const { uLower, uUpper } = mod!.template.model;
        const x = Float64Array.from({ length: shape.nx }, (_, i) => 0.3 * x0raw[i]);
        for (let step = 0; step < 3; step++) {
          const a = ctl.act(x);
          tally.acts++;
          if (!a.fallback) tally.solved++;
          const key = `${a.status}${a.fallback ? " (fallback)" : ""}`;
          statuses[key] = (statuses[key] ?? 0) + 1;
          expect(STATUSES.has(a.status), `${a.status}\n${source}`).toBe(true);
          expect(a.u.length).toBe(shape.nu);
          for (let j = 0; j < shape.nu; j++) {
            expect(Number.isFinite(a.u[j]), source).toBe(true);
            expect(a.u[j]).toBeGreaterThanOrEqual(uLower[j] - 1e-6);
            expect(a.u[j]).toBeLessThanOrEqual(uUpper[j] + 1e-6);
          }
          for (let i = 0; i < shape.nx; i++) x[i] = Number.isFinite(a.x[shape.nx + i]) ? Math.max(-2, Math.min(2, a.x[shape.nx + i])) : 0;
        }
        // the learning calls: statuses (or numbers), never exceptions
        const g = ctl.gradValue(x);
        expect(STATUSES.has(g.status)).toBe(true);
        expect(g.grad.length).toBe(shape.nl);
        if (g.ok) for (const q of g.grad) expect(Number.isFinite(q)).toBe(true);
        const s = ctl.policySensitivity(x);
        expect(STATUSES.has(s.status), s.status).toBe(true);
      }),
      { seed: 1105, numRuns: 120 },
    );
    // the generator exercises both verdicts and both kinds of solver outcome (a constraint's left side
    // is mostly a state plus a random term, as a dynamics row: a side free of states and inputs,
    // `p0 <= 0.5`, is rejected, MPC4016/MPC4007)
    expect(tally.accepted, JSON.stringify({ tally, statuses })).toBeGreaterThan(30);
    expect(tally.rejected).toBeGreaterThan(20);
    expect(tally.solved, JSON.stringify(statuses)).toBeGreaterThan(40);
    expect(tally.acts - tally.solved).toBeGreaterThan(10);
  });

  it("the emitted straight-line model computes bitwise the in-process model's numbers (random accepted specs)", async () => {
    // fast-check's async property: one temporary module per accepted spec
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(specArb, fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }), async ({ source, shape }, raw) => {
        const m = compileToModule(source);
        const mod = m.nlpModule;
        if (mod === undefined) return;
        const live = ocpModelFromIr(mod.ir);
        const em = await emitted(mod.ir, `fz${compared++}`);
        expect([em.nx, em.nu, em.N, em.nTheta], source).toEqual([live.nx, live.nu, live.N, live.nTheta]);
        expect(Array.from(em.xLower)).toEqual(Array.from(live.xLower));
        expect(Array.from(em.uUpper)).toEqual(Array.from(live.uUpper));
        const x = Float64Array.from({ length: live.nx }, (_, i) => 0.2 + 0.7 * raw[i % 6]);
        const u = Float64Array.from({ length: shape.nu }, (_, j) => 0.3 + 0.5 * raw[(j + 3) % 6]);
        const theta = Float64Array.from(mod.template.theta0);
        const rt = new Float64Array(live.nRuntime ?? 0);
        sameNumbers(live, em, x, u, theta, rt, source);
      }),
      { seed: 2026, numRuns: 60 },
    );
    expect(compared).toBeGreaterThan(15);
  });

  it("the checker's error verdicts on partial functions over declared boxes stand in compile (MPC4021 is an error in both)", () => {
    fc.assert(
      fc.property(fc.constantFrom("sqrt", "log"), fc.double({ min: 0.5, max: 3, noNaN: true }), fc.constantFrom("sqp", "rti"), (f, b, method) => {
        // x[0] in [-2b, -b]: always outside the domain
        const source = `controller P {\n  state x[1] in [${(-2 * b).toFixed(3)}, ${(-b).toFixed(3)}]\n  input u[1] in [-1, 1]\n  horizon 3\n  solver ${method}\n  dynamics x+ = [x[0] + 0.1*u[0]]\n  minimize stage sumsq(${f}(x[0]) + u[0])\n}\n`;
        const codes = errors(check(source).diagnostics).map((d) => d.code);
        expect(codes).toContain("MPC4021");
        expect(compile(source).code).toBeUndefined();
      }),
      { seed: 4021, numRuns: 10 },
    );
  });
});
