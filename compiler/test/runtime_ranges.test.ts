// The runtime facts the checker's proofs assume reach the compiled controller: a runtime value's
// declared range (`runtime r = ... in [lo, hi]`, also per forecast stage of a `disturbance`) is
// refused outside at run time, its declared default (the checker's `Model.runtimeDefault`, proven
// inside the range: MPC4023) is the template's default, broadcast over a disturbance's forecast
// stages, and the slot of each `prev(v)` names its input block, so a rollout feeds it the applied
// input even with several input blocks.
import { describe, expect, it } from "vitest";
import { check } from "../../language/index.js";
import { declaredDefault } from "../../language/check/index.js";
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

  it("the declared default of a disturbance is its forecast at every stage; `act` without a forecast uses it", () => {
    // finding_05 of the red team: the penalty d[0] - 0.2 is >= 0 over the range [0.2, 1], but a
    // default of 0 made it -0.2 (an unbounded QP)
    const src = `
controller C {
  state x[1]
  input u[1] in [-1, 1]
  disturbance d[1] = [0.5] in [0.2, 1]
  runtime r[2] = 0.25 in [0, 1]
  runtime s[2]
  horizon 3
  dynamics x+ = x + u + d
  minimize stage u'*u + x'*x + r'*r*u[0] + s[0]*u[0]
  subject to
    soft x[0] <= 1 for k in 1..N penalty linear d[0] - 0.2
}
`;
    const { module, diagnostics } = compileToModule(src);
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const rt = module!.template.runtime;
    const byName = (n: string) => Array.from(rt.find((r) => r.name === n)!.defaultValue);
    expect(byName("d")).toEqual([0.5, 0.5, 0.5]);
    expect(byName("r")).toEqual([0.25, 0.25]); // a scalar default broadcast to the declared shape
    expect(byName("s")).toEqual([0, 0]); // no `= value`: 0
    // the same fact as the checker's model
    const { model } = check(src);
    for (const [name, stages] of [["d", 3], ["r", 1], ["s", 1]] as const) {
      const sym = model.symbolsIn("C").find((x) => x.name === name)!;
      const one = declaredDefault(model, sym)!.data;
      expect(byName(name)).toEqual(Array.from({ length: stages }, () => one).flat());
    }
    const mpc = module!.createController();
    const omitted = mpc.act([3]);
    expect(omitted.status).toBe("solved");
    const explicit = module!.createController().act([3], { d: [0.5, 0.5, 0.5] });
    expect(Array.from(omitted.x)).toEqual(Array.from(explicit.x));
    expect(omitted.x[1]).toBeCloseTo(3 - 1 + 0.5, 12);
    // the emitted module writes the same default
    expect(compile(src).code).toContain('{ name: "d", size: 3, offset: 0, defaultValue: Float64Array.from([0.5, 0.5, 0.5])');
  });

  it("a matrix runtime value may take `I` as its default and its range (sized from the declaration)", () => {
    const src = `
controller C {
  state x[2]
  input u[2] in [-1, 1]
  runtime V[2, 2] = I in [I, 2]
  horizon 3
  dynamics x+ = x + 0.1*V*u
  minimize stage u'*u + x'*x
}
`;
    const { module, diagnostics } = compileToModule(src);
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const v = module!.template.runtime.find((r) => r.name === "V")!;
    expect([Array.from(v.defaultValue), Array.from(v.lower!), Array.from(v.upper!)]).toEqual([
      [1, 0, 0, 1],
      [1, 0, 0, 1],
      [2, 2, 2, 2],
    ]);
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
