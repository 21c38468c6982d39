// The ADMM solver's non_convex verdict comes from a proof (a failed positive semidefinite test of
// P), never from diverging iterates: OSQP's divergence test (residuals above 1e20) called convex
// QPs with data of 1e18 and more non_convex (finding: the soft MPC QP pinned to a state of 1e18,
// "the KKT matrix lost the inertia of a convex QP after a rho update" with no rho update at all).

import { describe, expect, it } from "vitest";
import { QpSolver, solveQp } from "../osqp.js";
import { denseToCsc } from "./helpers.js";
import { mpcQp } from "./mpc_qp.js";
import type { QpProblem } from "../types.js";

describe("diverging ADMM iterates on a convex QP: a numeric status with why, not non_convex", () => {
  it("the soft MPC QP pinned to x_0 = (0.5, 1e18): invalid_input, a breakdown, saying that P passed its test", () => {
    // P is diagonal and positive (the QP is convex at every x_0); at iteration 25 the dual residual
    // passes 1e20
    const r = solveQp(mpcQp(20, [0.5, 1e18], { soft: true }), { rho: 1, adaptiveRho: false });
    expect(r.status).toBe("invalid_input");
    expect(r.breakdown).toBe(true);
    expect(r.message).toMatch(/^numeric breakdown at iteration \d+: the ADMM residuals left the range the solver handles .*but P passed the positive semidefinite test, so the QP is convex and no verdict on it follows: its data \(largest \|q_j\| 1\.00e\+2, largest finite \|l_i\|, \|u_i\| 1\.00e\+18\) are too large for double precision$/);
    expect(Array.from(r.x).every(Number.isNaN)).toBe(true);
  });

  it("the same at other huge states, sizes and step sizes: never non_convex", () => {
    for (const N of [5, 10, 20]) {
      for (const x0 of [[0, -1e19], [0.5, 3e19], [3e19, 0], [1e19, 1e19]] as [number, number][]) {
        for (const rho of [0.1, 1]) {
          for (const adaptiveRho of [false, true]) {
            const r = solveQp(mpcQp(N, x0, { soft: true }), { rho, adaptiveRho });
            const what = `N ${N} x0 ${x0} rho ${rho} adaptive ${adaptiveRho}: ${r.status} ${r.message ?? ""}`;
            expect(r.status, what).not.toBe("non_convex");
            if (r.status === "invalid_input") expect(r.message, what).toMatch(/^numeric breakdown/);
          }
        }
      }
    }
  });

  it("the solver keeps its data and settings: new bounds at an ordinary state are solved as by a fresh solver", () => {
    const s = new QpSolver(mpcQp(20, [0.5, 1e18], { soft: true }), { rho: 1, adaptiveRho: false });
    expect(s.solve().status).toBe("invalid_input");
    const ordinary = mpcQp(20, [0.5, 0.1], { soft: true });
    s.updateBounds(ordinary.l, ordinary.u);
    const r = s.solve();
    const fresh = solveQp(ordinary, { rho: 1, adaptiveRho: false });
    expect(r.status).toBe("solved");
    expect(fresh.status).toBe("solved");
    r.x.forEach((v, j) => expect(v).toBeCloseTo(fresh.x[j], 6));
  });
});

describe("bounds the QP format reads as infinite on the wrong side are refused", () => {
  it("a lower bound of 1e25 (+infinity in the format) names its row (before: NaN iterates, called non_convex)", () => {
    const P = denseToCsc(2, 2, [1, 0, 0, 1], true);
    const A = denseToCsc(2, 2, [1, 0, 0, 1]);
    const r = solveQp({ n: 2, m: 2, P, A, q: new Float64Array(2), l: Float64Array.of(1e25 - 0.1, -1), u: Float64Array.of(1e25 + 0.1, 1) });
    expect(r.status).toBe("invalid_input");
    expect(r.message).toBe("row 0: lower bound 1e+25 is >= 1e+20, which the QP format reads as +infinity");
    const s = solveQp({ n: 2, m: 2, P, A, q: new Float64Array(2), l: Float64Array.of(-1, -Infinity), u: Float64Array.of(1, -2e20) });
    expect(s.message).toBe("row 1: upper bound -200000000000000000000 is <= -1e+20, which the QP format reads as -infinity");
  });
});

describe("non_convex stays a verdict where P fails the test", () => {
  const box2: Pick<QpProblem, "n" | "m" | "A" | "l" | "u"> = { n: 2, m: 2, A: denseToCsc(2, 2, [1, 0, 0, 1]), l: new Float64Array([-1, -1]), u: new Float64Array([1, 1]) };

  it("an indefinite P (an eigenvalue of -1)", () => {
    const r = solveQp({ ...box2, P: denseToCsc(2, 2, [-1, 0, 0, 1], true), q: new Float64Array(2) });
    expect(r.status).toBe("non_convex");
    expect(r.message).toMatch(/P is not positive semidefinite/);
  });

  it("an eigenvalue of -1e-5: inside P's own test's tolerance (1e-4 max|P|), found by the KKT inertia and proven by P + sigma I", () => {
    // no row on x_1: its KKT pivot is P_11 + sigma itself
    const oneRow: Pick<QpProblem, "n" | "m" | "A" | "l" | "u"> = { n: 2, m: 1, A: denseToCsc(1, 2, [1, 0]), l: new Float64Array([-1]), u: new Float64Array([1]) };
    const r = solveQp({ ...oneRow, P: denseToCsc(2, 2, [1, 0, 0, -1e-5], true), q: new Float64Array(2) }, { scaling: 0 });
    expect(r.status).toBe("non_convex");
    expect(r.message).toMatch(/P is not positive semidefinite/);
  });

  it("an eigenvalue of -1e-8, below sigma (1e-6): the KKT matrix is quasi-definite and the QP is solved, as before", () => {
    const r = solveQp({ ...box2, P: denseToCsc(2, 2, [1, 0, 0, -1e-8], true), q: Float64Array.of(0.1, 0) }, { scaling: 0 });
    expect(r.status).toBe("solved");
  });
});
