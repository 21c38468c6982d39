// Finite-difference checks of every derivative of every shipped nonlinear example (every
// examples/**/*.mpcrl with `solver sqp|rti`, found by a walk: at the time of writing
// examples/cartpole/cartpole.mpcrl, examples/cstr/cstr.mpcrl and examples/cstr/cstr_bayesopt.mpcrl),
// compiled in process (compileToModule -> nlpTemplateFromIr -> ocpModelFromIr, the symbolic
// derivatives of compiler/ir/derive.ts):
//  1. every OcpModel callback the spec has (dynamics, least-squares residuals, general terms, hard
//     and soft rows, path and terminal) at stages 0, 1, N-1 and N: the Jacobians w.r.t. x, u and
//     theta against central differences of the values, and the Hessians of w'g w.r.t. (x, u, theta)
//     against central differences of the (already checked) exact gradients; the RK4 map of the
//     compiled dynamics (runtime/nmpc/integrator.ts) likewise;
//  2. NonlinearMpc's dV/dtheta, dQ/dtheta and du_0/dtheta against central differences of
//     independently solved perturbed problems (a fresh controller per perturbed theta).
// Already covered elsewhere (not repeated): the cart-pole FIXTURE's (compiler/test/fixtures, no
// learnables) dynamics Jacobians and Hessian (nlp.test.ts); the CSTR example's dV/dtheta and
// du_0/dtheta (nlp.test.ts); a prev()/soft spec's dV/dtheta, du_0/dtheta (nlp_prev_soft.test.ts);
// the runtime's hand-written models (runtime/nmpc/test/integrator, sensitivity, carry_soft).
//
// Tolerances. Model derivatives: step h_j = 1e-6 max(1, |v_j|) (v_j the coordinate perturbed);
// central differences have truncation error h^2 |g'''|/6 (~1e-12 relative here) and rounding error
// ~ eps |g_i| / h_j ~ 2e-10 |g_i| / max(1, |v_j|); the check is |exact - fd| <= 1e-7 (|fd| + |g_i| /
// max(1, |v_j|)) + 1e-9, i.e. 1e-7 relative with room for the rounding of large values (the CSTR's
// rates are ~1e3 at temperatures ~1e2). Hessians: the same, the gradient's largest entry in the role
// of g_i. Measured: every error below 1.5e-2 of its tolerance; a 1e-5 relative error in one entry
// fails. Solution derivatives: the SQP solved to a scaled KKT tolerance of 1e-12, steps h = 1e-5
// max(1, |theta_j|), so each difference carries ~1e-12 / h ~ 1e-7 (of the value's scale) beyond
// its O(h^2) truncation: dV/dtheta and dQ/dtheta to 1e-7 relative plus 1e-9, du_0/dtheta to 1e-6
// relative plus 1e-9 (a primal quantity, less accurate than the value at the same KKT residual).
// Measured: relative errors <= 1.3e-9.

import { rng } from "../../runtime/qp/test/helpers.js";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileToModule, type NlpModule } from "../index.js";
import { StepIntegrator } from "../../runtime/nmpc/integrator.js";
import type { OcpModel, StageFunction } from "../../runtime/nmpc/types.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

function shippedNonlinear(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(".mpcrl") && /^\s*solver\s+(sqp|rti)\b/m.test(readFileSync(p, "utf8"))) out.push(relative(root, p));
    }
  };
  walk(join(root, "examples"));
  return out;
}


/** A random point of [lo, hi], with a finite stand-in where a bound is infinite. */
function sample(r: () => number, lo: number, hi: number): number {
  if (!Number.isFinite(lo) && !Number.isFinite(hi)) return 2 * r() - 1;
  if (!Number.isFinite(lo)) return hi - (Math.abs(hi) + 1) * r();
  if (!Number.isFinite(hi)) return lo + (Math.abs(lo) + 1) * r();
  // stay strictly inside (partial functions and the -1 outside a row's stage range are not at issue)
  return lo + (0.05 + 0.9 * r()) * (hi - lo);
}

interface Point {
  x: Float64Array;
  u: Float64Array;
  theta: Float64Array;
  rt: Float64Array;
}

