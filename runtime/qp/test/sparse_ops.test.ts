// CSC helpers against dense arithmetic.

import { describe, expect, it } from "vitest";
import {
  checkCsc,
  cscFromTriplets,
  cscMatTVec,
  cscMatVec,
  cscSymUpperMatVec,
  cscSymUpperQuadForm,
  cscToDense,
  cscTranspose,
  cscUpperTriangle,
} from "../../sparse/ops.js";
import { randn, rng } from "./helpers.js";

describe("sparse ops", () => {
  it("builds from triplets (summing duplicates) and agrees with dense products", () => {
    const r = rng(11);
    const rows = 7, cols = 5;
    const ti: number[] = [], tj: number[] = [], tv: number[] = [];
    const D = new Float64Array(rows * cols);
    for (let k = 0; k < 25; k++) {
      const i = Math.floor(r() * rows), j = Math.floor(r() * cols), v = randn(r);
      ti.push(i); tj.push(j); tv.push(v);
      D[i * cols + j] += v;
    }
    const M = cscFromTriplets(rows, cols, ti, tj, tv);
    expect(checkCsc(M, rows, cols, "M")).toBeNull();
    const dense = cscToDense(M);
    for (let k = 0; k < D.length; k++) expect(dense[k]).toBeCloseTo(D[k], 12);
    const x = Float64Array.from({ length: cols }, () => randn(r));
    const y = new Float64Array(rows);
    cscMatVec(M, x, y);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += D[i * cols + j] * x[j];
      expect(y[i]).toBeCloseTo(s, 12);
    }
    const w = Float64Array.from({ length: rows }, () => randn(r));
    const t = new Float64Array(cols);
    cscMatTVec(M, w, t);
    const Mt = cscTranspose(M);
    expect(checkCsc(Mt, cols, rows, "Mt")).toBeNull();
    const t2 = new Float64Array(cols);
    cscMatVec(Mt, w, t2);
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s += D[i * cols + j] * w[i];
      expect(t[j]).toBeCloseTo(s, 12);
      expect(t2[j]).toBeCloseTo(s, 12);
    }
  });

  it("symmetric products from the upper triangle", () => {
    const r = rng(5);
    const n = 6;
    const S = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) if (r() < 0.6) S[i * n + j] = S[j * n + i] = randn(r);
    const ti: number[] = [], tj: number[] = [], tv: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (S[i * n + j] !== 0) { ti.push(i); tj.push(j); tv.push(S[i * n + j]); }
    const U = cscUpperTriangle(cscFromTriplets(n, n, ti, tj, tv));
    for (let j = 0; j < n; j++) for (let p = U.colPtr[j]; p < U.colPtr[j + 1]; p++) expect(U.rowIdx[p]).toBeLessThanOrEqual(j);
    const x = Float64Array.from({ length: n }, () => randn(r));
    const y = new Float64Array(n);
    cscSymUpperMatVec(U, x, y);
    let quad = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += S[i * n + j] * x[j];
      expect(y[i]).toBeCloseTo(s, 12);
      quad += x[i] * s;
    }
    expect(cscSymUpperQuadForm(U, x)).toBeCloseTo(quad, 12);
  });

  it("checkCsc names the problem", () => {
    const M = cscFromTriplets(3, 2, [0, 2], [0, 1], [1, 1]);
    expect(checkCsc(M, 3, 3, "A")).toMatch(/shape 3x2, expected 3x3/);
    expect(checkCsc({ ...M, rowIdx: Int32Array.from([2, 0]), colPtr: Int32Array.from([0, 2, 2]) }, 3, 2, "A")).toMatch(/not strictly increasing in column 0/);
  });
});
