// Schur-complement updates of the working-set KKT solves (schur.ts, Gill, Murray, Saunders & Wright
// 1990): on MPC KKT matrices (mpc_qp.ts), random sequences of row additions and removals solved by
// bordering one factorization give the solutions of a refactorization of every working set (to
// 1e-10 after refinement), through both ways of applying the Schur complement (kept W columns and
// two solves), deletions of borders and the refactorization at the cap; ActiveSetQp with and
// without the updates reaches the same answers, and its final factorization is the final set's.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActiveSetQp } from "../active_set.js";
import { ActiveKkt } from "../kkt.js";
import { SchurKkt } from "../schur.js";
import type { QpProblem } from "../types.js";
import { mpcQp } from "./mpc_qp.js";
import { rng } from "./helpers.js";

const DELTA = 1e-10;

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < v.length; k++) m = Math.max(m, Math.abs(v[k]));
  return m;
}

/** Refined solution of the working set's KKT system with a solve (Schur or fresh) and a refinement. */
function refined(p: QpProblem, kkt: ActiveKkt, schur: SchurKkt | undefined, active: Int8Array, rhs: Float64Array): { sol: Float64Array; res: number } {
  const N = p.n + p.m;
  const sol = Float64Array.from(rhs);
  const res = new Float64Array(N);
  const target = 1e-13 * Math.max(1, maxAbs(rhs));
  let norm: number;
  if (schur !== undefined) {
    schur.solve(sol);
    norm = schur.refine(p.P.values, p.A.values, active, rhs, sol, res, 12, 0, target, 0.5);
  } else {
    kkt.solve(sol);
    norm = kkt.refine(p.P.values, p.A.values, rhs, sol, res, 12, 0, target, 0.5);
  }
  return { sol, res: norm };
}

interface Stats {
  compared: number;
  capRefactors: number;
  deletions: number;
  wPath: number;
  twoSolvePath: number;
  singular: number;
}

/**
 * Applies `steps` random toggles of inequality rows to a random starting set; after each, the
 * Schur path (rebased after a refactorization when the cap is reached, as ActiveSetQp does)
 * against a fresh factorization of the set, on a random right-hand side. Sets whose fresh KKT matrix
 * lacks the inertia of a strict minimizer (dependent rows, zero curvature) are not compared (both
 * solutions are then ~1/delta along a null vector).
 */
