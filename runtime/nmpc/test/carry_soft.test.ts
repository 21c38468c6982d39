// OcpModel.carriedInputs (prev(u): the previous inputs as states, CarryIntegrator) and
// OcpModel.terminalSoftConstraint in the SQP and its sensitivities, on hand-written models:
//  - CarryIntegrator's Jacobians and Hessian are the inner integrator's, embedded, plus p+ = u;
//  - the CSTR written with carriedInputs (continuous RK4 dynamics of the 4 physical states) is the
//    same NLP as models.ts' hand-augmented discrete one: equal solutions, values, dV/dtheta and
//    du_0/dtheta (exact Hessian through the carried block);
//  - a terminal soft row: closed-form optimum, slack, value gradient and policy sensitivity;
//    the QP column scaling leaves the solution unchanged.

import { describe, expect, it } from "vitest";
import { NmpcController } from "../controller.js";
import { CarryIntegrator, StepIntegrator } from "../integrator.js";
import { MultipleShootingSqp } from "../sqp.js";
import type { OcpModel, StageFunction } from "../types.js";
import { cartpoleDynamics, cartpoleDynamicsHessian, cstrAugmented, cstrModel, cstrScaledDynamics, cstrScaledHessian } from "./models.js";

describe("CarryIntegrator", () => {
  it("embeds the inner step's Jacobians and Hessian and appends p+ = u[carried]", () => {
    const spec = { kind: "rk4", dt: 0.02, substeps: 2 } as const;
    const inner = new StepIntegrator(4, 1, 3, cartpoleDynamics, spec, cartpoleDynamicsHessian);
    const ref = new StepIntegrator(4, 1, 3, cartpoleDynamics, spec, cartpoleDynamicsHessian);
    const carry = new CarryIntegrator(inner, [0]);
    expect([carry.nx, carry.nw]).toEqual([5, 9]);
    const th = Float64Array.of(0.1, 0.5, 0);
    const rt = new Float64Array(0);
    const x = Float64Array.of(0.1, -0.3, 0.2, 0.4, 7); // the carried state (7) does not enter F
    const u = Float64Array.of(2.5);
    const o = carry.step(x, u, th, rt);
    const r = ref.step(x.subarray(0, 4), u, th, rt);
    for (let i = 0; i < 4; i++) {
      expect(o.f[i]).toBe(r.f[i]);
      for (let j = 0; j < 4; j++) expect(o.fx[i * 5 + j]).toBe(r.fx[i * 4 + j]);
      expect(o.fx[i * 5 + 4]).toBe(0);
      expect(o.fu[i]).toBe(r.fu[i]);
      for (let j = 0; j < 3; j++) expect(o.ftheta[i * 3 + j]).toBe(r.ftheta[i * 3 + j]);
    }
    expect(o.f[4]).toBe(2.5);
    expect(Array.from(o.fx.subarray(20, 25))).toEqual([0, 0, 0, 0, 0]);
    expect(o.fu[4]).toBe(1);
    const lam = Float64Array.of(0.3, -1, 0.5, 2, 9); // the carried row's multiplier adds no curvature
    const H = new Float64Array(81);
    const Hr = new Float64Array(64);
    expect(carry.hessian(lam, H)).toBe(true);
    ref.hessian(lam.subarray(0, 4), Hr);
    const map = [0, 1, 2, 3, 5, 6, 7, 8]; // (x, u, theta) of the inner -> (x, p, u, theta)
    for (let a = 0; a < 8; a++) for (let b = 0; b < 8; b++) expect(H[map[a] * 9 + map[b]]).toBe(Hr[a * 8 + b]);
    for (let b = 0; b < 9; b++) expect(H[4 * 9 + b]).toBe(0);
  });
});

/** models.ts' CSTR with the previous inputs carried by the runtime instead of a hand-augmented discrete map. */
function cstrCarried(): OcpModel {
  const hand = cstrModel();
  return {
    ...hand,
    integrator: { kind: "rk4", dt: 0.005, substeps: 1 },
    dynamics: cstrScaledDynamics,
    dynamicsHessian: cstrScaledHessian,
    carriedInputs: Int32Array.of(0, 1),
  };
}

