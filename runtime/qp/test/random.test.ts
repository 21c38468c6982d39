// Random problems: optimality (KKT) conditions at the solution, infeasibility and unboundedness
// certificates, non-convexity, seeded for reproducibility.

import { describe, expect, it } from "vitest";
import { cscFromTriplets } from "../../sparse/ops.js";
import { QpSolver } from "../osqp.js";
import type { QpProblem } from "../types.js";
import { dense, denseToCsc, randn, randomFeasibleQp, rng } from "./helpers.js";

const tight = { epsAbs: 1e-8, epsRel: 1e-8, polish: true, maxIter: 20000 };

/** max violation of stationarity, primal feasibility, dual sign and complementarity (unscaled) */
function kktViolation(p: QpProblem, x: Float64Array, y: Float64Array): { stat: number; prim: number; sign: number; comp: number } {
  const { n, m } = p;
  const P = dense(p.P), A = dense(p.A);
  let stat = 0, prim = 0, sign = 0, comp = 0;
  for (let j = 0; j < n; j++) {
    let g = p.q[j];
    for (let k = 0; k < n; k++) g += (j <= k ? P[j * n + k] : P[k * n + j]) * x[k];
    for (let i = 0; i < m; i++) g += A[i * n + j] * y[i];
    stat = Math.max(stat, Math.abs(g));
  }
  for (let i = 0; i < m; i++) {
    let ax = 0;
    for (let j = 0; j < n; j++) ax += A[i * n + j] * x[j];
    prim = Math.max(prim, p.l[i] - ax, ax - p.u[i], 0);
    // y > 0 only at the upper bound, y < 0 only at the lower bound
    if (y[i] > 0) {
      if (p.u[i] === Infinity) sign = Math.max(sign, y[i]);
      else comp = Math.max(comp, Math.abs(y[i] * (p.u[i] - ax)));
    } else if (y[i] < 0) {
      if (p.l[i] === -Infinity) sign = Math.max(sign, -y[i]);
      else comp = Math.max(comp, Math.abs(y[i] * (ax - p.l[i])));
    }
  }
  return { stat, prim, sign, comp };
}

describe("random feasible QPs", () => {
  for (let seed = 1; seed <= 20; seed++) {
    it(`seed ${seed}: the KKT conditions hold at the solution`, () => {
      const r0 = rng(seed * 7);
      const n = 3 + Math.floor(r0() * 25), m = 1 + Math.floor(r0() * 30);
      const p = randomFeasibleQp(seed, n, m);
      const r = new QpSolver(p, tight).solve();
      expect(r.status).toBe("solved");
      const v = kktViolation(p, r.x, r.y);
      expect(v.stat).toBeLessThan(1e-5);
      expect(v.prim).toBeLessThan(1e-5);
      expect(v.sign).toBeLessThan(1e-5);
      expect(v.comp).toBeLessThan(1e-5);
      // objective reported is 0.5 x'Px + q'x
      const P = dense(p.P);
      let obj = 0;
      for (let i = 0; i < n; i++) {
        obj += p.q[i] * r.x[i];
        for (let j = 0; j < n; j++) obj += 0.5 * (i <= j ? P[i * n + j] : P[j * n + i]) * r.x[i] * r.x[j];
      }
      expect(r.objective).toBeCloseTo(obj, 8);
    });
  }
});

