// dV/dtheta and dQ/dtheta where a constraint row touches only pinned variables (x_0, and u_0 in
// Q(s, a)) and moves with theta: the row is linearly dependent on the pins, so the QP splits the
// multiplier between them as it pleases, and the value has no derivative in theta there (Q(s, a)
// is infinite on one side of u_0 == rho at a = rho; one-sided at an inequality's bound). Both the
// linear (runtime/mpc/controller.ts) and the nonlinear controller (runtime/nmpc/controller.ts)
// report NaN with a message instead of a number that depends on the split; elsewhere the gradient
// is a number (here 0 or the closed form).

import { describe, expect, it } from "vitest";
import { compileToModule } from "../index.js";
import type { LearnableMpc } from "../../runtime/mpc/types.js";

// x+ = x + u from x_0, min sum u_k^2 (N = 4), one stage-0 row on u_0 with the learnable rho
const SPEC = `
controller Pinned {
  state x[1]
  input u[1] in [-5, 5]
  learnable rho = 0.2 in [0.1, 0.4]
  horizon 4
  %SOLVER%
  dynamics x+ = [x[0] + u[0]]
  minimize stage u'*u
  subject to
    %ROW%
}`;

function controller(row: string, nonlinear: boolean): LearnableMpc {
  const r = compileToModule(SPEC.replace("%SOLVER%", nonlinear ? "solver sqp" : "").replace("%ROW%", row), { fileName: "pinned.mpcrl" });
  const m = nonlinear ? r.nlpModule : r.module;
  if (m === undefined) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return m.createController({ firstInputBounds: "removed" });
}

describe.each([
  ["linear", false],
  ["nonlinear", true],
] as const)("a stage-0 row on the pinned u_0 that moves with theta (%s controller)", (_name, nonlinear) => {
  it("u_0 == rho at a = rho: Q is solved, dQ/drho is NaN with a message; V keeps dV/drho = 2 rho", () => {
    const c = controller("u == rho for k in 0..0", nonlinear);
    const q = c.gradQvalue([1], [0.2]);
    expect(q.ok).toBe(true);
    expect(q.value).toBeCloseTo(0.04, 9);
    expect(Number.isNaN(q.grad[0])).toBe(true);
    expect(q.message).toMatch(/not differentiable in theta/);
    // V(s) leaves u_0 free: V = rho^2 (u_0 = rho, the other inputs 0)
    const v = c.gradValue([1]);
    expect(v.message).toBeUndefined();
    expect(v.grad[0]).toBeCloseTo(0.4, 8);
  });

  it("u_0 <= rho: a number (0) where the row is inactive (a < rho), NaN at its bound (a = rho)", () => {
    const c = controller("u <= rho for k in 0..0", nonlinear);
    const inside = c.gradQvalue([1], [0.1]);
    expect(inside.message).toBeUndefined();
    expect(inside.grad[0]).toBe(0);
    const atBound = c.gradQvalue([1], [0.2]);
    expect(atBound.ok).toBe(true);
    expect(Number.isNaN(atBound.grad[0])).toBe(true);
  });
});

describe("an interior-point answer (no exact crossover)", () => {
  it("keeps a finite gradient for an inactive row: its ~1e-14 multiplier does not make it active", () => {
    // the path of long discounted horizons whose crossovers are skipped: the IPM's own point,
    // whose inactive multipliers are tiny but not 0
    const c = controller("u + 0.5*x <= rho for k in 0..0", false);
    const internals = c as unknown as { solveActiveSet: () => null; stats: { interiorPoint: number } };
    internals.solveActiveSet = () => null;
    const q = c.gradQvalue([0.1], [-0.3]);
    // the answer did come from the interior-point method (the patch above took effect)
    expect(internals.stats.interiorPoint).toBeGreaterThan(0);
    expect(q.ok).toBe(true);
    expect(q.message).toBeUndefined();
    expect(q.grad[0]).toBeCloseTo(0, 9);
    // at its bound (u_0 + 0.5 x_0 = 0.2) the row is active, whatever the multiplier
    expect(Number.isNaN(c.gradQvalue([0.1], [0.15]).grad[0])).toBe(true);
  });
});

describe("a kept bound of u_0 that moves with theta (linear controller)", () => {
  it("gives NaN with a message at a = the bound, 0 inside it, and 0 when the first input's bounds are removed", () => {
    const source = SPEC.replace("%SOLVER%", "").replace("input u[1] in [-5, 5]", "input u[1] in [-5, rho]").replace("%ROW%", "x <= 10");
    const r = compileToModule(source, { fileName: "pinned.mpcrl" });
    if (r.module === undefined) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
    const kept = r.module.createController({ firstInputBounds: "kept" });
    expect(kept.gradQvalue([1], [0.1]).grad[0]).toBe(0);
    const at = kept.gradQvalue([1], [0.2]);
    expect(at.ok).toBe(true);
    expect(Number.isNaN(at.grad[0])).toBe(true);
    expect(at.message).toMatch(/at its kept bound 0.2, which moves with theta/);
    // removed: Q(s, a) does not see u_0's bounds at all
    const removed = r.module.createController({ firstInputBounds: "removed" });
    const q = removed.gradQvalue([1], [0.2]);
    expect(q.message).toBeUndefined();
    expect(q.grad[0]).toBe(0);
  });
});
