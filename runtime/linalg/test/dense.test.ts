// The one dense module (runtime/linalg/dense.ts): eigenvalues against known spectra, Cholesky and
// the solves against their definitions, the stability test, and totality (no exception on bad data).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  add,
  cholesky,
  choleskyAddedIdentity,
  choleskyShifted,
  cholSolve,
  convexifyEigen,
  dense,
  fromRows,
  identity,
  isPsd,
  isSchurStable,
  luSolve,
  matmul,
  maxAbs,
  minEigenvalue,
  psdFactor,
  scale,
  solve,
  symEigenInPlace,
  symEigenvalues,
  transpose,
  type Dense,
} from "../dense.js";

const SEED = { seed: 20261205 };
const entries = (k: number, range = 2) => fc.array(fc.double({ min: -range, max: range, noNaN: true }), { minLength: k, maxLength: k });
const square = (n: number, range = 2) => entries(n * n, range).map((v) => dense(n, n, v));

/** An orthogonal matrix: the product of Householder reflections I - 2 v v' / v'v. */
function orthogonal(n: number, vs: readonly number[][]): Dense {
  let Qm = identity(n);
  for (const v of vs) {
    const vv = v.reduce((s, x) => s + x * x, 0);
    if (vv < 1e-6) continue;
    const H = identity(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H.data[i * n + j] -= (2 * v[i] * v[j]) / vv;
    Qm = matmul(Qm, H);
  }
  return Qm;
}

describe("symEigenvalues (cyclic Jacobi)", () => {
  it("returns a known spectrum: Q diag(lambda) Q' for random orthogonal Q", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }).chain((n) => fc.tuple(fc.constant(n), entries(n, 10), fc.array(entries(n), { minLength: n, maxLength: n }))),
        ([n, lambda, vs]) => {
          const Qm = orthogonal(n, vs);
          const D = dense(n, n);
          for (let i = 0; i < n; i++) D.data[i * n + i] = lambda[i];
          const M = matmul(matmul(Qm, D), transpose(Qm));
          const ev = symEigenvalues(M);
          const want = [...lambda].sort((x, y) => x - y);
          for (let i = 0; i < n; i++) expect(Math.abs(ev[i] - want[i])).toBeLessThan(1e-10 * Math.max(1, maxAbs(D)));
        },
      ),
      { ...SEED, numRuns: 150 },
    );
  });

  it("matches the closed form of the second-difference matrix: 2 - 2 cos(k pi / (n + 1))", () => {
    for (const n of [1, 2, 5, 12, 30]) {
      const T = dense(n, n);
      for (let i = 0; i < n; i++) {
        T.data[i * n + i] = 2;
        if (i + 1 < n) T.data[i * n + i + 1] = T.data[(i + 1) * n + i] = -1;
      }
      const ev = symEigenvalues(T);
      for (let k = 1; k <= n; k++) expect(ev[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 12);
    }
  });

  it("uses the symmetric part, is exact on diagonals, ascending, and scale-invariant", () => {
    expect(Array.from(symEigenvalues(fromRows([[3, 0], [0, -1e300]])))).toEqual([-1e300, 3]);
    // [[1, 2], [0, 1]] has symmetric part [[1, 1], [1, 1]]: eigenvalues 0 and 2.
    const ev = symEigenvalues(fromRows([[1, 2], [0, 1]]));
    expect(ev[0]).toBeCloseTo(0, 14);
    expect(ev[1]).toBeCloseTo(2, 14);
    // Huge entries do not overflow the rotations.
    const big = symEigenvalues(fromRows([[1e300, 1e300], [1e300, 1e300]]));
    expect(big[0] / 1e300).toBeCloseTo(0, 12);
    expect(big[1] / 1e300).toBeCloseTo(2, 12);
    expect(minEigenvalue(dense(0, 0))).toBe(0);
    expect(isPsd(fromRows([[1, 1], [1, 1]]))).toBe(true);
    expect(isPsd(fromRows([[1, 2], [2, 1]]))).toBe(false);
  });

  it("never throws on non-finite entries", () => {
    expect(() => symEigenvalues(fromRows([[NaN, 1], [1, 0]]))).not.toThrow();
    expect(() => symEigenvalues(fromRows([[Infinity, 1], [1, 0]]))).not.toThrow();
  });
});

