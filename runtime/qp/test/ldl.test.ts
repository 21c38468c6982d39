import { describe, expect, it } from "vitest";
import { amdOrder, isPermutation } from "../../linalg/amd.js";
import { SparseLdl } from "../../linalg/ldl.js";
import { cscFromTriplets, cscUpperTriangle } from "../../sparse/ops.js";
import { denseToCsc, randn, rng } from "./helpers.js";

/** Random quasi-definite K = [[H, B'], [B, -G]] with H, G positive definite, dense row-major. */
function randomQuasiDefinite(seed: number, n1: number, n2: number): Float64Array {
  const r = rng(seed);
  const N = n1 + n2;
  const K = new Float64Array(N * N);
  const sym = (i: number, j: number, v: number): void => {
    K[i * N + j] = v;
    K[j * N + i] = v;
  };
  for (let i = 0; i < n1; i++) {
    sym(i, i, 1 + 3 * r());
    for (let j = 0; j < i; j++) if (r() < 0.15) sym(i, j, 0.2 * randn(r));
  }
  for (let i = 0; i < n2; i++) {
    sym(n1 + i, n1 + i, -(0.1 + r()));
    for (let j = 0; j < n1; j++) if (r() < 0.2) sym(n1 + i, j, randn(r));
  }
  // make H and G diagonally dominant, hence definite
  for (let i = 0; i < N; i++) {
    let s = 0;
    const lo = i < n1 ? 0 : n1, hi = i < n1 ? n1 : N;
    for (let j = lo; j < hi; j++) if (j !== i) s += Math.abs(K[i * N + j]);
    K[i * N + i] += Math.sign(K[i * N + i]) * s;
  }
  return K;
}

describe("SparseLdl", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`solves a random quasi-definite system exactly (seed ${seed}) and reports its inertia`, () => {
      const n1 = 12 + seed * 3, n2 = 7 + seed * 2;
      const N = n1 + n2;
      const K = randomQuasiDefinite(seed, n1, n2);
      const upper = denseToCsc(N, N, K, true);
      const ldl = new SparseLdl(upper);
      expect(ldl.factor(upper.values)).toBe(true);
      expect(ldl.positivePivots).toBe(n1);
      expect(ldl.negativePivots).toBe(n2);
      const r = rng(seed + 100);
      const xTrue = Float64Array.from({ length: N }, () => randn(r));
      const b = new Float64Array(N);
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) b[i] += K[i * N + j] * xTrue[j];
      ldl.solve(b);
      for (let i = 0; i < N; i++) expect(b[i]).toBeCloseTo(xTrue[i], 9);
      // refactorization with new values on the same pattern
      const scaled = upper.values.map((v) => 2 * v);
      expect(ldl.factor(scaled)).toBe(true);
      const b2 = new Float64Array(N);
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) b2[i] += 2 * K[i * N + j] * xTrue[j];
      ldl.solve(b2);
      for (let i = 0; i < N; i++) expect(b2[i]).toBeCloseTo(xTrue[i], 9);
    });
  }

  it("a factorization after a failed one (zero pivot) and a rescaled one is bit-identical to a fresh object's", () => {
    for (const seed of [6, 7, 8]) {
      const N = 30 + seed;
      const K = randomQuasiDefinite(seed, 20 + seed, 10);
      const upper = denseToCsc(N, N, K, true);
      const fresh = new SparseLdl(upper);
      const reused = new SparseLdl(upper);
      // the first factorization of `reused` fails at a zero pivot and leaves its scratch mid-way
      expect(reused.factor(upper.values.map(() => 0))).toBe(false);
      expect(reused.factor(upper.values.map((v) => 3 * v))).toBe(true);
      expect(reused.factor(upper.values)).toBe(true);
      expect(fresh.factor(upper.values)).toBe(true);
      const r = rng(seed);
      const a = Float64Array.from({ length: N }, () => randn(r));
      const b = Float64Array.from(a);
      fresh.solve(a);
      reused.solve(b);
      expect(Array.from(b)).toEqual(Array.from(a));
      expect([reused.positivePivots, reused.negativePivots]).toEqual([fresh.positivePivots, fresh.negativePivots]);
    }
  });

  it("reports a zero pivot instead of producing NaN", () => {
    const upper = cscFromTriplets(2, 2, [0, 0, 1], [0, 1, 1], [0, 1, 1]);
    const ldl = new SparseLdl(upper, Int32Array.from([0, 1]));
    expect(ldl.factor(upper.values)).toBe(false);
    expect(ldl.factor(Float64Array.from([1, 1, NaN]))).toBe(false);
  });

  it("counts the inertia of an indefinite matrix", () => {
    // [[1, 2], [2, 1]] has eigenvalues 3 and -1
    const upper = cscFromTriplets(2, 2, [0, 0, 1], [0, 1, 1], [1, 2, 1]);
    const ldl = new SparseLdl(upper);
    expect(ldl.factor(upper.values)).toBe(true);
    expect(ldl.positivePivots).toBe(1);
    expect(ldl.negativePivots).toBe(1);
  });
});

describe("amdOrder", () => {
  function gridLaplacian(k: number) {
    const ti: number[] = [], tj: number[] = [], tv: number[] = [];
    const id = (a: number, b: number): number => a * k + b;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        ti.push(id(a, b)); tj.push(id(a, b)); tv.push(4);
        if (a + 1 < k) { ti.push(id(a, b)); tj.push(id(a + 1, b)); tv.push(-1); }
        if (b + 1 < k) { ti.push(id(a, b)); tj.push(id(a, b + 1)); tv.push(-1); }
      }
    }
    return cscFromTriplets(k * k, k * k, ti, tj, tv);
  }

  it("returns a valid permutation with less fill than the natural order on a grid Laplacian", () => {
    const upper = gridLaplacian(20);
    const perm = amdOrder(upper);
    expect(isPermutation(perm, 400)).toBe(true);
    const natural = new SparseLdl(upper, Int32Array.from({ length: 400 }, (_, i) => i));
    const ordered = new SparseLdl(upper, perm);
    expect(ordered.nnzL).toBeLessThan(0.6 * natural.nnzL);
    // and the factorization with that ordering is still right
    expect(ordered.factor(upper.values)).toBe(true);
    expect(ordered.positivePivots).toBe(400);
  });

  it("handles empty, diagonal and dense-row patterns", () => {
    expect(amdOrder(cscFromTriplets(0, 0, [], [], [])).length).toBe(0);
    const diag = cscFromTriplets(5, 5, [0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [1, 1, 1, 1, 1]);
    expect(isPermutation(amdOrder(diag), 5)).toBe(true);
    // arrow matrix: one dense row/column (above AMD's dense threshold 10 sqrt(n)): ordered last, no fill
    const n = 400;
    const ti: number[] = [], tj: number[] = [], tv: number[] = [];
    for (let i = 0; i < n; i++) { ti.push(i); tj.push(i); tv.push(n); }
    for (let i = 1; i < n; i++) { ti.push(0); tj.push(i); tv.push(1); }
    const arrow = cscUpperTriangle(cscFromTriplets(n, n, ti, tj, tv));
    const perm = amdOrder(arrow);
    expect(isPermutation(perm, n)).toBe(true);
    expect(perm[n - 1]).toBe(0);
    expect(new SparseLdl(arrow, perm).nnzL).toBe(n - 1);
  });
});
