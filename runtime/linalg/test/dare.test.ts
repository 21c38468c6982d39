// runtime/linalg/dare.ts: residual and closed-loop stability on random stabilizable pairs, the
// scalar closed form, and failures reported as statuses (never exceptions).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { add, dense, fromRows, identity, isPsd, isSchurStable, matmul, maxAbs, normInf, scale, symEigenvalues, transpose } from "../dense.js";
import { dare, dareResidual } from "../dare.js";

const SEED = { seed: 20261205 };
const entries = (k: number, range = 1) => fc.array(fc.double({ min: -range, max: range, noNaN: true }), { minLength: k, maxLength: k });

describe("dare (structured doubling, stabilizing solution)", () => {
  it("random stabilizable pairs: small residual, closed-loop spectral radius < 1, X symmetric PSD", () => {
    // (A, B) stabilizable by construction: A = S + B K0 with ||S||_inf < 1, so A - B K0 = S is stable.
    const sizes = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }));
    const data = sizes.chain(([n, m]) =>
      fc.record({
        n: fc.constant(n),
        m: fc.constant(m),
        S: entries(n * n),
        rho: fc.double({ min: 0, max: 0.95, noNaN: true }),
        B: entries(n * m, 2),
        K0: entries(m * n, 3),
        C: entries(n * n),
        D: entries(m * m),
      }),
    );
    fc.assert(
      fc.property(data, ({ n, m, S, rho, B, K0, C, D }) => {
        let Sm = dense(n, n, S);
        const s = normInf(Sm);
        if (s > 0) Sm = scale(Sm, rho / s);
        const Bm = dense(n, m, B);
        const A = add(Sm, matmul(Bm, dense(m, n, K0)));
        const Cm = dense(n, n, C);
        const Q = add(matmul(transpose(Cm), Cm), identity(n), 1e-2); // positive definite: detectable
        const Dm = dense(m, m, D);
        const R = add(matmul(transpose(Dm), Dm), identity(m));
        const r = dare(A, Bm, Q, R);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const scaleX = Math.max(1, maxAbs(r.X));
        expect(r.residual).toBeLessThanOrEqual(1e-8 * scaleX);
        expect(dareResidual(A, Bm, Q, R, r.X)).toBe(r.residual);
        expect(isSchurStable(add(A, matmul(Bm, r.K), -1))).toBe(true);
        expect(maxAbs(add(r.X, transpose(r.X), -1))).toBe(0);
        expect(isPsd(r.X)).toBe(true);
        // X >= Q: the cost-to-go is at least the stage cost.
        expect(symEigenvalues(add(r.X, Q, -1))[0]).toBeGreaterThan(-1e-8 * scaleX);
      }),
      { ...SEED, numRuns: 200 },
    );
  });

  it("matches the scalar closed form", () => {
    for (const [a, b, q, r] of [[1, 1, 1, 1], [2, 0.5, 3, 0.1], [0.5, 1, 0, 1], [-1.5, 2, 1, 4]]) {
      // b^2 x^2 + (r (1 - a^2) - q b^2) x - q r = 0, positive root
      const p = r * (1 - a * a) - q * b * b;
      const x = (-p + Math.sqrt(p * p + 4 * b * b * q * r)) / (2 * b * b);
      const res = dare(fromRows([[a]]), fromRows([[b]]), fromRows([[q]]), fromRows([[r]]));
      expect(res.ok).toBe(true);
      if (res.ok) expect(res.X.data[0]).toBeCloseTo(x, 10);
    }
  });

  it("reports unstabilizable systems and bad data as statuses", () => {
    // The unstable mode 2 is not reached by the input.
    const r = dare(fromRows([[2, 0], [0, 0.5]]), fromRows([[0], [1]]), identity(2), identity(1));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/no stabilizing solution/);
    // An unobservable mode on the unit circle (Q = 0, A a rotation, B = 0): no stabilizing solution.
    expect(dare(fromRows([[0, -1], [1, 0]]), dense(2, 1), dense(2, 2), identity(1)).ok).toBe(false);
    expect(dare(identity(2), dense(3, 1), identity(2), identity(1))).toEqual({ ok: false, reason: "dimensions of A, B, Q, R do not agree" });
    expect(dare(identity(1), identity(1), identity(1), fromRows([[0]])).ok).toBe(false);
    expect(dare(identity(1), identity(1), identity(1), fromRows([[-1]])).ok).toBe(false);
    expect(dare(fromRows([[NaN]]), identity(1), identity(1), identity(1)).ok).toBe(false);
    expect(dare(fromRows([[Infinity]]), identity(1), identity(1), identity(1)).ok).toBe(false);
  });

  it("accepts number[] data (the checker's matrices) with the same result", () => {
    const A = { rows: 2, cols: 2, data: [0.9, 0.35, 0, 1.1] };
    const B = { rows: 2, cols: 1, data: [0.0813, 0.2] };
    const Q = { rows: 2, cols: 2, data: [1, 0, 0, 1] };
    const R = { rows: 1, cols: 1, data: [0.5] };
    const r1 = dare(A, B, Q, R);
    const r2 = dare(dense(2, 2, A.data), dense(2, 1, B.data), dense(2, 2, Q.data), dense(1, 1, R.data));
    expect(r1.ok && r2.ok).toBe(true);
    if (r1.ok && r2.ok) expect(Array.from(r1.X.data)).toEqual(Array.from(r2.X.data));
  });
});