function runSequence(seed: number, N: number, cap: number, steps: number, stats: Stats): number {
  const r = rng(seed);
  const p = mpcQp(N, [0.6 * r() - 0.1, 0.4 * r() - 0.2], { soft: true, gamma: 0.9 });
  // the slack rows s_k >= 0 (one entry) stay active, so no slack is a free zero-curvature direction;
  // the lower rows of the softened state bounds and of the input bounds are toggled at random (with
  // the upper rows too, most sets would be dependent)
  const rowNnz = new Int32Array(p.m);
  for (let k = 0; k < p.A.colPtr[p.n]; k++) rowNnz[p.A.rowIdx[k]]++;
  const ineq: number[] = [];
  const active = new Int8Array(p.m);
  for (let i = 0; i < p.m; i++) {
    if (p.l[i] === p.u[i]) active[i] = 1;
    else if (!(p.l[i] > -Infinity || p.u[i] < Infinity)) continue;
    else if (rowNnz[i] === 1 && p.l[i] === 0 && p.u[i] === Infinity) active[i] = -1;
    else if (p.l[i] > -Infinity) {
      // the lower rows x + s >= lb and the input bounds (at their lower side)
      ineq.push(i);
      if (r() < 0.1) active[i] = -1;
    }
  }
  const base = new ActiveKkt(p.P, p.A);
  const fresh = new ActiveKkt(p.P, p.A);
  const schur = new SchurKkt(base, cap);
  expect(base.factor(p.P.values, p.A.values, active, DELTA)).toBe(true);
  schur.rebase(p.A.values);
  const N2 = p.n + p.m;
  let worst = 0;
  for (let s = 0; s < steps; s++) {
    // one to three toggles per working set (a removal of a row added before deletes its border)
    const changes = 1 + Math.floor(3 * r());
    for (let c = 0; c < changes; c++) {
      const i = ineq[Math.floor(r() * ineq.length)];
      active[i] = active[i] !== 0 ? 0 : p.l[i] > -Infinity ? -1 : 1;
    }
    const before = schur.size;
    let ok = schur.update(active);
    if (ok && schur.size < before + changes) stats.deletions++;
    if (!ok) {
      // the cap (or a singular Schur complement): refactor this set and start again from it
      if (schur.size + changes > cap) stats.capRefactors++;
      if (!base.factor(p.P.values, p.A.values, active, DELTA)) continue;
      schur.rebase(p.A.values);
      ok = schur.update(active);
      expect(ok).toBe(true);
      expect(schur.size).toBe(0);
    }
    if (!fresh.factor(p.P.values, p.A.values, active, DELTA) || !fresh.inertiaOk) continue;
    const rhs = new Float64Array(N2);
    for (let k = 0; k < N2; k++) rhs[k] = 2 * r() - 1;
    for (let i = 0; i < p.m; i++) if (active[i] === 0) rhs[p.n + i] = 0;
    const b = refined(p, fresh, undefined, active, rhs);
    // a singular set (the regularized solution ~1/delta along a null vector: no refinement to
    // round-off) has no solution to compare
    const scale = Math.max(1, maxAbs(b.sol));
    if (!(b.res <= 1e-12 * scale)) {
      stats.singular++;
      continue;
    }
    if (schur.size > 0) {
      if (schur.size <= schur.wMax) stats.wPath++;
      else stats.twoSolvePath++;
    }
    const a = refined(p, base, schur, active, rhs);
    expect(a.res).toBeLessThanOrEqual(1e-12 * scale);
    let diff = 0;
    for (let k = 0; k < N2; k++) diff = Math.max(diff, Math.abs(a.sol[k] - b.sol[k]));
    worst = Math.max(worst, diff / scale);
    stats.compared++;
  }
  return worst;
}

