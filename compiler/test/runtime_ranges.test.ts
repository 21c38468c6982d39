// The runtime facts the checker's proofs assume reach the compiled controller: a runtime value's
// declared range (`runtime r = ... in [lo, hi]`, also per forecast stage of a `disturbance`) is
// refused outside at run time, and the slot of each `prev(v)` names its input block, so a rollout
// feeds it the applied input even with several input blocks.
import { describe, expect, it } from "vitest";
import { compile, compileToModule } from "../index.js";

const spec = `
controller C {
  state x[1]
  input u[1] in [-1, 1]
  input w[2] in [-1, 1]
  runtime r = 0.5 in [0, 1]
  disturbance d[1] in [-0.1, 0]
  horizon 3
  dynamics x+ = x + u + w[1] + d
  minimize stage sumsq(x - r) + sumsq(u - prev(u)) + sumsq(w - prev(w))
}
`;

describe("runtime ranges and prev slots in the compiled controller", () => {
  it("the in-process controller refuses a runtime value or a forecast outside its declared range", () => {
    const { module, diagnostics } = compileToModule(spec);
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const mpc = module!.createController();
    expect(mpc.act([0.2], { r: 1 }).status).toBe("solved");
    const out = mpc.act([0.2], { r: 1.5 });
    expect(out.status).toBe("invalid_input");
    expect(out.fallback).toBe(true);
    expect(mpc.value([0.2], { d: [0, -0.05, -0.1] }).ok).toBe(true);
    const v = mpc.value([0.2], { d: [0, 0.05, -0.1] });
    expect(v.status).toBe("invalid_input");
    expect(v.message).toBe("runtime value `d[1]` = 0.05 is outside its declared range [-0.1, 0]");
  });

  it("each prev slot carries the offset of its input block", () => {
    const { module } = compileToModule(spec);
    const slots = module!.template.runtime.filter((r) => r.name.startsWith("prev_"));
    expect(slots.map((r) => [r.name, r.size, r.previousInput])).toEqual([
      ["prev_u", 1, 0],
      ["prev_w", 2, 1],
    ]);
    expect(module!.createController().previousInputs.length).toBe(2);
  });

  it("the emitted module writes the same ranges and prev offsets", () => {
    const code = compile(spec).code!;
    expect(code).toContain('{ name: "r", size: 1, offset: 0, defaultValue: Float64Array.from([0.5]), lower: Float64Array.from([0]), upper: Float64Array.from([1]) }');
    expect(code).toMatch(/name: "d", size: 3, .*lower: Float64Array\.from\(\[-0\.1, -0\.1, -0\.1\]\), upper: Float64Array\.from\(\[0, 0, 0\]\)/);
    expect(code).toMatch(/name: "prev_w", size: 2, .*previousInput: 1 \}/);
  });
});
