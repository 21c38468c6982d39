// A learnable quadratic soft-constraint penalty of a nonlinear controller (`penalty quadratic a`
// with `learnable a in [0, 10]`): the weight stays the slack's L2 weight (NlpStageIr.softWeight ->
// SoftConstraint.weight), never sqrt(a) folded into the row, whose derivative in a is infinite at
// a = 0, an admissible corner of the box (red-team finding 04: gradValue was NaN with ok true).
// dV/da, dQ/da and du_0/da against finite differences (one-sided at a = 0), the solution for a > 0
// equal to that of the same constant weight (which keeps the sqrt folding), and the emitted model's
// weights equal to the in-process model's.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileToModule } from "../index.js";
import { check } from "../../language/index.js";
import { modelOf } from "../../language/check/model.js";
import { findController } from "../lower/index.js";
import { NlpLowering } from "../lower/nlp.js";
import { emitOcpModel } from "../emit/nlp.js";
import { ocpModelFromIr } from "../ocp.js";
import type { NlpIr } from "../ir/nlp.js";
import type { LearnableMpc } from "../../runtime/mpc/types.js";
import type { OcpModel, StageOut } from "../../runtime/nmpc/types.js";

// the red team's finding_04.mpcrl, with the stage range and the weight as placeholders
const SPEC = `
controller C {
  state x[1] in [-5, 5]
  input u[1] in [-%U%, %U%]
  learnable a = 1 in [0, 10]
  horizon 3
  solver sqp
  dynamics x+ = x + %B%*u
  minimize stage sumsq(x) + sumsq(u)
  subject to
    soft x[0] <= 1 for k in %K%..N penalty quadratic %W%
}`;

function spec(o: { w?: string; k?: number; u?: number; b?: number } = {}): string {
  return SPEC.replace("%W%", o.w ?? "a")
    .replace("%K%", String(o.k ?? 1))
    .replace(/%U%/g, String(o.u ?? 1))
    .replace("%B%", String(o.b ?? 1));
}

function controller(source: string): LearnableMpc {
  const r = compileToModule(source, { fileName: "soft_weight.mpcrl" });
  if (r.nlpModule === undefined) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return r.nlpModule.createController();
}

function lower(source: string): NlpIr {
  const checked = check(source);
  const model = modelOf(checked.model);
  const block = findController(checked.program);
  if (model === undefined || block === undefined) throw new Error("no model or controller");
  return new NlpLowering(checked.program, source, block, { fileName: "soft_weight.mpcrl", model, method: "sqp", hessian: "gauss_newton" }).lowerNlp();
}

