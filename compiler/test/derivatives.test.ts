// Derivatives of the other shipped controllers against central finite differences: structured
// learnables (diag, factor, psd), runtime values and prev(u), several inputs.
import { describe, expect, it } from "vitest";
import { compileToModule } from "../index.js";
import type { MpcController } from "../../runtime/mpc/controller.js";
import type { RuntimeValues } from "../../runtime/mpc/types.js";
import { readRepo } from "./helpers.js";

interface Case {
  spec: string;
  state: number[];
  input: number[];
  runtime?: RuntimeValues;
}

const cases: Case[] = [
  { spec: "examples/rate_tracking/rate_tracking.mpcrl", state: [0.2, 0.1], input: [0.3], runtime: { r: [1, 0], prev_u: [0.1] } },
  { spec: "examples/double_integrator/double_integrator.mpcrl", state: [1.2, -0.3], input: [0.2] },
  { spec: "examples/pendulum_offline/pendulum_offline.mpcrl", state: [0.1, -0.2], input: [0.5] },
  { spec: "examples/quadrotor/quadrotor_constrained.mpcrl", state: [0.05, -0.03, 0.2, 0, 0, 0, 0.1, 0, 0, 0, 0, 0], input: [0.1, 0.2, 0.3, 0.4] },
];

function central(c: MpcController, i: number, f: () => number): number | undefined {
  const th = c.getTheta();
  const at = (h: number): number => {
    const p = Float64Array.from(th);
    p[i] += h;
    c.setTheta(p);
    const fp = f();
    const m = Float64Array.from(th);
    m[i] -= h;
    c.setTheta(m);
    const fm = f();
    c.setTheta(th);
    return (fp - fm) / (2 * h);
  };
  const d1 = at(1e-5);
  const d2 = at(5e-6);
  if (!Number.isFinite(d1) || Math.abs(d1 - d2) > 1e-6 * Math.max(1, Math.abs(d1))) return undefined;
  return d2;
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1e-3, Math.abs(b));

describe.each(cases)("$spec", ({ spec, state, input, runtime }) => {
  it("gradValue, gradQvalue and policySensitivity match central differences for every parameter", () => {
    const { module, diagnostics } = compileToModule(readRepo(spec), { fileName: spec });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const c = module!.createController({ firstInputBounds: "removed" });
    const gv = c.gradValue(state, runtime);
    const gq = c.gradQvalue(state, input, runtime);
    const ps = c.policySensitivity(state, runtime);
    expect(gv.ok && gq.ok && ps.ok).toBe(true);
    let compared = 0;
    for (let i = 0; i < c.nTheta; i++) {
      const fv = central(c, i, () => c.value(state, runtime).value);
      const fq = central(c, i, () => c.qvalue(state, input, runtime).value);
      if (fv !== undefined) expect(rel(gv.grad[i], fv), `dV/dtheta[${i}]`).toBeLessThan(1e-4);
      if (fq !== undefined) expect(rel(gq.grad[i], fq), `dQ/dtheta[${i}]`).toBeLessThan(1e-4);
      for (let j = 0; j < c.nu; j++) {
        const fu = central(c, i, () => c.act(state, runtime).u[j]);
        if (fu !== undefined) expect(rel(ps.jacobian[j * c.nTheta + i], fu), `du0[${j}]/dtheta[${i}]`).toBeLessThan(1e-4);
      }
      if (fv !== undefined && fq !== undefined) compared++;
    }
    expect(compared).toBe(c.nTheta);
  });
});
