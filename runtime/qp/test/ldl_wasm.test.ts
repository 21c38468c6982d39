import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SparseLdl } from "../../linalg/ldl.js";
import { denseToCsc, randn, rng } from "./helpers.js";

/** Random quasi-definite K = [[H, B'], [B, -G]] (H, G diagonally dominant), dense row-major. */
function quasiDefinite(seed: number, n1: number, n2: number, density: number): Float64Array {
  const r = rng(seed);
  const N = n1 + n2;
  const K = new Float64Array(N * N);
  const sym = (i: number, j: number, v: number): void => {
    K[i * N + j] = v;
    K[j * N + i] = v;
  };
  for (let i = 0; i < n1; i++) for (let j = 0; j < i; j++) if (r() < density) sym(i, j, randn(r));
  for (let i = 0; i < n2; i++) for (let j = 0; j < n1; j++) if (r() < density) sym(n1 + i, j, randn(r));
  for (let i = 0; i < N; i++) {
    let s = 0.1 + r();
    const lo = i < n1 ? 0 : n1, hi = i < n1 ? n1 : N;
    for (let j = lo; j < hi; j++) if (j !== i) s += Math.abs(K[i * N + j]);
    K[i * N + i] = i < n1 ? s : -s;
  }
  return K;
}

describe("SparseLdl WebAssembly solves", () => {
  it("are available in Node 20", () => {
    const K = quasiDefinite(1, 3, 2, 0.5);
    expect(new SparseLdl(denseToCsc(5, 5, K, true), undefined, { wasm: true }).usesWasm).toBe(true);
    expect(new SparseLdl(denseToCsc(5, 5, K, true)).usesWasm).toBe(false);
  });

  it("give bitwise the JavaScript solution, which solves K x = b", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 30 }), fc.double({ min: 0.02, max: 0.9, noNaN: true }), (seed, n1, n2, density) => {
        const N = n1 + n2;
        const K = quasiDefinite(seed, n1, n2, density);
        const upper = denseToCsc(N, N, K, true);
        const js = new SparseLdl(upper);
        const wasm = new SparseLdl(upper, js.perm, { wasm: true });
        expect(js.factor(upper.values)).toBe(true);
        expect(wasm.factor(upper.values)).toBe(true);
        const r = rng(seed + 1);
        const xTrue = Float64Array.from({ length: N }, () => randn(r));
        const b = new Float64Array(N);
        for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) b[i] += K[i * N + j] * xTrue[j];
        const a = b.slice(), c = b.slice();
        js.solve(a);
        wasm.solve(c);
        expect(Array.from(c)).toEqual(Array.from(a));
        let scale = 1;
        for (let i = 0; i < N; i++) scale = Math.max(scale, Math.abs(xTrue[i]));
        for (let i = 0; i < N; i++) expect(Math.abs(a[i] - xTrue[i])).toBeLessThan(1e-8 * scale);
        // permuted solve, after a refactorization with new values on the same pattern
        const v2 = upper.values.map((v) => 3 * v);
        js.factor(v2);
        wasm.factor(v2);
        const p1 = b.slice(), p2 = b.slice();
        js.solvePermuted(p1);
        wasm.solvePermuted(p2);
        expect(Array.from(p2)).toEqual(Array.from(p1));
      }),
      { numRuns: 150, seed: 20261205 },
    );
  });

  it("factor: the WebAssembly factorization gives the JavaScript factor (bitwise, through its solves), its inertia, and its failures", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 40 }), fc.double({ min: 0.02, max: 0.9, noNaN: true }), (seed, N, density) => {
        // symmetric indefinite (random signs on a dominant diagonal): both pivot signs occur
        const r = rng(seed);
        const K = new Float64Array(N * N);
        for (let i = 0; i < N; i++) {
          for (let j = 0; j < i; j++) if (r() < density) K[i * N + j] = K[j * N + i] = randn(r);
        }
        for (let i = 0; i < N; i++) {
          let s = 0.1 + r();
          for (let j = 0; j < N; j++) if (j !== i) s += Math.abs(K[i * N + j]);
          K[i * N + i] = r() < 0.5 ? s : -s;
        }
        const upper = denseToCsc(N, N, K, true);
        const js = new SparseLdl(upper);
        const wasm = new SparseLdl(upper, js.perm, { wasm: true });
        expect(wasm.factor(upper.values)).toBe(js.factor(upper.values));
        expect([wasm.positivePivots, wasm.negativePivots]).toEqual([js.positivePivots, js.negativePivots]);
        expect(js.positivePivots + js.negativePivots).toBe(N);
        const b = Float64Array.from({ length: N }, () => randn(r));
        const a = b.slice(), c = b.slice();
        js.solve(a);
        wasm.solve(c);
        expect(Array.from(c)).toEqual(Array.from(a));
        // a non-finite value: both refuse, with the same counts up to the failing pivot
        const bad = upper.values.slice();
        bad[Math.floor(r() * bad.length)] = r() < 0.5 ? NaN : Infinity;
        expect(wasm.factor(bad)).toBe(js.factor(bad));
        expect([wasm.positivePivots, wasm.negativePivots]).toEqual([js.positivePivots, js.negativePivots]);
      }),
      { numRuns: 150, seed: 20261207 },
    );
    // small-integer matrices: exact cancellations give zero pivots part way, with nonzero counts;
    // then a refactorization of the same objects with other values
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 2, max: 12 }), (seed, N) => {
        const r = rng(seed);
        const K = new Float64Array(N * N);
        for (let i = 0; i < N; i++) for (let j = 0; j <= i; j++) if (r() < 0.5) K[i * N + j] = K[j * N + i] = Math.floor(r() * 5) - 2;
        const upper = denseToCsc(N, N, K.map((v, k) => (v === 0 && k % (N + 1) === 0 ? 1 : v)), true);
        const perm = Int32Array.from({ length: N }, (_, i) => i);
        const js = new SparseLdl(upper, perm);
        const wasm = new SparseLdl(upper, perm, { wasm: true });
        for (const values of [upper.values, upper.values.map((v) => v + 0.5)]) {
          const ok = js.factor(values);
          expect(wasm.factor(values)).toBe(ok);
          expect([wasm.positivePivots, wasm.negativePivots]).toEqual([js.positivePivots, js.negativePivots]);
          if (ok) {
            const b = Float64Array.from({ length: N }, (_, i) => i - 1.5);
            const a = b.slice(), c = b.slice();
            js.solve(a);
            wasm.solve(c);
            expect(Array.from(c)).toEqual(Array.from(a));
          }
        }
      }),
      { numRuns: 300, seed: 20261207 },
    );
    // a zero pivot: [[0, 1], [1, 0]] in its own order
    const zero = denseToCsc(2, 2, [0, 1, 1, 0], true);
    const perm = Int32Array.from([0, 1]);
    const js = new SparseLdl(zero, perm);
    const wasm = new SparseLdl(zero, perm, { wasm: true });
    expect(js.factor(zero.values)).toBe(false);
    expect(wasm.factor(zero.values)).toBe(false);
    expect([wasm.positivePivots, wasm.negativePivots]).toEqual([0, 0]);
  });

  it("admmStep equals the ADMM update written out in JavaScript (bitwise)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 25 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 1 }), (seed, n, m, flip) => {
        const N = n + m;
        const K = quasiDefinite(seed, n, m, 0.3);
        const upper = denseToCsc(N, N, K, true);
        const ldl = new SparseLdl(upper, undefined, { wasm: true, arenaF64: 3 * n + 7 * m, arenaI32: n + m });
        const arena = ldl.arena;
        const rhs = ldl.wasmRhs;
        if (!arena || !rhs) throw new Error("no WebAssembly");
        expect(ldl.factor(upper.values)).toBe(true);
        const r = rng(seed + 7);
        let f = 0;
        const vec = (len: number, gen: () => number): Float64Array => {
          const v = arena.f64.subarray(f, (f += len));
          for (let i = 0; i < len; i++) v[i] = gen();
          return v;
        };
        const x = vec(n, () => 0), xPrev = vec(n, () => randn(r)), qs = vec(n, () => randn(r));
        const z = vec(m, () => 0), zPrev = vec(m, () => randn(r)), y = vec(m, () => randn(r));
        const rhoVec = vec(m, () => 0.1 + r()), rhoInv = vec(m, () => 0);
        for (let i = 0; i < m; i++) rhoInv[i] = 1 / rhoVec[i];
        // some rows free, some equalities, some boxes
        const ls = vec(m, () => (r() < 0.2 ? -Infinity : -r())), us = vec(m, () => (r() < 0.2 ? Infinity : r()));
        for (let i = 0; i < m; i++) if (r() < 0.2 && Number.isFinite(ls[i])) us[i] = ls[i];
        for (let i = 0; i < m; i++) if (r() < 0.1) ls[i] = r() < 0.5 ? 0 : -0;
        const pinv = ldl.inversePerm();
        const pinvX = arena.i32.subarray(0, n), pinvZ = arena.i32.subarray(n, N);
        pinvX.set(pinv.subarray(0, n));
        pinvZ.set(pinv.subarray(n, N));
        for (let k = 0; k < N; k++) rhs[k] = randn(r);
        const sigma = 1e-6, alpha = 1.6, alpha1 = 1 - alpha;
        // reference: the JavaScript path of QpSolver.solve (osqp.ts)
        // (solvePermuted uses wasmRhs as its scratch buffer: keep a copy)
        const saved = rhs.slice();
        const ref = rhs.slice(), xr = new Float64Array(n), zr = new Float64Array(m), yr = y.slice();
        ldl.solvePermuted(ref);
        rhs.set(saved);
        for (let j = 0; j < n; j++) {
          const k = pinvX[j];
          xr[j] = alpha * ref[k] + alpha1 * xPrev[j];
          ref[k] = sigma * xr[j] - qs[j];
        }
        for (let i = 0; i < m; i++) {
          const k = pinvZ[i];
          const zp = zPrev[i], ri = rhoInv[i], yi = yr[i];
          const zrel = alpha * (zp + ri * (ref[k] - yi)) + alpha1 * zp;
          let zn = zrel + ri * yi;
          if (zn < ls[i]) zn = ls[i];
          if (zn > us[i]) zn = us[i];
          const yn = yi + rhoVec[i] * (zrel - zn);
          yr[i] = yn;
          zr[i] = zn;
          ref[k] = zn - ri * yn;
        }
        // a vector outside the factor's memory is refused (the caller then runs its JavaScript loop)
        expect(ldl.admmSetup(pinvX, pinvZ, new Float64Array(n), xPrev, qs, z, zPrev, y, rhoInv, rhoVec, ls, us, sigma, alpha, alpha1)).toBe(false);
        // flip 1: the arrays given as x/z at setup hold the previous iterate
        const ready = flip
          ? ldl.admmSetup(pinvX, pinvZ, xPrev, x, qs, zPrev, z, y, rhoInv, rhoVec, ls, us, sigma, alpha, alpha1)
          : ldl.admmSetup(pinvX, pinvZ, x, xPrev, qs, z, zPrev, y, rhoInv, rhoVec, ls, us, sigma, alpha, alpha1);
        expect(ready).toBe(true);
        ldl.admmStep(flip);
        expect(Array.from(x)).toEqual(Array.from(xr));
        expect(Array.from(z)).toEqual(Array.from(zr));
        expect(Array.from(y)).toEqual(Array.from(yr));
        expect(Array.from(rhs)).toEqual(Array.from(ref));
      }),
      { numRuns: 150, seed: 20261205 },
    );
  });
  it("admmSteps(flip, k) equals k admmStep calls (bitwise)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 30 }), (seed, n, m, flip, count) => {
        const N = n + m;
        const upper = denseToCsc(N, N, quasiDefinite(seed, n, m, 0.3), true);
        // two identical factors and iterates: one runs the batch, the other single steps
        const run = (batch: boolean): number[] => {
          const ldl = new SparseLdl(upper, undefined, { wasm: true, arenaF64: 3 * n + 7 * m, arenaI32: n + m });
          const arena = ldl.arena;
          const rhs = ldl.wasmRhs;
          if (!arena || !rhs) throw new Error("no WebAssembly");
          expect(ldl.factor(upper.values)).toBe(true);
          const r = rng(seed + 11);
          let f = 0;
          const vec = (len: number, gen: () => number): Float64Array => {
            const v = arena.f64.subarray(f, (f += len));
            for (let i = 0; i < len; i++) v[i] = gen();
            return v;
          };
          const x = vec(n, () => randn(r)), xPrev = vec(n, () => randn(r)), qs = vec(n, () => randn(r));
          const z = vec(m, () => randn(r)), zPrev = vec(m, () => randn(r)), y = vec(m, () => randn(r));
          const rhoVec = vec(m, () => 0.1 + r()), rhoInv = vec(m, () => 0);
          for (let i = 0; i < m; i++) rhoInv[i] = 1 / rhoVec[i];
          const ls = vec(m, () => (r() < 0.2 ? -Infinity : -r())), us = vec(m, () => (r() < 0.2 ? Infinity : r()));
          const pinv = ldl.inversePerm();
          const pinvX = arena.i32.subarray(0, n), pinvZ = arena.i32.subarray(n, N);
          pinvX.set(pinv.subarray(0, n));
          pinvZ.set(pinv.subarray(n, N));
          for (let k = 0; k < N; k++) rhs[k] = randn(r);
          expect(ldl.admmSetup(pinvX, pinvZ, x, xPrev, qs, z, zPrev, y, rhoInv, rhoVec, ls, us, 1e-6, 1.6, -0.6)).toBe(true);
          if (batch) ldl.admmSteps(flip, count);
          else for (let k = 0, fl = flip; k < count; k++, fl ^= 1) ldl.admmStep(fl);
          return [...x, ...xPrev, ...z, ...zPrev, ...y, ...rhs];
        };
        expect(run(true)).toEqual(run(false));
      }),
      { numRuns: 100, seed: 20261205 },
    );
  });
  it("solveRefined: the WebAssembly refinement gives the JavaScript one (bitwise) and solves the unregularized system", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0.02, max: 0.9, noNaN: true }),
        fc.boolean(),
        fc.boolean(),
        (seed, n1, n2, density, scaled, keepBest) => {
          const N = n1 + n2;
          // K quasi-definite; the factored matrix is C = S K S with a regularized diagonal (+ on the
          // first block, - on the second) and an optional scaling S over four decades
          const K = quasiDefinite(seed, n1, n2, density);
          const r = rng(seed + 2);
          const d = Float64Array.from({ length: N }, () => (scaled ? 10 ** (4 * r() - 2) : 1));
          const C = new Float64Array(N * N);
          for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) C[i * N + j] = d[i] * K[i * N + j] * d[j];
          const kd = Float64Array.from({ length: N }, (_, i) => C[i * N + i]);
          for (let i = 0; i < N; i++) C[i * N + i] += i < n1 ? 1e-6 : -1e-6;
          const upper = denseToCsc(N, N, C, true);
          const js = new SparseLdl(upper, undefined, { refine: true });
          const wasm = new SparseLdl(upper, js.perm, { wasm: true, refine: true });
          expect(wasm.usesWasm).toBe(true);
          expect(js.factor(upper.values) && wasm.factor(upper.values)).toBe(true);
          js.setRefinement(kd, scaled ? d : null);
          wasm.setRefinement(kd, scaled ? d : null);
          const xTrue = Float64Array.from({ length: N }, () => randn(r));
          const b = new Float64Array(N);
          for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) b[i] += K[i * N + j] * xTrue[j];
          /** max |b - K x| in the caller's units (K unscaled, unregularized) */
          const residual = (x: Float64Array): number => {
            let res = 0;
            for (let i = 0; i < N; i++) {
              let s = b[i];
              for (let j = 0; j < N; j++) s -= K[i * N + j] * x[j];
              res = Math.max(res, Math.abs(s));
            }
            return res;
          };
          let scale = 1;
          for (let i = 0; i < N; i++) scale = Math.max(scale, Math.abs(b[i]), Math.abs(xTrue[i]));
          // no correction, then one: the reported sizes are those of the residual and of the change of
          // the solution in the caller's units (not the scaled ones)
          const x0 = new Float64Array(N), x1 = new Float64Array(N);
          const n0 = wasm.solveRefined(b, x0, 0, 0, 0, 0, 0.5, false);
          const r0 = residual(x0);
          expect(Math.abs(n0 - r0)).toBeLessThanOrEqual(1e-6 * r0 + 1e-14 * scale);
          wasm.solveRefined(b, x1, 1, 0, 0, 0, 0.5, false);
          let change = 0;
          for (let i = 0; i < N; i++) change = Math.max(change, Math.abs(x1[i] - x0[i]));
          expect(Math.abs(wasm.lastCorrection - change)).toBeLessThanOrEqual(1e-6 * change + 1e-14 * scale);
          // refined to round-off: the same bits on both paths
          const a = new Float64Array(N), c = new Float64Array(N);
          const na = js.solveRefined(b, a, 8, 0, 1e-14, 1e-14, 0.5, keepBest);
          const nc = wasm.solveRefined(b, c, 8, 0, 1e-14, 1e-14, 0.5, keepBest);
          expect(Array.from(c)).toEqual(Array.from(a));
          expect(nc).toBe(na);
          expect(wasm.lastCorrection).toBe(js.lastCorrection);
          const ra = residual(a);
          expect(ra).toBeLessThan(1e-10 * scale);
          // the reported size is that of the returned solution (with keepBest too)
          expect(Math.abs(na - ra)).toBeLessThanOrEqual(1e-6 * ra + 1e-14 * scale);
          for (let i = 0; i < N; i++) expect(Math.abs(a[i] - xTrue[i])).toBeLessThan(1e-7 * scale);
        },
      ),
      { numRuns: 150, seed: 20261207 },
    );
  });

  it("solveRefined refuses to run without a factorization and its refinement data", () => {
    const K = quasiDefinite(3, 4, 3, 0.5);
    const upper = denseToCsc(7, 7, K, true);
    const ldl = new SparseLdl(upper, undefined, { wasm: true, refine: true });
    const kd = Float64Array.from({ length: 7 }, (_, i) => K[i * 7 + i]);
    const b = new Float64Array(7).fill(1), x = new Float64Array(7);
    expect(() => ldl.solveRefined(b, x, 4, 0, 0, 0, 0.5, false)).toThrow(/factor/);
    expect(ldl.factor(upper.values)).toBe(true);
    expect(() => ldl.solveRefined(b, x, 4, 0, 0, 0, 0.5, false)).toThrow(/setRefinement/);
    ldl.setRefinement(kd, null);
    expect(() => ldl.solveRefined(b, x, 4, 0, 0, 0, 0.5, false)).not.toThrow();
    // a new factorization needs its own data again
    expect(ldl.factor(upper.values)).toBe(true);
    expect(() => ldl.solveRefined(b, x, 4, 0, 0, 0, 0.5, false)).toThrow(/setRefinement/);
    expect(() => new SparseLdl(upper).setRefinement(kd, null)).toThrow(/refine option/);
  });
});