describe("symEigenInPlace and convexifyEigen (the SQP's Hessian convexification)", () => {
  const spectrum = fc.integer({ min: 1, max: 7 }).chain((n) => fc.tuple(fc.constant(n), entries(n, 10), fc.array(entries(n), { minLength: n, maxLength: n })));
  const build = (n: number, lambda: readonly number[], vs: readonly number[][]): Float64Array => {
    const Qm = orthogonal(n, vs);
    const D = dense(n, n);
    for (let i = 0; i < n; i++) D.data[i * n + i] = lambda[i];
    return Float64Array.from(matmul(matmul(Qm, D), transpose(Qm)).data);
  };

  it("diagonalizes with orthonormal eigenvectors: A = V diag(a) V'", () => {
    fc.assert(
      fc.property(spectrum, ([n, lambda, vs]) => {
        const A = build(n, lambda, vs);
        const a = Float64Array.from(A);
        const V = new Float64Array(n * n);
        symEigenInPlace(a, n, V);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            let rec = 0;
            let vtv = 0;
            for (let k = 0; k < n; k++) {
              rec += V[i * n + k] * a[k * n + k] * V[j * n + k];
              vtv += V[k * n + i] * V[k * n + j];
            }
            expect(Math.abs(rec - A[i * n + j])).toBeLessThan(1e-10 * 10);
            expect(Math.abs(vtv - (i === j ? 1 : 0))).toBeLessThan(1e-12);
          }
      }),
      { ...SEED, numRuns: 100 },
    );
  });

  it("mirrors (or projects) exactly the eigenvalues below the floor and keeps the eigenvectors", () => {
    fc.assert(
      fc.property(spectrum, fc.constantFrom("mirror" as const, "project" as const), ([n, lambda, vs], mode) => {
        const A = build(n, lambda, vs);
        const W = new Float64Array(n * n), V = new Float64Array(n * n), ev = new Float64Array(n);
        const before = Float64Array.from(A);
        const lmax = Math.max(1, ...lambda.map(Math.abs));
        const eps = 1e-8 * lmax;
        const changed = convexifyEigen(A, n, W, V, ev, mode);
        // (an eigenvalue within round-off of the floor may fall on either side of it)
        expect(changed).toBeGreaterThanOrEqual(lambda.filter((l) => l < eps - 1e-10 * lmax).length);
        expect(changed).toBeLessThanOrEqual(lambda.filter((l) => l < eps + 1e-10 * lmax).length);
        const want = lambda.map((l) => (l >= eps ? l : mode === "mirror" ? Math.max(-l, eps) : eps)).sort((x, y) => x - y);
        const got = symEigenvalues(dense(n, n, A));
        for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-9 * lmax);
        // positive definite afterwards; untouched (bit for bit) when nothing changed
        expect(got[0]).toBeGreaterThan(0);
        if (changed === 0) expect(Array.from(A)).toEqual(Array.from(before));
      }),
      { ...SEED, numRuns: 150 },
    );
  });
});