describe("SchurKkt", () => {
  it("gives the working-set solutions of a refactorization (1e-10) on random add/remove sequences, through the cap", () => {
    const stats: Stats = { compared: 0, capRefactors: 0, deletions: 0, wPath: 0, twoSolvePath: 0, singular: 0 };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 6, max: 20 }), fc.integer({ min: 4, max: 24 }), (seed, N, cap) => {
        expect(runSequence(seed, N, cap, 40, stats)).toBeLessThan(1e-10);
      }),
      { seed: 14014, numRuns: 100 },
    );
    // every part of the update was exercised
    if (process.env.SCHUR_STATS) console.log(JSON.stringify(stats));
    expect(stats.compared).toBeGreaterThan(300);
    expect(stats.capRefactors).toBeGreaterThan(10);
    expect(stats.deletions).toBeGreaterThan(10);
    expect(stats.wPath).toBeGreaterThan(50);
    expect(stats.twoSolvePath).toBeGreaterThan(30);
  });

  it("solves the bordered system of a removed row with its decoupled multiplier (-b_j) and none in stationarity", () => {
    const p = mpcQp(8, [0.5, 0.1], { soft: true, gamma: 0.9 });
    const active = new Int8Array(p.m);
    for (let i = 0; i < p.m; i++) if (p.l[i] === p.u[i] || (p.l[i] === 0 && p.u[i] === Infinity)) active[i] = p.l[i] === p.u[i] ? 1 : -1;
    const base = new ActiveKkt(p.P, p.A);
    expect(base.factor(p.P.values, p.A.values, active, DELTA)).toBe(true);
    const schur = new SchurKkt(base, 8);
    schur.rebase(p.A.values);
    // remove one slack row active in the base, add an input bound
    const removed = active.findIndex((a, i) => a !== 0 && p.l[i] !== p.u[i]);
    const added = Array.from(p.l).findIndex((v, i) => v === -1 && p.u[i] === 1);
    const next = Int8Array.from(active);
    next[removed] = 0;
    next[added] = 1;
    expect(schur.update(next)).toBe(true);
    expect(schur.size).toBe(2);
    const fresh = new ActiveKkt(p.P, p.A);
    expect(fresh.factor(p.P.values, p.A.values, next, DELTA)).toBe(true);
    const N2 = p.n + p.m;
    const r = rng(3);
    const b = new Float64Array(N2).map(() => 2 * r() - 1);
    for (let i = 0; i < p.m; i++) if (next[i] === 0) b[p.n + i] = 0;
    b[p.n + removed] = 0.25;
    const x1 = Float64Array.from(b);
    const x2 = Float64Array.from(b);
    schur.solve(x1);
    fresh.solve(x2);
    expect(x1[p.n + removed]).toBe(-0.25);
    // the regularized solves (condition ~1/delta) agree to round-off times 1/delta; refined, to 1e-10
    let scale = Math.max(1, maxAbs(x2));
    for (let k = 0; k < N2; k++) expect(Math.abs(x1[k] - x2[k])).toBeLessThan(1e-5 * scale);
    const a = refined(p, base, schur, next, b);
    const c = refined(p, fresh, undefined, next, b);
    expect(c.res).toBeLessThanOrEqual(1e-12);
    expect(a.res).toBeLessThanOrEqual(1e-12);
    scale = Math.max(1, maxAbs(c.sol));
    for (let k = 0; k < N2; k++) expect(Math.abs(a.sol[k] - c.sol[k])).toBeLessThan(1e-10 * scale);
    expect(a.sol[p.n + removed]).toBe(-0.25);
    // back to the base set: the borders are deleted, the base solve again
    expect(schur.update(active)).toBe(true);
    expect(schur.size).toBe(0);
  });
});

describe("ActiveSetQp with Schur-complement updates", () => {
  it("reaches the answers of refactoring every set, and leaves the final set's own factorization", () => {
    let bordered = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 10, max: 40 }), fc.integer({ min: 2, max: 12 }), (seed, N, cap) => {
        const r = rng(seed);
        const p = mpcQp(N, [1.2 * r() - 0.2, 0.8 * r() - 0.4], { soft: r() < 0.7, gamma: 0.9 });
        const withSchur = new ActiveSetQp(p.P, p.A, { schurCap: cap, schurAfter: 1 });
        const without = new ActiveSetQp(p.P, p.A, { schurCap: 0 });
        const a1 = new Int8Array(p.m);
        const a2 = new Int8Array(p.m);
        const s1 = withSchur.solve(p.P.values, p.q, p.A.values, p.l, p.u, a1);
        const s2 = without.solve(p.P.values, p.q, p.A.values, p.l, p.u, a2);
        expect(without.schurSets).toBe(0);
        expect(without.factorizations).toBe(without.iterations);
        bordered += withSchur.schurSets;
        expect(s1).toBe(s2);
        if (s1 !== "solved") return;
        const xs = Math.max(1, maxAbs(without.x));
        const ys = Math.max(1, maxAbs(without.y));
        for (let j = 0; j < p.n; j++) expect(Math.abs(withSchur.x[j] - without.x[j])).toBeLessThan(1e-9 * xs);
        for (let i = 0; i < p.m; i++) expect(Math.abs(withSchur.y[i] - without.y[i])).toBeLessThan(1e-9 * ys);
        // the factorization handed to the sensitivities is of the final working set
        expect(withSchur.kkt.matches(p.P.values, p.A.values, a1)).toBe(true);
        expect(withSchur.kkt.inertiaOk).toBe(true);
      }),
      { seed: 1414, numRuns: 30 },
    );
    expect(bordered).toBeGreaterThan(30);
  });
});