describe("infeasible and unbounded problems", () => {
  for (let seed = 1; seed <= 10; seed++) {
    it(`seed ${seed}: contradictory rows give primal_infeasible with a certificate`, () => {
      const base = randomFeasibleQp(seed, 6 + seed, 5 + seed);
      // append two rows a'x >= 1 and a'x <= -1 for a random a
      const r = rng(seed + 50);
      const n = base.n, m = base.m + 2;
      const A = dense(base.A);
      const A2 = new Float64Array(m * n);
      A2.set(A);
      for (let j = 0; j < n; j++) {
        const a = randn(r);
        A2[base.m * n + j] = a;
        A2[(base.m + 1) * n + j] = 2 * a;
      }
      const l = Float64Array.from([...base.l, 1, -Infinity]);
      const u = Float64Array.from([...base.u, Infinity, -2]);
      const p: QpProblem = { ...base, m, A: denseToCsc(m, n, A2), l, u };
      const res = new QpSolver(p).solve();
      expect(res.status).toBe("primal_infeasible");
      const c = res.primalInfeasibilityCertificate as Float64Array;
      let sup = 0;
      for (let i = 0; i < m; i++) sup += c[i] > 0 ? u[i] * c[i] : c[i] < 0 ? l[i] * c[i] : 0;
      expect(sup).toBeLessThan(0);
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += A2[i * n + j] * c[i];
        expect(Math.abs(s)).toBeLessThan(1e-3);
      }
    });

    it(`seed ${seed}: a linear objective along a free direction gives dual_infeasible`, () => {
      const r = rng(seed + 90);
      const n = 4 + seed;
      // P = 0 on the last variable, which appears in no constraint and has q < 0
      const tP: [number[], number[], number[]] = [[], [], []];
      for (let j = 0; j < n - 1; j++) { tP[0].push(j); tP[1].push(j); tP[2].push(1 + r()); }
      const P = cscFromTriplets(n, n, tP[0], tP[1], tP[2]);
      const m = n - 1;
      const tA: [number[], number[], number[]] = [[], [], []];
      for (let i = 0; i < m; i++) { tA[0].push(i); tA[1].push(i); tA[2].push(1); }
      const A = cscFromTriplets(m, n, tA[0], tA[1], tA[2]);
      const q = Float64Array.from({ length: n }, (_, j) => (j === n - 1 ? -1 - r() : randn(r)));
      const p: QpProblem = { n, m, P, q, A, l: new Float64Array(m).fill(-1), u: new Float64Array(m).fill(1) };
      const res = new QpSolver(p).solve();
      expect(res.status).toBe("dual_infeasible");
      const d = res.dualInfeasibilityCertificate as Float64Array;
      let qd = 0;
      for (let j = 0; j < n; j++) qd += q[j] * d[j];
      expect(qd).toBeLessThan(0);
      expect(Math.abs(d[n - 1])).toBeCloseTo(1, 3);
    });
  }

  it("a non-convex P is reported as non_convex", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const base = randomFeasibleQp(seed, 8, 6);
      const P = dense(base.P);
      P[3 * 8 + 3] = -5; // a negative diagonal entry: P is indefinite
      const p = { ...base, P: denseToCsc(8, 8, P, true) };
      const r = new QpSolver(p).solve();
      expect(r.status).toBe("non_convex");
      expect(r.message).toMatch(/positive semidefinite/);
    }
  });
});

describe("polishing at the iteration limit", () => {
  it("turns an unfinished solve into 'solved' only when the polished point meets the tolerances", () => {
    let upgraded = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const p = randomFeasibleQp(seed + 300, 15, 12);
      const r = new QpSolver(p, { epsAbs: 1e-9, epsRel: 1e-9, polish: true, maxIter: 50 }).solve();
      if (r.status === "solved" && r.iterations === 50) {
        upgraded++;
        expect(r.polishStatus).toBe("success");
        const v = kktViolation(p, r.x, r.y);
        expect(v.stat).toBeLessThan(1e-6);
        expect(v.prim).toBeLessThan(1e-6);
        expect(v.sign).toBeLessThan(1e-6);
        expect(v.comp).toBeLessThan(1e-6);
      }
      const plain = new QpSolver(p, { epsAbs: 1e-9, epsRel: 1e-9, polish: false, maxIter: 50 }).solve();
      expect(plain.status).not.toBe("solved");
    }
    expect(upgraded).toBeGreaterThan(0);
  });
});
