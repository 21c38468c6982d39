// The compiler lowers from the checker's model (issue 9): names resolve to the model's symbols, the
// horizon, settings, dimensions, constants and theta boxes are the model's, and a disagreement
// between the model and the compiler's own evaluation is an internal assertion (MPC4699), never a
// user diagnostic. Over every example and fixture that checks clean, the IR's sizes, horizon,
// discount and parameter boxes are the model's.
import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import type { ControllerBlock, Decl } from "../../language/ast.js";
import { check } from "../../language/index.js";
import { modelOf, type Model } from "../../language/check/model.js";
import { lowerChecked } from "../index.js";
import { repoRoot } from "./helpers.js";
import { specFiles } from "../../language/test/spec_files.js";

const errorsOf = (source: string) => check(source).diagnostics.filter((d) => d.severity === "error");

function checked(source: string): { program: ReturnType<typeof check>["program"]; model: Model } {
  const c = check(source);
  expect(c.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const model = modelOf(c.model);
  if (model === undefined) throw new Error("no model");
  return { program: c.program, model };
}

const value = (pool: { constValue(n: number): number | undefined }, n: number): number | undefined => pool.constValue(n);

describe("the compiler lowers from the checker's model", () => {
  it("settings see the horizon wherever it is written: `discount 1 - 1/N` before `horizon 4` is 0.75 (was -Infinity: N read as 0)", () => {
    const source = `controller C {
  state x[2]
  input u in [-1, 1]
  discount 1 - 1/N
  const M = N + 1
  horizon 4
  dynamics x+ = [[1, 0.1], [0, 1]]*x + [0, 0.1]*u
  minimize stage sumsq(x) + u^2 + M*u
}`;
    const { program, model } = checked(source);
    const low = lowerChecked(program, source, { model, skipNumericChecks: true });
    expect(low.diagnostics).toEqual([]);
    expect(low.ir!.discount).toBe(0.75);
    expect(low.ir!.horizon).toBe(4);
    // M = N + 1 = 5 is the linear cost of every u_k
    const ir = low.ir!;
    for (let k = 0; k < 4; k++) expect(value(ir.pool, ir.q[ir.inputOffset + k])).toBe(5);
  });

  it("a name means the declaration the checker resolved it to, per scope (block consts, shadowed top-level consts, stage indices)", () => {
    // `g` is 2 at the top level, 5 in the controller (MPC2003, a warning) and 7 in the plant; `h` is a
    // top-level const defined from the top-level `g` (3) wherever it is used; `w` exists only in
    // the controller and in the plant, with different values (it shadows nothing)
    const source = `const g = 2
const h = g + 1
controller C {
  state x[2]
  input u in [-1, 1]
  const g = 5
  const w = 10
  horizon 2
  dynamics x+ = [[1, 0.1], [0, 1]]*x + [0, 0.1]*u
  minimize stage sumsq(x) + u^2 + (g + h + w)*u
  subject to
    x[0] <= k + 0.5*j for j in 1..N
}
plant P {
  state s[2] = [1, 0]
  input a
  const g = 7
  const w = 100
  dynamics s+ = [[1, 0.1], [0, 1]]*s + [0, 0.1]*a
  cost (g + h + w)*s[0]
}`;
    const warnings = check(source).diagnostics;
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((d) => d.code === "MPC2003" && d.severity === "warning")).toBe(true);
    const { program, model } = checked(source);
    const low = lowerChecked(program, source, { model, skipNumericChecks: true });
    expect(low.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const ir = low.ir!;
    for (let k = 0; k < 2; k++) expect(value(ir.pool, ir.q[ir.inputOffset + k])).toBe(5 + 3 + 10);
    // the ranged constraint: x_j[0] <= k + 0.5 j with k the stage (= j): 1.5 at j = 1, 3 at j = 2
    const uppers = ir.u.map((n) => value(ir.pool, n));
    expect(uppers.slice(-2)).toEqual([1.5, 3]);
    // the plant's cost at s = [1, 0]: (7 + 3 + 100) * 1
    const plant = low.plant!;
    const vals = new Float64Array(plant.pool.nodes.length);
    const leaves = new Float64Array(plant.nx + plant.nu + plant.nd);
    leaves[0] = 1;
    plant.pool.evaluate([], leaves, vals);
    expect(vals[plant.cost]).toBe(110);
  });

  it("consults the model's accessors: resolution, shapes, the horizon, folded values, theta boxes", () => {
    const source = readFileSync(`${repoRoot}examples/double_integrator/double_integrator.mpcrl`, "utf8");
    const { program, model } = checked(source);
    const spies = (["resolve", "declared", "shapeOfSymbol", "horizon", "valueOf", "symbolValue", "thetaBox"] as const).map((m) => [m, vi.spyOn(model, m)] as const);
    const low = lowerChecked(program, source, { model, skipNumericChecks: true });
    expect(low.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    for (const [name, spy] of spies) expect(spy.mock.calls.length, `Model.${name}`).toBeGreaterThan(0);
  });

  it("a model and a lowering that disagree is an internal error (MPC4699), not a user diagnostic", () => {
    const source = `const g = 2
controller C {
  state x[2]
  input u in [-1, 1]
  horizon 2
  dynamics x+ = [[1, 0.1], [0, 1]]*x + [0, 0.1]*u
  minimize stage sumsq(x) + g*u^2
}`;
    const base = checked(source);
    const wrongValue = checked(source);
    const symbolValue = wrongValue.model.symbolValue.bind(wrongValue.model);
    vi.spyOn(wrongValue.model, "symbolValue").mockImplementation((s) => (s.name === "g" ? { rows: 1, cols: 1, data: [3] } : symbolValue(s)));
    const wrongShape = checked(source);
    const shapeOf = wrongShape.model.shapeOfSymbol.bind(wrongShape.model);
    vi.spyOn(wrongShape.model, "shapeOfSymbol").mockImplementation((s) => (s.name === "x" ? { rows: 3, cols: 1 } : shapeOf(s)));
    expect(lowerChecked(base.program, source, { model: base.model, skipNumericChecks: true }).diagnostics).toEqual([]);
    for (const { program, model } of [wrongValue, wrongShape]) {
      const d = lowerChecked(program, source, { model, skipNumericChecks: true }).diagnostics;
      expect(d.map((x) => x.code)).toEqual(["MPC4699"]);
      expect(d[0].message).toContain("lowering assertion");
    }
  });

  it("a stage-dependent index out of range: the checker rejects it (MPC3005), and lowering it anyway stays a user diagnostic (MPC4602)", () => {
    const source = `const w[3] = [1, 2, 3]
controller C {
  state x[2]
  input u in [-1, 1]
  horizon 3
  dynamics x+ = [[1, 0.1], [0, 1]]*x + [0, 0.1]*u
  minimize stage sumsq(x) + u^2
  subject to
    x[0] <= w[j] for j in 1..N
}`;
    // the checker proves the index in range at every stage the constraint applies at (red team)
    const c = check(source);
    expect(c.diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["MPC3005"]);
    const program = c.program;
    const model = modelOf(c.model)!;
    const d = lowerChecked(program, source, { model, skipNumericChecks: true }).diagnostics;
    expect(d.map((x) => `${x.code} ${x.message}`)).toEqual(["MPC4602 index 3 is out of range 0..2"]);
  });

  // Every example and fixture that checks clean: the IR is sized and parameterized by the model.
  const clean = [...specFiles(`${repoRoot}examples`), ...specFiles(`${repoRoot}language/test/fixtures`)]
    .map((p) => ({ p: p.slice(repoRoot.length), source: readFileSync(p, "utf8") }))
    .filter(({ source }) => errorsOf(source).length === 0);

  it("there are clean specs to compare", () => {
    expect(clean.length).toBeGreaterThan(20);
  });

  it.each(clean.map((c) => [c.p, c.source]))("%s: horizon, discount, sizes and theta boxes are the model's", (_p, source) => {
    const { program, model } = checked(source);
    const controllers = program.items.filter((i): i is ControllerBlock => i.kind === "Controller");
    for (const c of controllers) {
      const resolve = vi.spyOn(model, "resolve");
      const low = lowerChecked(program, source, { model, target: c.name.name, skipNumericChecks: true });
      expect(low.diagnostics.filter((d) => d.code === "MPC4699")).toEqual([]);
      const resolved = resolve.mock.calls.length;
      resolve.mockRestore();
      const ir = low.ir;
      if (ir === undefined) continue; // a compile-only diagnostic (MPC46xx)
      expect(resolved).toBeGreaterThan(0);
      expect(ir.horizon).toBe(model.horizon(c.name.name));
      const discount = c.items.find((i) => i.kind === "ScalarSetting" && i.key === "discount");
      expect(ir.discount).toBe(discount && discount.kind === "ScalarSetting" ? model.valueOf(discount.value)!.data[0] : 1);
      const decls = c.items.filter((i): i is Decl => i.kind === "Decl");
      const size = (d: Decl): number => {
        const s = model.shapeOfSymbol(model.declared(d)!)!;
        return s.rows * s.cols;
      };
      expect(ir.nx).toBe(decls.filter((d) => d.declKind === "state").reduce((n, d) => n + size(d), 0));
      expect(ir.nu).toBe(decls.filter((d) => d.declKind === "input").reduce((n, d) => n + size(d), 0));
      for (const p of ir.params) {
        const d = decls.find((x) => x.declKind === "learnable" && x.name.name === p.name)!;
        const box = model.thetaBox(model.declared(d)!)!;
        expect(Array.from(p.lower)).toEqual(box.lo);
        expect(Array.from(p.upper)).toEqual(box.hi);
      }
    }
  });
});