describe("carriedInputs in the SQP: the CSTR as models.ts augments it by hand", () => {
  const hand = cstrModel();
  const carried = cstrCarried();
  const theta = Float64Array.of(1.02, 0.97, 0.6);
  const states = [cstrAugmented([0.8, 0.5, 134.14, 130], [0, 0]), cstrAugmented([0.71, 0.6, 139.5, 138], [12, -900]), cstrAugmented([0.75, 0.58, 136, 133], [9, -300])];

  it("gives the same solutions, values and dV/dtheta, du_0/dtheta", () => {
    const a = new NmpcController(hand, { theta });
    const b = new NmpcController(carried, { theta });
    let oks = 0;
    for (const x of states) {
      const ra = a.act(x);
      const rb = b.act(x);
      expect(ra.status).toBe("solved");
      expect(rb.status).toBe("solved");
      expect(rb.value).toBeCloseTo(ra.value, 12);
      for (let i = 0; i < ra.uPlan.length; i++) expect(Math.abs(rb.uPlan[i] - ra.uPlan[i])).toBeLessThan(1e-7);
      const ga = a.gradValue(x);
      const gb = b.gradValue(x);
      for (let j = 0; j < 3; j++) expect(Math.abs(gb.grad[j] - ga.grad[j])).toBeLessThan(1e-7 * Math.max(1, Math.abs(ga.grad[j])));
      const sa = a.policySensitivity(x);
      const sb = b.policySensitivity(x);
      // the same classification (the first state has weakly active rows: no derivative in either)
      expect(sb.status).toBe(sa.status);
      if (sa.status === "ok") oks++;
      for (let j = 0; j < 6; j++) expect(Math.abs(sb.jacobian[j] - sa.jacobian[j])).toBeLessThan(1e-5 * Math.max(1, Math.abs(sa.jacobian[j])));
    }
    expect(oks).toBe(2);
  });

  it("the QP column scaling changes nothing but the numerics", () => {
    for (const scaling of ["none", "bounds"] as const) {
      const s = new MultipleShootingSqp(carried, { scaling });
      s.theta.set(theta);
      s.coldStart(states[1]);
      s.setInitialState(states[1]);
      expect(s.solve().status).toBe("solved");
      const ref = new MultipleShootingSqp(hand, { scaling: "none" });
      ref.theta.set(theta);
      ref.coldStart(states[1]);
      ref.setInitialState(states[1]);
      ref.solve();
      expect(s.objective).toBeCloseTo(ref.objective, 12);
    }
  });

  it("refuses carried inputs that are not inputs", () => {
    expect(() => new MultipleShootingSqp({ ...carried, carriedInputs: Int32Array.of(0, 2) })).toThrow(RangeError);
  });
});

describe("terminalSoftConstraint", () => {
  // x+ = x + u, x_0 = 1, N = 4, cost sum u^2 + theta max(0, x_N) (L1) or max(0, x_N)^2 (L2): all
  // inputs equal -s/4, s = 2 theta (L1, theta < 1/2) or 4/5 (L2 weight 1)
  const model = (l1: number, l2: number): OcpModel => {
    const fn: StageFunction = {
      size: 1,
      eval(_k, x, _u, th, _rt, out) {
        // the L1 weight theta folded into the row: theta x_N <= eps
        out.value[0] = l1 > 0 ? th[0] * x[0] : x[0];
        out.jx[0] = l1 > 0 ? th[0] : 1;
        out.jtheta[0] = l1 > 0 ? x[0] : 0;
      },
      hessian(_k, _x, _u, _th, _rt, w, out) {
        out.fill(0);
        if (l1 > 0) out[1] = out[2] = w[0]; // d2 (theta x) / dx dtheta
      },
    };
    const residual: StageFunction = {
      size: 1,
      eval(_k, _x, u, _th, _rt, out) {
        out.value[0] = u[0];
        out.jx[0] = 0;
        out.ju[0] = 1;
        out.jtheta[0] = 0;
      },
    };
    return {
      nx: 1,
      nu: 1,
      N: 4,
      nTheta: 1,
      integrator: { kind: "discrete" },
      dynamics(x, u, _th, _rt, out) {
        out.f[0] = x[0] + u[0];
        out.fx[0] = 1;
        out.fu[0] = 1;
        out.ftheta[0] = 0;
      },
      dynamicsHessian(_x, _u, _th, _rt, _l, out) {
        out.fill(0);
      },
      residual,
      terminalSoftConstraint: { fn, l1: Float64Array.of(l1 > 0 ? 1 : 0), l2: Float64Array.of(l2) },
      xLower: new Float64Array(5).fill(-Infinity),
      xUpper: new Float64Array(5).fill(Infinity),
      uLower: new Float64Array(4).fill(-5),
      uUpper: new Float64Array(4).fill(5),
    };
  };

  it("L1: V = theta - theta^2, eps_N = theta (1 - 2 theta), dV/dtheta = 1 - 2 theta, du_0/dtheta = -1/2", () => {
    for (const th of [0.2, 0.4]) {
      const c = new NmpcController(model(1, 0), { theta: [th] });
      const r = c.act([1]);
      expect(r.status).toBe("solved");
      expect(r.value).toBeCloseTo(th - th * th, 10);
      expect(r.slack.length).toBe(1);
      expect(r.slack[0]).toBeCloseTo(th * (1 - 2 * th), 10);
      expect(c.gradValue([1]).grad[0]).toBeCloseTo(1 - 2 * th, 9);
      const s = c.policySensitivity([1]);
      expect(s.status).toBe("ok");
      expect(s.jacobian[0]).toBeCloseTo(-0.5, 8);
      // the RTI shifts the terminal slack with the terminal rows (it stays in place)
      const rti = new NmpcController(model(1, 0), { theta: [th], mode: "rti", rtiInit: "converged" });
      let x = 1;
      for (let k = 0; k < 3; k++) {
        const a = rti.act([x]);
        expect(a.status).toBe("rti");
        x += a.u[0];
      }
      expect(Number.isFinite(x)).toBe(true);
    }
  });

  it("L2: s = 4/5, V = s^2/4 + (1 - s)^2 and eps_N = 1 - s", () => {
    const c = new NmpcController(model(0, 1), { theta: [0.3] });
    const r = c.act([1]);
    expect(r.value).toBeCloseTo(0.16 + 0.04, 10);
    expect(r.slack[0]).toBeCloseTo(0.2, 10);
    expect(r.u[0]).toBeCloseTo(-0.2, 10);
  });
});
