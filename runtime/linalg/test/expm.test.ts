// runtime/linalg/expm.ts: against the Taylor series for small norms and against closed forms.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { add, dense, fromRows, identity, matmul, maxAbs, scale, type Dense } from "../dense.js";
import { expm } from "../expm.js";

const SEED = { seed: 20261205 };

/** sum_{k < 40} A^k / k!, accurate to round-off when ||A|| <= 1. */
function series(a: Dense): Dense {
  let term = identity(a.rows);
  let sum = identity(a.rows);
  for (let k = 1; k < 40; k++) {
    term = scale(matmul(term, a), 1 / k);
    sum = add(sum, term);
  }
  return sum;
}

describe("expm (scaling and squaring, Pade 8)", () => {
  it("matches the Taylor series for small norms", () => {
    const small = fc
      .integer({ min: 1, max: 6 })
      .chain((n) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n * n, maxLength: n * n }).map((v) => dense(n, n, v)))
      .map((a) => scale(a, 1 / Math.max(1, a.rows))); // ||a||_inf <= 1
    fc.assert(
      fc.property(small, (a) => {
        const e = expm(a);
        const s = series(a);
        expect(maxAbs(add(e, s, -1))).toBeLessThan(1e-14 * Math.max(1, maxAbs(s)) * 10);
      }),
      { ...SEED, numRuns: 200 },
    );
  });

  it("equals known closed forms", () => {
    // Diagonal: exp of the entries.
    const d = expm(fromRows([[1, 0], [0, -2]]));
    expect(d.data[0]).toBeCloseTo(Math.E, 14);
    expect(d.data[3]).toBeCloseTo(Math.exp(-2), 15);
    expect(d.data[1]).toBe(0);
    // Nilpotent: exactly I + N.
    expect(Array.from(expm(fromRows([[0, 0.1], [0, 0]])).data)).toEqual([1, 0.1, 0, 1]);
    // Rotation generator: [[cos t, -sin t], [sin t, cos t]], also for large t (scaling and squaring).
    for (const t of [0.3, 1, 5]) {
      const r = expm(fromRows([[0, -t], [t, 0]]));
      const want = [Math.cos(t), -Math.sin(t), Math.sin(t), Math.cos(t)];
      for (let i = 0; i < 4; i++) expect(Math.abs(r.data[i] - want[i])).toBeLessThan(1e-13 * Math.max(1, t));
    }
    // Jordan block: exp([[l, 1], [0, l]]) = e^l [[1, 1], [0, 1]].
    const j = expm(fromRows([[0.5, 1], [0, 0.5]]));
    const el = Math.exp(0.5);
    expect(j.data[0]).toBeCloseTo(el, 14);
    expect(j.data[1]).toBeCloseTo(el, 14);
    expect(j.data[2]).toBe(0);
    // Zero-order hold of a double integrator: expm([[0, 1, 0], [0, 0, 1], [0, 0, 0]] * h).
    const h = 0.25;
    const z = expm(scale(fromRows([[0, 1, 0], [0, 0, 1], [0, 0, 0]]), h));
    expect(Array.from(z.data)).toEqual([1, h, (h * h) / 2, 0, 1, h, 0, 0, 1]);
    expect(expm(dense(0, 0)).rows).toBe(0);
  });

  it("expm(A) expm(-A) = I", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) => fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n * n, maxLength: n * n }).map((v) => dense(n, n, v))),
        (a) => {
          const p = matmul(expm(a), expm(scale(a, -1)));
          expect(maxAbs(add(p, identity(a.rows), -1))).toBeLessThan(1e-9);
        },
      ),
      { ...SEED, numRuns: 100 },
    );
  });

  it("throws only on misuse", () => {
    expect(() => expm(dense(2, 3))).toThrow(RangeError);
    expect(() => expm(fromRows([[NaN]]))).toThrow(RangeError);
  });
});
