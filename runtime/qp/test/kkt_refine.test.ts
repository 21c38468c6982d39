// ActiveKkt.solveRefined (kkt.ts; SparseLdl.solveRefined in ldl.ts): the solve with the regularized
// factor and its refinement computed from the factored values with K's diagonal give the solution of
// the UNREGULARIZED working-set system. Checked against two independent computations on MPC KKT
// matrices (mpc_qp.ts) with random working sets, unscaled and Ruiz-equilibrated, over successive
// factorizations of one object (other sets, another delta): the residual rhs - K sol from P and A
// themselves (`mul`), and `solve` + `refine` (the refinement against P and A).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActiveKkt } from "../kkt.js";
import { mpcQp } from "./mpc_qp.js";
import { rng } from "./helpers.js";

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < v.length; k++) m = Math.max(m, Math.abs(v[k]));
  return m;
}

describe("ActiveKkt.solveRefined", () => {
  it("solves the unregularized working-set system: its residual from P and A, and solve + refine agree", () => {
    let compared = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 3, max: 30 }), fc.boolean(), (seed, N, equilibrate) => {
        const r = rng(seed);
        const p = mpcQp(N, [0.6 * r() - 0.1, 0.4 * r() - 0.2], { soft: r() < 0.5, gamma: r() < 0.5 ? 0.9 : 1 });
        const { n, m } = p;
        const kkt = new ActiveKkt(p.P, p.A, { wasm: true, refine: true });
        const plain = new ActiveKkt(p.P, p.A);
        expect(kkt.canRefine).toBe(true);
        const active = new Int8Array(m);
        const rhs = new Float64Array(n + m);
        const sol = new Float64Array(n + m), ref = new Float64Array(n + m), res = new Float64Array(n + m);
        for (const delta of [1e-10, 1e-8]) {
          // a random working set: equality rows active, each inequality row with probability 0.08
          for (let i = 0; i < m; i++) active[i] = p.l[i] === p.u[i] ? 1 : r() < 0.08 ? (r() < 0.5 ? -1 : 1) : 0;
          // (an inactive row's equation is -y_i = rhs_i: nonzero here, so its diagonal counts)
          for (let k = 0; k < n + m; k++) rhs[k] = 2 * r() - 1;
          expect(kkt.factor(p.P.values, p.A.values, active, delta, equilibrate)).toBe(true);
          expect(plain.factor(p.P.values, p.A.values, active, delta, equilibrate)).toBe(true);
          const norm = kkt.solveRefined(rhs, sol, 12, 0, 1e-13 * Math.max(1, maxAbs(rhs)), 1e-13, 0.5);
          ref.set(rhs);
          plain.solve(ref);
          const refNorm = plain.refine(p.P.values, p.A.values, rhs, ref, res, 12, 0, 1e-13 * Math.max(1, maxAbs(rhs), maxAbs(ref)), 0.5);
          // a singular set (dependent rows: the regularized factorization still has the quasi-definite
          // inertia) has no solution for this right-hand side: both points are then ~1/delta along a
          // null vector and the reference refinement stalls; such sets are not compared
          if (!(refNorm <= 1e-12 * Math.max(1, maxAbs(rhs), maxAbs(ref)))) continue;
          const scale = Math.max(1, maxAbs(rhs), maxAbs(sol));
          // the residual of K (not of the regularized matrix), from P and A themselves
          kkt.mul(p.P.values, p.A.values, sol, res);
          let own = 0;
          for (let k = 0; k < n + m; k++) own = Math.max(own, Math.abs(rhs[k] - res[k]));
          expect(own).toBeLessThanOrEqual(1e-12 * scale);
          // the size it reports is that residual's (in the caller's units, to round-off)
          expect(Math.abs(norm - own)).toBeLessThanOrEqual(1e-14 * scale);
          for (let k = 0; k < n + m; k++) expect(Math.abs(sol[k] - ref[k])).toBeLessThanOrEqual(1e-9 * scale);
          compared++;
        }
      }),
      { numRuns: 80, seed: 20261207 },
    );
    expect(compared).toBeGreaterThan(50);
  });

  it("reports the unrefined residual and the size of one correction in the caller's units", () => {
    // no correction: the residual is that of C^-1 rhs against K, about delta x |sol|; one correction:
    // lastCorrection is the change of sol
    const p = mpcQp(12, [0.3, 0.1], { soft: true, gamma: 0.9 });
    const { n, m } = p;
    const kkt = new ActiveKkt(p.P, p.A, { wasm: true, refine: true });
    const active = new Int8Array(m);
    for (let i = 0; i < m; i++) active[i] = p.l[i] === p.u[i] ? 1 : 0;
    for (const equilibrate of [false, true]) {
      expect(kkt.factor(p.P.values, p.A.values, active, 1e-6, equilibrate)).toBe(true);
      const rhs = Float64Array.from({ length: n + m }, (_, k) => (k < n ? Math.sin(k + 1) : active[k - n] === 0 ? 0 : Math.cos(k)));
      const s0 = new Float64Array(n + m), s1 = new Float64Array(n + m), res = new Float64Array(n + m);
      const n0 = kkt.solveRefined(rhs, s0, 0, 0, 0, 0, 0.5);
      kkt.mul(p.P.values, p.A.values, s0, res);
      let own = 0;
      for (let k = 0; k < n + m; k++) own = Math.max(own, Math.abs(rhs[k] - res[k]));
      expect(own).toBeGreaterThan(1e-9);
      expect(Math.abs(n0 - own)).toBeLessThanOrEqual(1e-9 * own);
      kkt.solveRefined(rhs, s1, 1, 0, 0, 0, 0.5);
      let change = 0;
      for (let k = 0; k < n + m; k++) change = Math.max(change, Math.abs(s1[k] - s0[k]));
      expect(change).toBeGreaterThan(0);
      expect(Math.abs(kkt.lastCorrection - change)).toBeLessThanOrEqual(1e-9 * change);
    }
  });
});