/** A random admissible point: states in node 1's boxes (the carried inputs in their inputs' boxes), inputs in stage 0's, theta in its boxes, runtime values at their defaults. */
function admissible(mod: NlpModule, r: () => number): Point {
  const m = mod.template.model;
  const carried = Array.from(m.carriedInputs ?? []);
  const nd = m.nx - carried.length;
  const x = new Float64Array(m.nx);
  for (let i = 0; i < nd; i++) x[i] = sample(r, m.xLower[m.nx + i], m.xUpper[m.nx + i]);
  carried.forEach((c, j) => (x[nd + j] = sample(r, m.uLower[c], m.uUpper[c])));
  const u = Float64Array.from({ length: m.nu }, (_, j) => sample(r, m.uLower[j], m.uUpper[j]));
  const theta = new Float64Array(m.nTheta);
  for (const p of mod.template.params) for (let i = 0; i < p.size; i++) theta[p.offset + i] = sample(r, p.lower[i], p.upper[i]);
  const rt = new Float64Array(m.nRuntime ?? 0);
  for (const s of mod.template.runtime) rt.set(s.defaultValue, s.offset);
  return { x, u, theta, rt };
}

const step = (v: number): number => 1e-6 * Math.max(1, Math.abs(v));

/** |exact - fd| <= 1e-7 (|fd| + scale / max(1, |v_j|)) + 1e-9 (see the header). */
function near(exact: number, fd: number, scale: number, vj: number, what: string): void {
  const tol = 1e-7 * (Math.abs(fd) + scale / Math.max(1, Math.abs(vj))) + 1e-9;
  expect(Math.abs(exact - fd), `${what}: exact ${exact}, central difference ${fd}`).toBeLessThanOrEqual(tol);
}

/** A vector function of v = (x, u, theta) with its exact Jacobian (rows x nv, row-major). */
type Fn = (x: Float64Array, u: Float64Array, theta: Float64Array) => { value: Float64Array; jac: Float64Array };

/** The stacked point and its split. */
const nvOf = (p: Point): number => p.x.length + p.u.length + p.theta.length;
function perturbed(p: Point, j: number, d: number): Point {
  const x = Float64Array.from(p.x);
  const u = Float64Array.from(p.u);
  const theta = Float64Array.from(p.theta);
  if (j < x.length) x[j] += d;
  else if (j < x.length + u.length) u[j - x.length] += d;
  else theta[j - x.length - u.length] += d;
  return { x, u, theta, rt: p.rt };
}
const coord = (p: Point, j: number): number => (j < p.x.length ? p.x[j] : j < p.x.length + p.u.length ? p.u[j - p.x.length] : p.theta[j - p.x.length - p.u.length]);

/** Checks fn's Jacobian by central differences; returns the number of entries checked. */
function checkJacobian(fn: Fn, p: Point, what: string): number {
  const at = fn(p.x, p.u, p.theta);
  const rows = at.value.length;
  const nv = nvOf(p);
  expect(at.jac.length).toBe(rows * nv);
  let n = 0;
  for (let j = 0; j < nv; j++) {
    const h = step(coord(p, j));
    const a = perturbed(p, j, h);
    const b = perturbed(p, j, -h);
    const fp = fn(a.x, a.u, a.theta).value;
    const fm = fn(b.x, b.u, b.theta).value;
    for (let i = 0; i < rows; i++) {
      near(at.jac[i * nv + j], (fp[i] - fm[i]) / (2 * h), Math.abs(at.value[i]), coord(p, j), `${what} d row ${i} / d v${j}`);
      n++;
    }
  }
  return n;
}

/** Checks the Hessian H (nv x nv) of w'g by central differences of the exact gradient J'w; and its
 *  symmetry: exact for the compiled callbacks (one symbolic entry per pair), to rounding (1e-14
 *  relative) for the integrator's D'HD congruences. */
