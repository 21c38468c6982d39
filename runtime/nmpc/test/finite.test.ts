// What a nonlinear controller does with non-finite numbers (red-team findings 04 and 06): a state
// or pinned input entry that is not finite is refused with status invalid_input naming it (never
// "solved"), and a gradient or sensitivity with a non-finite entry is ok: false with a message
// (never ok with NaN), at both faces: NmpcController and NonlinearMpc (the learners' LearnableMpc).
//
// The model: x+ = x + u (N = 2), least-squares residual [x; u] and the general term
// sqrt(c) x^2 with the learnable c in [0, 4], whose derivative in c is infinite at c = 0 while
// x != 0: a model that breaks the derivative on purpose.

import { describe, expect, it } from "vitest";
import { NmpcController } from "../controller.js";
import { NonlinearMpc, type NlpTemplate } from "../learnable.js";
import type { GeneralCostOut, OcpModel, StageOut } from "../types.js";

function model(): OcpModel {
  return {
    nx: 1,
    nu: 1,
    N: 2,
    nTheta: 1,
    integrator: { kind: "discrete" },
    dynamics(x, u, _theta, _rt, out) {
      out.f[0] = x[0] + u[0];
      out.fx[0] = 1;
      out.fu[0] = 1;
      out.ftheta[0] = 0;
    },
    dynamicsHessian(_x, _u, _theta, _rt, _lambda, out) {
      out.fill(0);
    },
    residual: {
      size: 2,
      eval(_k, x, u, _theta, _rt, out: StageOut) {
        out.value[0] = x[0];
        out.value[1] = u[0];
        out.jx.set([1, 0]);
        out.ju.set([0, 1]);
        out.jtheta.fill(0);
      },
      hessian(_k, _x, _u, _theta, _rt, _w, out) {
        out.fill(0);
      },
    },
    general: {
      eval(_k, x, _u, theta, _rt, out: GeneralCostOut) {
        const r = Math.sqrt(theta[0]);
        out.gx[0] = 2 * r * x[0];
        out.gu[0] = 0;
        out.gtheta[0] = (x[0] * x[0]) / (2 * r);
        return r * x[0] * x[0];
      },
      hessian(_k, x, _u, theta, _rt, w, out) {
        // v = (x, u, c)
        const r = Math.sqrt(theta[0]);
        out.fill(0);
        out[0] = 2 * r * w;
        out[2] = out[6] = (x[0] / r) * w;
        out[8] = (-(x[0] * x[0]) / (4 * r * theta[0])) * w;
      },
    },
    xLower: Float64Array.of(-Infinity, -10, -10),
    xUpper: Float64Array.of(Infinity, 10, 10),
    uLower: Float64Array.of(-2, -2),
    uUpper: Float64Array.of(2, 2),
  };
}

function template(): NlpTemplate {
  return {
    name: "Broken",
    model: model(),
    discount: 1,
    method: "sqp",
    hessian: "gauss_newton",
    params: [{ name: "c", rows: 1, cols: 1, offset: 0, size: 1, structure: "scalar", lower: Float64Array.of(0), upper: Float64Array.of(4) }],
    theta0: Float64Array.of(1),
    runtime: [],
  };
}

describe("a non-finite state or input (nonlinear controller)", () => {
  it("NonlinearMpc: every call answers invalid_input naming the entry; act falls back", () => {
    const c = new NonlinearMpc(template());
    for (const bad of [NaN, Infinity]) {
      const a = c.act([bad]);
      expect(a.status).toBe("invalid_input");
      expect(a.fallback).toBe(true);
      expect(a.message).toBe(`state[0] is ${bad}, not a finite number`);
      for (const r of [c.value([bad]), c.qvalue([bad], [0]), c.gradValue([bad]), c.gradQvalue([bad], [0]), c.policySensitivity([bad])]) {
        expect(r.status).toBe("invalid_input");
        expect(r.ok).toBe(false);
        expect(r.message).toBe(`state[0] is ${bad}, not a finite number`);
      }
      expect(c.gradQvalue([1], [bad]).message).toBe(`input[0] is ${bad}, not a finite number`);
    }
    expect(c.value([1]).ok).toBe(true);
  });

  it("NmpcController: the same refusal, naming the entry", () => {
    const c = new NmpcController(model(), { theta: [1] });
    const a = c.act([NaN]);
    expect(a.status).toBe("invalid_input");
    expect(a.stats.message).toBe("state[0] is NaN, not a finite number");
    expect(c.gradValue([Infinity]).message).toBe("state[0] is Infinity, not a finite number");
    expect(c.qvalue([1], [NaN]).message).toBe("input[0] is NaN, not a finite number");
  });
});

describe("a non-finite derivative is a failure with a message, never ok (nonlinear controller)", () => {
  it("dV/dc, dQ/dc and du_0/dc at c = 0 (infinite there): ok false, the entry named; finite and ok at c = 1", () => {
    const c = new NonlinearMpc(template());
    c.setTheta([0]);
    // the value itself is fine
    expect(c.value([1]).ok).toBe(true);
    const g = c.gradValue([1]);
    expect(g.ok).toBe(false);
    expect(g.message).toMatch(/dV\/dtheta with respect to `c` entry c is (NaN|-?Infinity), not a finite number/);
    expect(Array.from(g.grad).every(Number.isNaN)).toBe(true);
    const gq = c.gradQvalue([1], [-0.5]);
    expect(gq.ok).toBe(false);
    expect(gq.message).toMatch(/dQ\/dtheta with respect to `c`/);
    const s = c.policySensitivity([1]);
    expect(s.ok).toBe(false);
    expect(s.message).toBeDefined();
    expect(Array.from(s.jacobian).every(Number.isNaN)).toBe(true);
    c.setTheta([1]);
    const fine = c.gradValue([1]);
    expect(fine.ok).toBe(true);
    expect(Number.isFinite(fine.grad[0])).toBe(true);
    const fineS = c.policySensitivity([1]);
    expect(fineS.ok).toBe(true);
    expect(Number.isFinite(fineS.jacobian[0])).toBe(true);
  });
});
