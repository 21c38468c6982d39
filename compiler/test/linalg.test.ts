import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { add, dense, fromRows, identity, isSchurStable, matmul, maxAbs, scale, transpose, type Dense } from "../../runtime/linalg/dense.js";
import { expm } from "../../runtime/linalg/expm.js";
import { dare, dareResidual } from "../../runtime/linalg/dare.js";

/** exp(A) by its Taylor series in 200 terms after scaling by 2^-s (independent of the Pade path). */
function expSeries(a: Dense): Dense {
  const s = 6;
  const as = scale(a, 2 ** -s);
  let term = identity(a.rows);
  let sum = identity(a.rows);
  for (let k = 1; k < 60; k++) {
    term = scale(matmul(term, as), 1 / k);
    sum = add(sum, term);
  }
  for (let k = 0; k < s; k++) sum = matmul(sum, sum);
  return sum;
}

const smallMatrix = (n: number, range: number) =>
  fc.array(fc.double({ min: -range, max: range, noNaN: true }), { minLength: n * n, maxLength: n * n }).map((v) => dense(n, n, v));

describe("expm", () => {
  it("matches the Taylor series on random matrices", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }).chain((n) => smallMatrix(n, 3)), (a) => {
        const e1 = expm(a);
        const e2 = expSeries(a);
        expect(maxAbs(add(e1, e2, -1))).toBeLessThan(1e-10 * Math.max(1, maxAbs(e2)));
      }),
      { seed: 20261205, numRuns: 60 },
    );
  });
  it("is exact on a nilpotent matrix and a rotation", () => {
    const dt = 0.1;
    const e = expm(fromRows([[0, dt], [0, 0]]));
    expect(Array.from(e.data)).toEqual([1, dt, 0, 1]);
    const r = expm(fromRows([[0, -1], [1, 0]]));
    expect(r.data[0]).toBeCloseTo(Math.cos(1), 14);
    expect(r.data[2]).toBeCloseTo(Math.sin(1), 14);
  });
});

describe("dare", () => {
  it("solves the Gros & Zanon terminal cost: residual ~ 0 and stabilizing", () => {
    const A = fromRows([[1, 0.25], [0, 1]]);
    const B = fromRows([[0.0312], [0.25]]);
    const r = dare(A, B, scale(identity(2), 0.5), scale(identity(1), 0.25));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.residual).toBeLessThan(1e-10);
    expect(isSchurStable(add(A, matmul(B, r.K), -1))).toBe(true);
    // Symmetric positive definite.
    expect(maxAbs(add(r.X, transpose(r.X), -1))).toBeLessThan(1e-12);
  });
  it("has residual ~ 0 and a stable closed loop on random stabilizable pairs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(smallMatrix(n, 1.5), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }))), ([A, b]) => {
        const n = A.rows;
        const B = dense(n, 1, b);
        // Controllability (hence stabilizability) check by the rank of [B, AB, ...] via its Gram matrix.
        let col = B;
        const C = dense(n, n);
        for (let j = 0; j < n; j++) {
          for (let i = 0; i < n; i++) C.data[i * n + j] = col.data[i];
          col = matmul(A, col);
        }
        const gram = matmul(C, transpose(C));
        const det = Math.abs(detOf(gram));
        fc.pre(det > 1e-6);
        const r = dare(A, B, identity(n), identity(1));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(dareResidual(A, B, identity(n), identity(1), r.X)).toBeLessThan(1e-7 * Math.max(1, maxAbs(r.X)));
        expect(isSchurStable(add(A, matmul(B, r.K), -1))).toBe(true);
      }),
      { seed: 20261205, numRuns: 60 },
    );
  });
  it("reports no stabilizing solution for an unstable uncontrollable mode", () => {
    const A = fromRows([[2, 0], [0, 0.5]]);
    const B = fromRows([[0], [1]]);
    const r = dare(A, B, identity(2), identity(1));
    expect(r.ok).toBe(false);
  });
});

function detOf(a: Dense): number {
  const n = a.rows;
  const m = Float64Array.from(a.data);
  let det = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i * n + k]) > Math.abs(m[p * n + k])) p = i;
    if (m[p * n + k] === 0) return 0;
    if (p !== k) {
      det = -det;
      for (let j = 0; j < n; j++) [m[k * n + j], m[p * n + j]] = [m[p * n + j], m[k * n + j]];
    }
    det *= m[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k] / m[k * n + k];
      for (let j = k; j < n; j++) m[i * n + j] -= f * m[k * n + j];
    }
  }
  return det;
}
