// Derivatives of converged NLPs (sensitivity.ts) against central finite differences of
// independently solved perturbed problems; statuses instead of wrong numbers.
import { describe, expect, it } from "vitest";
import { NmpcController } from "../controller.js";
import type { OcpModel } from "../types.js";
import { cartpoleModel, cstrAugmented, cstrModel } from "./models.js";

function finiteDifferences(model: OcpModel, theta0: Float64Array, state: ArrayLike<number>, input: ArrayLike<number>): { dV: number[]; dQ: number[]; du: number[][] } {
  const dV: number[] = [];
  const dQ: number[] = [];
  const du: number[][] = Array.from({ length: model.nu }, () => []);
  for (let j = 0; j < model.nTheta; j++) {
    const h = 1e-5 * Math.max(1, Math.abs(theta0[j]));
    const at = (d: number): { v: number; q: number; u: Float64Array } => {
      const th = Float64Array.from(theta0);
      th[j] += d;
      const c = new NmpcController(model, { theta: th });
      const v = c.value(state);
      const q = c.qvalue(state, input);
      const a = c.act(state);
      expect([v.status, q.status, a.status]).toEqual(["solved", "solved", "solved"]);
      return { v: v.value, q: q.value, u: a.u };
    };
    const p = at(h);
    const m = at(-h);
    dV.push((p.v - m.v) / (2 * h));
    dQ.push((p.q - m.q) / (2 * h));
    for (let i = 0; i < model.nu; i++) du[i].push((p.u[i] - m.u[i]) / (2 * h));
  }
  return { dV, dQ, du };
}

const close = (a: number, b: number, tol: number): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * (1 + Math.abs(b)));
};

describe("NMPC derivatives vs central differences of independently solved NLPs", () => {
  const cases: [string, number[]][] = [
    ["interior", [0.1, 0, 0.05, 0]],
    ["cart-position bound active", [2.2, 1.5, 0.05, 0]],
  ];
  for (const [name, state] of cases) {
    it(`cart-pole (theta = masspole, half length, position reference), ${name}`, () => {
      const model = cartpoleModel({ N: 20 });
      const ctl = new NmpcController(model, { theta: model.theta0 });
      const input = [3];
      const gv = ctl.gradValue(state);
      const gq = ctl.gradQvalue(state, input);
      const ps = ctl.policySensitivity(state);
      expect([gv.status, gq.status, ps.status]).toEqual(["solved", "solved", "ok"]);
      const fd = finiteDifferences(model, model.theta0, state, input);
      for (let j = 0; j < 3; j++) {
        close(gv.grad[j], fd.dV[j], 1e-6);
        close(gq.grad[j], fd.dQ[j], 1e-6);
        close(ps.jacobian[j], fd.du[0][j], 1e-6);
      }
    });
  }

  it("CSTR (theta = alpha, beta, C_b reference): dV/dtheta, dQ/dtheta; du0/dtheta only with status ok", () => {
    const model = cstrModel({ N: 10 });
    const state = cstrAugmented([0.8, 0.5, 134.14, 130.0], [1500, -1000]);
    const input = [0.1, -0.5];
    const ctl = new NmpcController(model, { theta: model.theta0 });
    const gv = ctl.gradValue(state);
    const gq = ctl.gradQvalue(state, input);
    const ps = ctl.policySensitivity(state);
    const fd = finiteDifferences(model, model.theta0, state, input);
    for (let j = 0; j < 3; j++) {
      close(gv.grad[j], fd.dV[j], 1e-6);
      close(gq.grad[j], fd.dQ[j], 1e-6);
    }
    // Q_dot sits on its bound with a zero multiplier here (do-mpc's nearly free Q_dot): the
    // derivative is one-sided and reported as such, with zeros instead of a number
    if (ps.ok) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) close(ps.jacobian[i * 3 + j], fd.du[i][j], 1e-6);
    else {
      expect(ps.status).toBe("not_differentiable");
      expect(Array.from(ps.jacobian).every((v) => v === 0)).toBe(true);
    }
  });

  it("statuses: unconverged, invalid state, input outside its bounds", () => {
    const model = cartpoleModel({ N: 20 });
    const ctl = new NmpcController(model, { theta: model.theta0, sqp: { maxIterations: 1 } });
    const ps = ctl.policySensitivity([0.1, 0, 0.3, 0]);
    expect(ps.ok).toBe(false);
    expect(ps.status).toBe("max_iterations");
    const gv = ctl.gradValue([0.1, 0, 0.3, 0]);
    expect(gv.ok).toBe(false);
    expect(Number.isNaN(gv.value)).toBe(true);
    const ok = new NmpcController(model, { theta: model.theta0 });
    expect(ok.act([Number.NaN, 0, 0, 0]).status).toBe("invalid_input");
    expect(ok.qvalue([0, 0, 0.1, 0], [11]).status).toBe("invalid_input");
    expect(() => ok.setTheta([1, 2])).toThrow(RangeError);
  });

  it("exact-Hessian SQP reaches the Gauss-Newton SQP's solution", () => {
    const model = cartpoleModel({ N: 20 });
    const gn = new NmpcController(model, { theta: model.theta0 });
    const ex = new NmpcController(model, { theta: model.theta0, sqp: { hessian: "exact" } });
    const state = [0.3, -0.2, 0.25, 0.1];
    const a = gn.act(state);
    const b = ex.act(state);
    expect([a.status, b.status]).toEqual(["solved", "solved"]);
    close(a.value, b.value, 1e-9);
    close(a.u[0], b.u[0], 1e-6);
  });
});
