// The one KKT pattern (kkt.ts: pattern + position maps), its cache, and the row classification.

import { describe, expect, it } from "vitest";
import { amdOrder } from "../../linalg/amd.js";
import {
  classifyRows,
  ROW_EQUALITY,
  ROW_INACTIVE,
  ROW_LOWER,
  ROW_UPPER,
} from "../sensitivity_active_set.js";
import { buildKktPattern as buildKktLayout, kktPatternFor } from "../kkt.js";
import { randomQp, toDense } from "./sensitivity_ref.js";

describe("buildKktPattern", () => {
  it.each([1, 2, 3])("seed %i: values placed through the maps form [[P, A'], [A, -I]]", (seed) => {
    const { problem } = randomQp(seed);
    const { n, m, P, A } = problem;
    const L = buildKktLayout(P, A);
    const N = n + m;
    expect(L.pattern.rows).toBe(N);
    const kx = new Float64Array(L.pattern.colPtr[N]);
    for (let k = 0; k < P.values.length; k++) kx[L.pMap[k]] += P.values[k];
    for (let k = 0; k < A.values.length; k++) kx[L.aMap[k]] += A.values[k];
    for (let i = 0; i < m; i++) kx[L.dualDiag[i]] += -1;
    const K = toDense({ ...L.pattern, values: kx }, true);
    const Pd = toDense(P, true);
    const Ad = toDense(A, false);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        let expected: number;
        if (i < n && j < n) expected = Pd[i * n + j];
        else if (i >= n && j >= n) expected = i === j ? -1 : 0;
        else if (i >= n) expected = Ad[(i - n) * n + j];
        else expected = Ad[(j - n) * n + i];
        expect(K[i * N + j]).toBe(expected);
      }
    }
    // upper triangle, sorted rows within each column, every diagonal present
    for (let j = 0; j < N; j++) {
      for (let k = L.pattern.colPtr[j]; k < L.pattern.colPtr[j + 1]; k++) {
        expect(L.pattern.rowIdx[k]).toBeLessThanOrEqual(j);
        if (k > L.pattern.colPtr[j]) expect(L.pattern.rowIdx[k]).toBeGreaterThan(L.pattern.rowIdx[k - 1]);
      }
    }
    for (let j = 0; j < n; j++) expect(L.pattern.rowIdx[L.pDiag[j]]).toBe(j);
  });

  it("adds the diagonal where P has none, and rejects entries below the diagonal", () => {
    const P = { rows: 2, cols: 2, colPtr: Int32Array.from([0, 0, 1]), rowIdx: Int32Array.from([0]) };
    const A = { rows: 1, cols: 2, colPtr: Int32Array.from([0, 1, 2]), rowIdx: Int32Array.from([0, 0]) };
    const L = buildKktLayout(P, A);
    expect(Array.from(L.pattern.colPtr)).toEqual([0, 1, 3, 6]);
    expect(Array.from(L.pattern.rowIdx)).toEqual([0, 0, 1, 0, 1, 2]);
    const lower = { rows: 2, cols: 2, colPtr: Int32Array.from([0, 1, 1]), rowIdx: Int32Array.from([1]) };
    expect(() => buildKktLayout(lower, A)).toThrow(TypeError);
  });

  it("kktPatternFor reuses the pattern for the same index arrays only", () => {
    const { problem } = randomQp(4);
    const a = kktPatternFor(problem.P, problem.A, amdOrder);
    const otherValues = { ...problem.P, values: new Float64Array(problem.P.values.length) };
    const b = kktPatternFor(otherValues, { ...problem.A }, amdOrder);
    expect(b.kkt).toBe(a.kkt);
    const c = kktPatternFor(problem.P, { ...problem.A, rowIdx: problem.A.rowIdx.slice() }, amdOrder);
    expect(c.kkt).not.toBe(a.kkt);
    expect(Array.from(c.perm)).toEqual(Array.from(a.perm));
  });
});

describe("classifyRows", () => {
  const run = (l: number[], u: number[], s: number[], y: number[], weakChoice: "inactive" | "active" = "inactive") => {
    const state = new Int8Array(l.length);
    const weak = new Uint8Array(l.length);
    const counts = classifyRows(l, u, s, y, 1e-6, weakChoice, state, weak);
    return { state: Array.from(state), weak: Array.from(weak), counts };
  };

  it("equality, lower, upper, inactive, one-sided and free rows", () => {
    const r = run([1, 0, -Infinity, 0, -Infinity, -Infinity], [1, 5, 2, 1, Infinity, 3], [1, 0, 2, 0.5, 7, -4], [0.3, -2, 1.5, 0, 0.8, 0]);
    expect(r.state).toEqual([ROW_EQUALITY, ROW_LOWER, ROW_UPPER, ROW_INACTIVE, ROW_INACTIVE, ROW_INACTIVE]);
    expect(r.counts).toEqual({ active: 3, weak: 0 });
  });

  it("weighs distance against multiplier like OSQP's polish (inaccurate solutions)", () => {
    // 1e-4 from the bound but a multiplier of 0.5: active; 0.3 away with multiplier 1e-3: inactive
    const r = run([0, 0], [10, 10], [1e-4, 0.3], [-0.5, -1e-3]);
    expect(r.state).toEqual([ROW_LOWER, ROW_INACTIVE]);
  });

  it("flags weakly active rows and applies the one-sided choice", () => {
    const args = [[0, -1], [1, 2], [0, 2], [0, 1e-9]] as const;
    const asInactive = run([...args[0]], [...args[1]], [...args[2]], [...args[3]]);
    expect(asInactive.weak).toEqual([1, 1]);
    expect(asInactive.state).toEqual([ROW_INACTIVE, ROW_INACTIVE]);
    const asActive = run([...args[0]], [...args[1]], [...args[2]], [...args[3]], "active");
    expect(asActive.state).toEqual([ROW_LOWER, ROW_UPPER]);
    expect(asActive.counts).toEqual({ active: 2, weak: 2 });
  });
});
