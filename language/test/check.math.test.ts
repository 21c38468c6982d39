// The checker's numeric helpers against independent references: edit distance (known values and
// metric properties), symmetric eigenvalues (closed form for 2x2, trace and determinant for 3x3),
// the DARE (its own equation), and interval arithmetic (every sampled value lies in the interval).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check } from "../index.js";
import { editDistance, mostSimilar } from "../check/similar.js";
import { dare, matmul, symEigenvalues, transpose, mat } from "../check/matrix.js";
import { intervalOf } from "../check/interval.js";
import { constValue } from "../check/index.js";
import { Model } from "../check/model.js";
import type { Expr } from "../ast.js";

describe("edit distance", () => {
  it("known values", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("x_lb", "x_lbb")).toBe(1);
    expect(editDistance("hesian", "hessian")).toBe(1);
    expect(editDistance("ab", "ba")).toBe(1); // a transposition
    expect(editDistance("", "abc")).toBe(3);
  });
  it("is a metric on short strings", () => {
    const word = fc.string({ maxLength: 8 });
    fc.assert(
      fc.property(word, word, word, (a, b, c) => {
        expect(editDistance(a, a)).toBe(0);
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, c)).toBeLessThanOrEqual(editDistance(a, b) + editDistance(b, c));
      }),
      { seed: 20261205 },
    );
  });
  it("suggests only close names", () => {
    expect(mostSimilar("x_lbb", ["x_ub", "x_lb", "u"])).toBe("x_lb");
    expect(mostSimilar("Tnak", ["Tank", "Mpc"])).toBe("Tank");
    expect(mostSimilar("zzzzzz", ["x_lb", "u"])).toBeUndefined();
  });
});

describe("symmetric eigenvalues and the DARE", () => {
  it("2x2: the closed form", () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), (a, b, d) => {
        const ev = symEigenvalues(mat(2, 2, [a, b, b, d]));
        const m = (a + d) / 2;
        const r = Math.hypot((a - d) / 2, b);
        expect(ev[0]).toBeCloseTo(m - r, 8);
        expect(ev[1]).toBeCloseTo(m + r, 8);
      }),
      { seed: 20261205 },
    );
  });
  it("3x3: trace and determinant are preserved", () => {
    const v = fc.double({ min: -5, max: 5, noNaN: true });
    fc.assert(
      fc.property(fc.tuple(v, v, v, v, v, v), ([a, b, c, d, e, f]) => {
        const M = [a, b, c, b, d, e, c, e, f];
        const ev = symEigenvalues(mat(3, 3, M));
        const det = a * (d * f - e * e) - b * (b * f - e * c) + c * (b * e - d * c);
        expect(ev[0] + ev[1] + ev[2]).toBeCloseTo(a + d + f, 6);
        expect(ev[0] * ev[1] * ev[2]).toBeCloseTo(det, 4);
      }),
      { seed: 20261205 },
    );
  });
  it("dare satisfies the Riccati equation for a stabilizable system", () => {
    const A = mat(2, 2, [0.9, 0.35, 0, 1.1]);
    const B = mat(2, 1, [0.0813, 0.2]);
    const Q = mat(2, 2, [1, 0, 0, 1]);
    const R = mat(1, 1, [0.5]);
    const S = dare(A, B, Q, R)!;
    const At = transpose(A);
    const SB = matmul(S, B);
    const g = R.data[0] + matmul(transpose(B), SB).data[0];
    const AtSA = matmul(matmul(At, S), A);
    const AtSB = matmul(At, SB);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) {
        const rhs = AtSA.data[i * 2 + j] - (AtSB.data[i] * AtSB.data[j]) / g + Q.data[i * 2 + j];
        expect(Math.abs(rhs - S.data[i * 2 + j])).toBeLessThan(1e-9);
      }
  });
  it("dare reports a system that cannot be stabilized", () => {
    // An unstable mode (2) that the input does not reach.
    expect(dare(mat(2, 2, [2, 0, 0, 0.5]), mat(2, 1, [0, 1]), mat(2, 2, [1, 0, 0, 1]), mat(1, 1, [1]))).toBeUndefined();
  });
});

describe("interval arithmetic over learnable boxes", () => {
  const exprs = ["a*b - 2*a + b", "a^2 + b", "(a - b)*(a + b)", "abs(a) - b/4", "max(a, b) + min(a, 2*b)", "exp(a) - sqrt(b^2)", "[1, 2]'*[a; b]", "sum([a, b] .* [b, a])", "[a; b][1]*a - [a, b][0:1]'*[b]"];
  const num = fc.double({ min: -3, max: 3, noNaN: true });
  it("contains every value the expression takes inside the boxes", () => {
    fc.assert(
      fc.property(fc.constantFrom(...exprs), num, num, num, num, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (src, a1, a2, b1, b2, ta, tb) => {
        const [la, ua] = [Math.min(a1, a2), Math.max(a1, a2)];
        const [lb, ub] = [Math.min(b1, b2), Math.max(b1, b2)];
        const va = la + ta * (ua - la);
        const vb = lb + tb * (ub - lb);
        const body = (decls: string) => `controller C {\n  state x\n  input u in [-1, 1]\n${decls}\n  let e = ${src}\n  horizon 2\n  dynamics x+ = x + u + 0*(e)\n  minimize stage x^2 + u^2\n}\n`;
        const boxed = check(body(`  learnable a = ${la} in [${la}, ${ua}]\n  learnable b = ${lb} in [${lb}, ${ub}]`));
        const fixed = check(body(`  const a = ${va}\n  const b = ${vb}`));
        const letOf = (r: typeof boxed): Expr => {
          const c = r.program.items[0];
          if (c.kind !== "Controller") throw new Error("no controller");
          const l = c.items.find((i) => i.kind === "Let");
          if (!l || l.kind !== "Let") throw new Error("no let");
          return l.value;
        };
        const value = constValue(fixed.model, letOf(fixed));
        const iv = intervalOf((boxed.model as Model).ctx, letOf(boxed));
        if (!value || !iv) throw new Error(`no value or interval for ${src}`);
        const v = value.data[0];
        const tol = 1e-9 * Math.max(1, Math.abs(v));
        expect(iv.lo[0], src).toBeLessThanOrEqual(v + tol);
        expect(iv.hi[0], src).toBeGreaterThanOrEqual(v - tol);
      }),
      { seed: 20261205, numRuns: 200 },
    );
  });
});