function checkHessian(fn: Fn, w: ArrayLike<number>, H: Float64Array, p: Point, what: string, exactSymmetry = true): number {
  const nv = nvOf(p);
  const grad = (q: Point): Float64Array => {
    const { jac, value } = fn(q.x, q.u, q.theta);
    const g = new Float64Array(nv);
    for (let i = 0; i < value.length; i++) for (let j = 0; j < nv; j++) g[j] += w[i] * jac[i * nv + j];
    return g;
  };
  const g0 = grad(p);
  const gScale = Math.max(...Array.from(g0, Math.abs));
  let n = 0;
  for (let j = 0; j < nv; j++) {
    const h = step(coord(p, j));
    const gp = grad(perturbed(p, j, h));
    const gm = grad(perturbed(p, j, -h));
    for (let i = 0; i < nv; i++) {
      near(H[i * nv + j], (gp[i] - gm[i]) / (2 * h), gScale, coord(p, j), `${what} Hessian (${i}, ${j})`);
      if (exactSymmetry) expect(H[i * nv + j], `${what} Hessian symmetric (${i}, ${j})`).toBe(H[j * nv + i]);
      else expect(Math.abs(H[i * nv + j] - H[j * nv + i]), `${what} Hessian symmetric (${i}, ${j})`).toBeLessThanOrEqual(1e-14 * Math.max(Math.abs(H[i * nv + j]), gScale));
      n++;
    }
  }
  return n;
}

/** A stage function (residual or row) at stage k as an Fn. */
function stageFn(m: OcpModel, f: StageFunction, k: number, rt: Float64Array): Fn {
  return (x, u, theta) => {
    const o = { value: new Float64Array(f.size), jx: new Float64Array(f.size * x.length), ju: new Float64Array(f.size * u.length), jtheta: new Float64Array(f.size * theta.length) };
    f.eval(k, x, u, theta, rt, o);
    const nv = x.length + u.length + theta.length;
    const jac = new Float64Array(f.size * nv);
    for (let i = 0; i < f.size; i++) {
      for (let j = 0; j < x.length; j++) jac[i * nv + j] = o.jx[i * x.length + j];
      for (let j = 0; j < u.length; j++) jac[i * nv + x.length + j] = o.ju[i * u.length + j];
      for (let j = 0; j < theta.length; j++) jac[i * nv + x.length + u.length + j] = o.jtheta[i * theta.length + j];
    }
    return { value: o.value, jac };
  };
}

/** Jacobian blocks (f, fx, fu, ftheta) as an Fn. */
function blocksFn(nx: number, nu: number, nTheta: number, eval_: (x: Float64Array, u: Float64Array, theta: Float64Array) => { f: Float64Array; fx: Float64Array; fu: Float64Array; ftheta: Float64Array }): Fn {
  return (x, u, theta) => {
    const o = eval_(x, u, theta);
    const nv = nx + nu + nTheta;
    const jac = new Float64Array(nx * nv);
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < nx; j++) jac[i * nv + j] = o.fx[i * nx + j];
      for (let j = 0; j < nu; j++) jac[i * nv + nx + j] = o.fu[i * nu + j];
      for (let j = 0; j < nTheta; j++) jac[i * nv + nx + nu + j] = o.ftheta[i * nTheta + j];
    }
    return { value: Float64Array.from(o.f), jac };
  };
}

const files = shippedNonlinear();

