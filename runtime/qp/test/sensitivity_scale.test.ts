// Multipliers of very different sizes (an MPC far from its origin: the pins of x_0 carry
// multipliers ~1e7 beside soft constraints with ~20) and the pieces of a kink (`selectPiece`).

import { describe, expect, it } from "vitest";
import { QpSensitivity } from "../sensitivity.js";
import type { QpProblem } from "../types.js";

/** minimize 0.5 (z0^2 + z1^2) s.t. z0 = big (a pin), z1 >= lo: z = (big, max(lo, 0)), y = (-big, -z1). */
function pinned(big: number, lo: number): { problem: QpProblem; z: Float64Array; y: Float64Array } {
  const problem: QpProblem = {
    n: 2,
    m: 2,
    P: { rows: 2, cols: 2, colPtr: Int32Array.of(0, 1, 2), rowIdx: Int32Array.of(0, 1), values: Float64Array.of(1, 1) },
    q: new Float64Array(2),
    A: { rows: 2, cols: 2, colPtr: Int32Array.of(0, 1, 2), rowIdx: Int32Array.of(0, 1), values: Float64Array.of(1, 1) },
    l: Float64Array.of(big, lo),
    u: Float64Array.of(big, Infinity),
  };
  const z1 = Math.max(lo, 0);
  return { problem, z: Float64Array.of(big, z1), y: Float64Array.of(-big, lo > 0 ? -z1 : 0) };
}

describe("a strictly active row beside a 1e8 times larger multiplier (finding: called weakly active)", () => {
  it("exact multipliers are judged on their own row's scale: dz_1/dl_1 = 1, as z_1 = l_1 says", () => {
    const { problem, z, y } = pinned(1e8, 1);
    // the row z_1 >= 1 is active with y = -1, strictly; measured against |y|_inf = 1e8 it looked
    // negligible, was treated as inactive, and its bound got no derivative at all
    const exact = new QpSensitivity(problem, z, y, {}, undefined, true);
    expect(exact.status).toBe("ok");
    expect(exact.weaklyActiveCount).toBe(0);
    const d = exact.forward({ dl: Float64Array.of(0, 1) });
    expect(d.dz[1]).toBeCloseTo(1, 12);
    expect(d.dz[0]).toBeCloseTo(0, 12);
    // the same point from an iterative solver (default): multiplier errors scale with the largest
    // one, so 1 is not distinguishable from 0 there and the row stays weakly active, one-sided
    const iterative = new QpSensitivity(problem, z, y);
    expect(iterative.status).toBe("not_differentiable");
    expect(iterative.weaklyActiveRows[1]).toBe(1);
  });

  it("a really weak row stays weak with exact multipliers, and its two pieces differ", () => {
    // z_1 >= 0 with the unconstrained optimum z_1 = 0 on it: y_1 = 0
    const { problem, z, y } = pinned(1e8, 0);
    const s = new QpSensitivity(problem, z, y, {}, undefined, true);
    expect(s.status).toBe("not_differentiable");
    expect(s.weaklyActiveRows[1]).toBe(1);
    const dir = { dl: Float64Array.of(0, 1) };
    // the analysed piece (the row inactive: z_1 stays at 0) is the derivative for l_1 falling; the
    // other piece (the row active: z_1 = l_1) is the one for l_1 rising
    expect(s.forward(dir).dz[1]).toBeCloseTo(0, 12);
    expect(s.selectPiece(Int32Array.of(1), 1, 1)).toBe(true);
    expect(s.forward(dir).dz[1]).toBeCloseTo(1, 12);
    expect(s.restorePiece()).toBe(true);
    expect(s.forward(dir).dz[1]).toBeCloseTo(0, 12);
    expect(s.status).toBe("not_differentiable");
  });
});