const tmp = mkdtempSync(join(tmpdir(), "mpcrl-soft-weight-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("a learnable quadratic penalty weight of a nonlinear controller", () => {
  it("gives a finite dV/da at a = 0 (the box corner): the one-sided limit, 6, with ok true", () => {
    const c = controller(spec());
    c.setTheta([0]);
    const g = c.gradValue([4]);
    expect(g.ok).toBe(true);
    expect(g.message).toBeUndefined();
    // the violations at a = 0 are x_1 - 1 = 2, x_2 - 1 = x_3 - 1 = 1: dV/da = 4 + 1 + 1
    expect(g.grad[0]).toBeCloseTo(6, 9);
    const h = 1e-7;
    const v0 = c.value([4]).value;
    c.setTheta([h]);
    expect(g.grad[0]).toBeCloseTo((c.value([4]).value - v0) / h, 5);
    // the constraint inactive everywhere: dV/da = 0, not NaN
    c.setTheta([0]);
    const inactive = c.gradValue([0.5]);
    expect(inactive.ok).toBe(true);
    expect(inactive.grad[0]).toBe(0);
  });

  for (const w of ["a", "0.8^k * a"]) {
    it(`dV/da and dQ/da equal finite differences on the box, a = 0 included (weight ${w})`, () => {
      const c = controller(spec({ w, u: 3, b: 0.5 }));
      const V = (a: number): number => {
        c.setTheta([a]);
        return c.value([4]).value;
      };
      const Q = (a: number): number => {
        c.setTheta([a]);
        return c.qvalue([4], [-0.5]).value;
      };
      const h = 1e-6;
      for (const a of [0, 0.5, 2, 10]) {
        c.setTheta([a]);
        const g = c.gradValue([4]);
        const gq = c.gradQvalue([4], [-0.5]);
        expect(g.ok && gq.ok).toBe(true);
        // one-sided at the corners of the box, central inside
        const lo = a === 0 ? a : a - h;
        const hi = a === 10 ? a : a + h;
        expect(g.grad[0]).toBeCloseTo((V(hi) - V(lo)) / (hi - lo), a === 0 || a === 10 ? 4 : 6);
        expect(gq.grad[0]).toBeCloseTo((Q(hi) - Q(lo)) / (hi - lo), a === 0 || a === 10 ? 4 : 6);
      }
    });
  }

  it("du_0/da equals central differences where the solution is differentiable; a status (never NaN with ok) at a = 0", () => {
    // every soft row active (k from 0, x stays above 1): no weakly active slack bound
    const c = controller(spec({ k: 0, u: 3, b: 0.5 }));
    const h = 1e-6;
    for (const a of [0.5, 2]) {
      c.setTheta([a]);
      const s = c.policySensitivity([4]);
      expect(s.ok).toBe(true);
      c.setTheta([a + h]);
      const up = c.act([4]).u[0];
      c.setTheta([a - h]);
      const down = c.act([4]).u[0];
      expect(s.jacobian[0]).toBeCloseTo((up - down) / (2 * h), 6);
    }
    c.setTheta([0]);
    const s0 = c.policySensitivity([4]);
    if (s0.ok) expect(Number.isFinite(s0.jacobian[0])).toBe(true);
    else expect(s0.message).toBeDefined();
  });

  it("has the solution of the same constant weight (folded in as sqrt(w)) for a > 0", () => {
    for (const w of [0.5, 2, 10]) {
      const learnable = controller(spec());
      learnable.setTheta([w]);
      const constant = controller(spec({ w: String(w) }));
      for (const x of [4, 2, 0.5, -3]) {
        const a = learnable.act([x]);
        const b = constant.act([x]);
        expect(a.status).toBe("solved");
        expect(b.status).toBe("solved");
        expect(a.u[0]).toBeCloseTo(b.u[0], 9);
        expect(a.value).toBeCloseTo(b.value, 9);
        for (let k = 0; k < a.x.length; k++) expect(a.x[k]).toBeCloseTo(b.x[k], 9);
      }
    }
  });

  it("lowers only theta-dependent quadratic weights to slack weights; the emitted model's weights equal the in-process ones", async () => {
    const constant = lower(spec({ w: "2" }));
    expect(constant.stages[0].softWeight).toBeUndefined();
    expect(constant.terminal.softWeight).toBeUndefined();
    const ir = lower(spec({ w: "0.8^k * a" }));
    expect(ir.stages[0].softWeight).toBeDefined();
    expect(ir.terminal.softWeight).toBeDefined();
    const live = ocpModelFromIr(ir);
    const lines: string[] = [];
    const types = emitOcpModel(ir, (...l) => lines.push(...l));
    const file = join(tmp, "weighted.ts");
    writeFileSync(file, [`import { ${types.join(", ")} } from ${JSON.stringify(new URL("../../runtime/nmpc/types.js", import.meta.url).href)};`, "", ...lines].join("\n"));
    const emitted = ((await import(file)) as { ocp: OcpModel }).ocp;
    const { nx, nu, nTheta } = live;
    const none = new Float64Array(0);
    const x = Float64Array.of(0.3);
    const u = Float64Array.of(-0.2);
    const theta = Float64Array.of(1.7);
    const out = (size: number, nuk: number): StageOut => ({ value: new Float64Array(size), jx: new Float64Array(size * nx), ju: new Float64Array(size * nuk), jtheta: new Float64Array(size * nTheta) });
    for (const [key, ks, nuk] of [
      ["softConstraint", [0, 1, 2], nu],
      ["terminalSoftConstraint", [3], 0],
    ] as const) {
      const wl = live[key]?.weight;
      const we = emitted[key]?.weight;
      if (wl === undefined || we === undefined) throw new Error(`${key} has no weight`);
      for (const k of ks) {
        const a = out(wl.size, nuk);
        const b = out(we.size, nuk);
        wl.eval(k, x, nuk === 0 ? none : u, theta, none, a);
        we.eval(k, x, nuk === 0 ? none : u, theta, none, b);
        expect(b).toEqual(a);
        // the weight at stage k is 0.8^k a, its derivative 0.8^k (k = 0: the row does not apply, weight 1)
        expect(a.value[0]).toBeCloseTo(k === 0 ? 1 : 0.8 ** k * 1.7, 14);
        expect(a.jtheta[0]).toBeCloseTo(k === 0 ? 0 : 0.8 ** k, 14);
      }
    }
  });
});