describe("ActiveKkt refactorization with the same P, A and delta", () => {
  it("rewrites only the rows whose activity changed: the factorization of a fresh assembly, bitwise", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 2, max: 25 }), (seed, N) => {
        const r = rng(seed);
        const p = mpcQp(N, [0.6 * r() - 0.1, 0.4 * r() - 0.2], { soft: r() < 0.5, gamma: r() < 0.5 ? 0.9 : 1 });
        const { n, m } = p;
        const kept = new ActiveKkt(p.P, p.A, { wasm: true, refine: true });
        const active = new Int8Array(m);
        const aValues = Float64Array.from(p.A.values);
        const rhs = new Float64Array(n + m);
        const a = new Float64Array(n + m), b = new Float64Array(n + m);
        let delta = 1e-10;
        for (let step = 0; step < 12; step++) {
          // toggle a few rows; now and then other A values or another delta (a full assembly)
          for (let t = 0; t < 3; t++) {
            const i = Math.floor(r() * m);
            if (p.l[i] !== p.u[i]) active[i] = active[i] !== 0 ? 0 : r() < 0.5 ? -1 : 1;
          }
          for (let i = 0; i < m; i++) if (p.l[i] === p.u[i]) active[i] = 1;
          if (r() < 0.15) aValues[Math.floor(r() * aValues.length)] *= 1.5;
          if (r() < 0.1) delta = delta === 1e-10 ? 1e-8 : 1e-10;
          const fresh = new ActiveKkt(p.P, p.A, { wasm: true, refine: true });
          const okKept = kept.factor(p.P.values, aValues, active, delta);
          const okFresh = fresh.factor(p.P.values, aValues, active, delta);
          expect(okKept).toBe(okFresh);
          if (!okFresh) continue;
          expect([kept.positivePivots, kept.negativePivots]).toEqual([fresh.positivePivots, fresh.negativePivots]);
          expect(kept.matches(p.P.values, aValues, active)).toBe(true);
          for (let k = 0; k < n + m; k++) rhs[k] = 2 * r() - 1;
          a.set(rhs);
          b.set(rhs);
          kept.solve(a);
          fresh.solve(b);
          expect(Array.from(a)).toEqual(Array.from(b));
          const na = kept.solveRefined(rhs, a, 6, 0, 1e-13, 1e-13, 0.5);
          const nb = fresh.solveRefined(rhs, b, 6, 0, 1e-13, 1e-13, 0.5);
          expect(na).toBe(nb);
          expect(Array.from(a)).toEqual(Array.from(b));
        }
      }),
      { numRuns: 60, seed: 20261207 },
    );
  });
});