describe("shipped nonlinear examples: every model derivative against central differences", () => {
  it("finds the shipped nonlinear examples", () => {
    expect(files).toEqual(expect.arrayContaining(["examples/cartpole/cartpole.mpcrl", "examples/cstr/cstr.mpcrl"]));
  });

  for (const file of files) {
    it(`${file}: dynamics, RK4 map, residuals, general terms, hard and soft rows (Jacobians and Hessians)`, () => {
      const compiled = compileToModule(readFileSync(join(root, file), "utf8"), { fileName: file });
      expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const mod = compiled.nlpModule!;
      const m = mod.template.model;
      const N = m.N;
      const nc = (m.carriedInputs ?? []).length;
      const nd = m.nx - nc;
      const r = rng(file.length * 7919);
      const checked: Record<string, number> = {};
      const count = (key: string, n: number): void => void (checked[key] = (checked[key] ?? 0) + n);
      for (let trial = 0; trial < 3; trial++) {
        const p = admissible(mod, r);
        const pd: Point = { ...p, x: p.x.slice(0, nd) };
        // the continuous (or discrete) dynamics over the declared states only
        const dyn = blocksFn(nd, m.nu, m.nTheta, (x, u, theta) => {
          const o = { f: new Float64Array(nd), fx: new Float64Array(nd * nd), fu: new Float64Array(nd * m.nu), ftheta: new Float64Array(nd * m.nTheta) };
          m.dynamics(x, u, theta, p.rt, o);
          return o;
        });
        count("dynamics", checkJacobian(dyn, pd, `${file} dynamics`));
        const lam = Float64Array.from({ length: nd }, () => 2 * r() - 1);
        const nvd = nd + m.nu + m.nTheta;
        const Hd = new Float64Array(nvd * nvd);
        m.dynamicsHessian!(pd.x, pd.u, pd.theta, p.rt, lam, Hd);
        count("dynamics Hessian", checkHessian(dyn, lam, Hd, pd, `${file} dynamics`));
        // the shooting map F (RK4 with the spec's substeps) of the compiled dynamics
        if (m.integrator.kind !== "discrete") {
          const integ = new StepIntegrator(nd, m.nu, m.nTheta, (x, u, th, rt, o) => m.dynamics(x, u, th, rt, o), m.integrator, (x, u, th, rt, l, o) => m.dynamicsHessian!(x, u, th, rt, l, o));
          const F = blocksFn(nd, m.nu, m.nTheta, (x, u, theta) => {
            const o = integ.step(x, u, theta, p.rt);
            return { f: Float64Array.from(o.f), fx: Float64Array.from(o.fx), fu: Float64Array.from(o.fu), ftheta: Float64Array.from(o.ftheta) };
          });
          count("RK4 map", checkJacobian(F, pd, `${file} ${m.integrator.kind} map`));
          F(pd.x, pd.u, pd.theta); // the integrator's Hessian is at the point of its last step
          const HF = new Float64Array(nvd * nvd);
          integ.hessian(lam, HF);
          count("RK4 map Hessian", checkHessian(F, lam, HF, pd, `${file} ${m.integrator.kind} map`, false));
        }
        const none = new Float64Array(0);
        const pN: Point = { ...p, u: none };
        const stageFns: [string, StageFunction | undefined, boolean][] = [
          ["residual", m.residual, false],
          ["terminal residual", m.terminalResidual, true],
          ["hard rows", m.constraint, false],
          ["terminal hard rows", m.terminalConstraint, true],
          ["soft rows", m.softConstraint?.fn, false],
          ["terminal soft rows", m.terminalSoftConstraint?.fn, true],
        ];
        for (const [name, f, terminal] of stageFns) {
          if (f === undefined) continue;
          for (const k of terminal ? [N] : [0, 1, N - 1]) {
            const q = terminal ? pN : p;
            const fn = stageFn(m, f, k, p.rt);
            count(name, checkJacobian(fn, q, `${file} ${name} k=${k}`));
            const w = Float64Array.from({ length: f.size }, () => 2 * r() - 1);
            const nv = nvOf(q);
            const H = new Float64Array(nv * nv);
            f.hessian!(k, q.x, q.u, q.theta, p.rt, w, H);
            count(`${name} Hessian`, checkHessian(fn, w, H, q, `${file} ${name} k=${k}`));
          }
        }
        for (const [name, g, terminal] of [
          ["general", m.general, false],
          ["terminal general", m.terminalGeneral, true],
        ] as const) {
          if (g === undefined) continue;
          for (const k of terminal ? [N] : [0, 1, N - 1]) {
            const q = terminal ? pN : p;
            const fn: Fn = (x, u, theta) => {
              const o = { gx: new Float64Array(x.length), gu: new Float64Array(u.length), gtheta: new Float64Array(theta.length) };
              const v = g.eval(k, x, u, theta, p.rt, o);
              return { value: Float64Array.of(v), jac: Float64Array.from([...o.gx, ...o.gu, ...o.gtheta]) };
            };
            count(name, checkJacobian(fn, q, `${file} ${name} k=${k}`));
            const wt = 0.5 + r();
            const nv = nvOf(q);
            const H = new Float64Array(nv * nv);
            g.hessian(k, q.x, q.u, q.theta, p.rt, wt, H);
            count(`${name} Hessian`, checkHessian(fn, [wt], H, q, `${file} ${name} k=${k}`));
          }
        }
      }
      // every callback the spec has was checked
      expect(checked.dynamics).toBeGreaterThan(0);
      expect(checked["dynamics Hessian"]).toBeGreaterThan(0);
      for (const [key, present] of [
        ["residual", m.residual],
        ["terminal residual", m.terminalResidual],
        ["general", m.general],
        ["terminal general", m.terminalGeneral],
        ["hard rows", m.constraint],
        ["soft rows", m.softConstraint],
      ] as const)
        if (present !== undefined) expect(checked[key], key).toBeGreaterThan(0);
    });
  }
});