describe("Cholesky and the solves", () => {
  it("factors random SPD matrices: L L' = A, L lower, and cholSolve solves", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(square(n), entries(n))), ([G, b]) => {
        const n = G.rows;
        const A = add(matmul(G, transpose(G)), identity(n), 0.1);
        const L = cholesky(A);
        expect(L).toBeDefined();
        if (!L) return;
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(L.data[i * n + j]).toBe(0);
        expect(maxAbs(add(matmul(L, transpose(L)), A, -1))).toBeLessThan(1e-12 * Math.max(1, maxAbs(A)));
        const x = cholSolve(L.data, n, b, new Float64Array(n));
        const r = add(matmul(A, dense(n, 1, x)), dense(n, 1, b), -1);
        expect(maxAbs(r)).toBeLessThan(1e-9 * Math.max(1, maxAbs(A)) * Math.max(1, maxAbs(dense(n, 1, x))));
      }),
      { ...SEED, numRuns: 100 },
    );
  });

  it("rejects indefinite, singular, non-square and non-finite matrices by a value", () => {
    expect(cholesky(fromRows([[1, 2], [2, 1]]))).toBeUndefined();
    expect(cholesky(fromRows([[1, 1], [1, 1]]))).toBeUndefined();
    expect(cholesky(dense(2, 3))).toBeUndefined();
    expect(cholesky(fromRows([[NaN, 0], [0, 1]]))).toBeUndefined();
    expect(cholesky(fromRows([[Infinity, 0], [0, 1]]))).toBeUndefined();
    expect(choleskyShifted([1, 1, 1, 1], 2, 1e-3, new Float64Array(4))).toBe(true);
  });

  it("choleskyAddedIdentity: tau = 0 on SPD input, a positive shift otherwise", () => {
    const L = new Float64Array(4);
    expect(choleskyAddedIdentity(Float64Array.from([2, 1, 1, 2]), 2, L)).toBe(0);
    const tau = choleskyAddedIdentity(Float64Array.from([1, 2, 2, 1]), 2, L);
    expect(tau).toBeGreaterThan(1);
    expect(Number.isNaN(choleskyAddedIdentity(Float64Array.from([NaN, 0, 0, 1]), 2, L))).toBe(true);
  });

  it("solve (several right-hand sides) and luSolve (in place) agree with A x = b", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(square(n), entries(n))), ([A0, b]) => {
        const n = A0.rows;
        const A = add(A0, identity(n), 2 * n + 1); // strictly diagonally dominant: well conditioned
        const X = solve(A, dense(n, 1, b));
        expect(X).toBeDefined();
        if (!X) return;
        expect(maxAbs(add(matmul(A, X), dense(n, 1, b), -1))).toBeLessThan(1e-10 * Math.max(1, maxAbs(A)));
        const Ab = Float64Array.from(A.data);
        const bb = Float64Array.from(b);
        expect(luSolve(Ab, bb, n)).toBe(true);
        // One elimination: bitwise the same numbers.
        expect(Array.from(bb)).toEqual(Array.from(X.data));
      }),
      { ...SEED, numRuns: 100 },
    );
  });

  it("reports singular and NaN systems by a value", () => {
    expect(solve(fromRows([[1, 2], [2, 4]]), fromRows([[1], [2]]))).toBeUndefined();
    expect(solve(fromRows([[NaN, 0], [0, 1]]), fromRows([[1], [2]]))).toBeUndefined();
    expect(luSolve(Float64Array.from([0, 0, 0, 1]), Float64Array.from([1, 1]), 2)).toBe(false);
    expect(() => solve(dense(2, 2), dense(3, 1))).toThrow(RangeError);
  });

  it("psdFactor factors rank-deficient PSD matrices and rejects indefinite ones", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(fc.constant(n), entries(n * 2))), ([n, g]) => {
        const G = dense(n, 2, g.map((x) => Math.round(x * 1e3) / 1e3)); // rank <= 2, entries not tiny
        const P = matmul(G, transpose(G));
        const L = psdFactor(P.data, n);
        expect(L).toBeDefined();
        if (!L) return;
        const Ld = dense(n, n, L);
        expect(maxAbs(add(matmul(Ld, transpose(Ld)), P, -1))).toBeLessThan(1e-7 * Math.max(1, maxAbs(P)));
      }),
      { ...SEED, numRuns: 100 },
    );
    expect(psdFactor([1, 2, 2, 1], 2)).toBeUndefined();
    expect(psdFactor([1, 0, 1, 1], 2)).toBeUndefined(); // not symmetric
  });
});

describe("isSchurStable (spectral radius < 1)", () => {
  it("decides scaled rotations and Jordan blocks by their spectral radius", () => {
    for (const r of [0, 0.5, 0.99, 1, 1.01, 2]) {
      const c = Math.cos(0.7);
      const s = Math.sin(0.7);
      expect(isSchurStable(scale(fromRows([[c, -s], [s, c]]), r))).toBe(r < 1);
    }
    // Non-normal but stable: large transient growth, spectral radius 0.9.
    expect(isSchurStable(fromRows([[0.9, 1e3], [0, 0.9]]))).toBe(true);
    expect(isSchurStable(fromRows([[1, 1], [0, 1]]))).toBe(false);
    expect(isSchurStable(fromRows([[NaN]]))).toBe(false);
    expect(isSchurStable(dense(2, 3))).toBe(false);
  });
});