// Solution derivatives: NonlinearMpc (runtime/nmpc/learnable.ts) of each example at its initial
// theta, against central differences of problems solved independently (a fresh controller per
// perturbed theta, cold start). The CSTR's dV/dtheta and du_0/dtheta are in nlp.test.ts; here its
// dQ/dtheta, and all three for the cart-pole example (learnables mp, l).
describe("shipped nonlinear examples: dV/dtheta, dQ/dtheta, du_0/dtheta against central differences of solved problems", () => {
  const cases: { file: string; state: number[]; input: number[]; runtime?: Record<string, number[]>; what: ("V" | "Q" | "u")[] }[] = [
    { file: "examples/cartpole/cartpole.mpcrl", state: [0.1, -0.2, 0.12, 0.3], input: [1.5], what: ["V", "Q", "u"] },
    { file: "examples/cartpole/cartpole.mpcrl", state: [-0.5, 0.4, -0.05, -0.2], input: [-3], what: ["V", "Q", "u"] },
    { file: "examples/cstr/cstr.mpcrl", state: [0.75, 0.58, 136, 133], input: [10, -400], runtime: { prev_F: [9], prev_Q: [-300] }, what: ["Q"] },
  ];
  for (const c of cases) {
    it(`${c.file} at x = [${c.state.join(", ")}]: ${c.what.map((w) => (w === "u" ? "du_0" : `d${w}`) + "/dtheta").join(", ")}`, () => {
      const mod = compileToModule(readFileSync(join(root, c.file), "utf8"), { fileName: c.file }).nlpModule!;
      const sqp = { tolerance: 1e-12, maxIterations: 200 };
      const theta0 = Array.from(mod.template.theta0);
      const ctl = mod.createController({ sqp, mode: "sqp" });
      const gv = ctl.gradValue(c.state, c.runtime);
      const gq = ctl.gradQvalue(c.state, c.input, c.runtime);
      const ps = ctl.policySensitivity(c.state, c.runtime);
      expect([gv.status, gq.status, ps.status]).toEqual(["solved", "solved", "solved"]);
      const nu = mod.template.model.nu;
      for (let j = 0; j < theta0.length; j++) {
        const h = 1e-5 * Math.max(1, Math.abs(theta0[j]));
        const at = (d: number): { v: number; q: number; u: Float64Array } => {
          const th = [...theta0];
          th[j] += d;
          const fresh = mod.createController({ sqp, mode: "sqp", theta: th });
          const v = fresh.value(c.state, c.runtime);
          const q = fresh.qvalue(c.state, c.input, c.runtime);
          const a = fresh.act(c.state, c.runtime);
          expect([v.status, q.status, a.status]).toEqual(["solved", "solved", "solved"]);
          return { v: v.value, q: q.value, u: a.u };
        };
        const p = at(h);
        const m = at(-h);
        const rel = (exact: number, fd: number, tol: number, what: string): void => {
          expect(Math.abs(exact - fd), `${what}: exact ${exact}, central difference ${fd}`).toBeLessThanOrEqual(tol * Math.abs(fd) + 1e-9);
        };
        if (c.what.includes("V")) rel(gv.grad[j], (p.v - m.v) / (2 * h), 1e-7, `dV/dtheta_${j}`);
        if (c.what.includes("Q")) rel(gq.grad[j], (p.q - m.q) / (2 * h), 1e-7, `dQ/dtheta_${j}`);
        if (c.what.includes("u")) for (let i = 0; i < nu; i++) rel(ps.jacobian[i * theta0.length + j], (p.u[i] - m.u[i]) / (2 * h), 1e-6, `du_0[${i}]/dtheta_${j}`);
      }
    });
  }
});
