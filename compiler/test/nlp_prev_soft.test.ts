// prev(u) and soft constraints at the terminal stage in nonlinear controllers (issue 11):
//  - prev(u) at stage 0 is the runtime slot prev_<u> (the previously applied input), at k >= 1
//    u_{k-1}: the optimal value recomputed by hand from the returned plan, the same spec solved as
//    a linear MPC (the QP path's prev()), derivatives (dV/dtheta, du_0/dtheta) against central
//    differences, the rollouts' slot;
//  - soft rows at k = N: closed-form optima of x+ = x + u, min sum u^2 + penalty(x_N), values and
//    derivatives; emitted code equal to the in-process model for both.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileToModule, type NlpModule } from "../index.js";
import { emitOcpModel } from "../emit/nlp.js";
import type { OcpModel, StageOut } from "../../runtime/nmpc/types.js";

const tmp = mkdtempSync(join(tmpdir(), "mpcrl-nlp-prev-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function nlp(source: string): NlpModule {
  const r = compileToModule(source, { fileName: "t.mpcrl" });
  if (r.nlpModule === undefined) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return r.nlpModule;
}

// a rate penalty r (u_k - u_{k-1})^2 with a learnable weight and a learnable, nonlinear model
const RATE = `
controller Rate {
  state x[1] in [-5, 5]
  input u[1] in [-2, 2]
  learnable a = 0.9 in [0.5, 1.5]
  learnable r = 1 in [0.5, 2]
  horizon 6
  solver sqp
  dynamics x+ = [a*x[0] + 0.3*sin(x[0]) + u[0]]
  minimize stage sumsq(x) + r*(u - prev(u))'*(u - prev(u)) + 0.1*u'*u
    + terminal sumsq(x)
}`;

// the same OCP with linear dynamics, as a linear MPC (QP) and as a nonlinear one
const LINEAR = `
controller Lin {
  state x[2] in [-5, 5]
  input u[1] in [-1, 1]
  horizon 8
  %SOLVER%
  dynamics x+ = [[1, 0.2], [0, 1]]*x + [[0.02], [0.2]]*u
  minimize stage x'*x + 3*(u - prev(u))'*(u - prev(u)) + 0.01*u'*u
    + terminal 5*x'*x
  subject to
    -0.4 <= u - prev(u) <= 0.4
}`;

const stageCost = (x: number, u: number, up: number, r: number): number => x * x + r * (u - up) ** 2 + 0.1 * u * u;

describe("prev(u) in a nonlinear controller", () => {
  const mod = nlp(RATE);

  it("carries the previous input as an extra state, fed by the runtime slot prev_u", () => {
    expect(mod.ir.carriedInputs).toEqual([0]);
    expect(mod.template.model.nx).toBe(2);
    expect(Array.from(mod.template.model.carriedInputs ?? [])).toEqual([0]);
    const c = mod.createController();
    expect(c.nx).toBe(1);
    expect(c.previousInputs.map((p) => [p.name, p.offset, p.size, Array.from(p.initial)])).toEqual([["prev_u", 0, 1, [0]]]);
  });

  it("stage 0 uses the previous input (not u_0), stage k >= 1 uses u_{k-1}: V recomputed from the plan", () => {
    const c = mod.createController();
    const [a, r] = [0.9, 1];
    const us: number[] = [];
    for (const p of [1.5, -1]) {
      const res = c.act([0.4], { prev_u: [p] });
      expect(res.status).toBe("solved");
      expect(res.x.length).toBe(7); // the declared state only
      let V = 0;
      let up = p;
      let x = 0.4;
      for (let k = 0; k < 6; k++) {
        const u = res.uPlan[k];
        expect(res.x[k]).toBeCloseTo(x, 9);
        V += stageCost(x, u, up, r);
        x = a * x + 0.3 * Math.sin(x) + u;
        up = u;
      }
      V += x * x;
      expect(res.value).toBeCloseTo(V, 9);
      // read as the stage's own input the stage-0 term would vanish: a different value
      const wrong = V - r * (res.uPlan[0] - p) ** 2;
      expect(Math.abs(res.value - wrong)).toBeGreaterThan(1e-3);
      us.push(res.u[0]);
      // value() and qvalue() at the plan's u_0 agree with act
      expect(c.value([0.4], { prev_u: [p] }).value).toBeCloseTo(res.value, 8);
      expect(c.qvalue([0.4], [res.u[0]], { prev_u: [p] }).value).toBeCloseTo(res.value, 8);
    }
    // the previous input pulls u_0 towards itself
    expect(us[0]).toBeGreaterThan(us[1] + 0.1);
  });

  it("derivatives include the cross terms: dV/dtheta and du_0/dtheta against central differences", () => {
    // converged tightly: central differences of solutions need them to ~1e-12
    const c = mod.createController({ sqp: { tolerance: 1e-12 } });
    const rt = { prev_u: [0.8] };
    const theta = [1.1, 1.3];
    c.setTheta(theta);
    const g = c.gradValue([0.7], rt);
    const s = c.policySensitivity([0.7], rt);
    expect(g.ok).toBe(true);
    expect(s.ok).toBe(true);
    const h = 1e-5;
    for (let j = 0; j < 2; j++) {
      const at = (d: number): { v: number; u: number } => {
        const t = [...theta];
        t[j] += d;
        c.setTheta(t);
        const v = c.value([0.7], rt).value;
        const u = c.policySensitivity([0.7], rt).u[0];
        return { v, u };
      };
      const p = at(h);
      const m = at(-h);
      expect(Math.abs(g.grad[j] - (p.v - m.v) / (2 * h))).toBeLessThan(1e-6 * Math.max(1, Math.abs(g.grad[j])));
      expect(Math.abs(s.jacobian[j] - (p.u - m.u) / (2 * h))).toBeLessThan(1e-5 * Math.max(1, Math.abs(s.jacobian[j])));
    }
    // the stage block of the rate term couples u_k and p_k = u_{k-1}: v = (x, p, u, a, r)
    const model = mod.template.model;
    const H5 = new Float64Array(25);
    model.general!.hessian(2, Float64Array.of(0.1, 0.3), Float64Array.of(-0.2), Float64Array.of(1.1, 1.3), new Float64Array(model.nRuntime ?? 0), 1, H5);
    expect(H5[1 * 5 + 2]).toBeCloseTo(-2 * 1.3, 12); // d2/dp du of r (u - p)^2
    expect(H5[2 * 5 + 1]).toBeCloseTo(-2 * 1.3, 12);
    expect(H5[2 * 5 + 2]).toBeCloseTo(2 * 1.3 + 0.2, 12);
    expect(H5[1 * 5 + 4]).toBeCloseTo(-2 * (-0.2 - 0.3), 12); // d2/dp dr = -2 (u - p)
  });

  it("a bound on prev(u) alone stays a row (no box on the carried state or a neighbour's)", () => {
    const m = nlp(RATE.replace("+ terminal sumsq(x)", "+ terminal sumsq(x)\n  subject to\n    prev(u) <= 1.5 for k in 1..N-1")).template.model;
    expect(Array.from(m.xUpper)).toEqual(Array.from({ length: 14 }, (_, i) => (i % 2 === 0 && i > 0 ? 5 : Infinity)));
    expect(m.constraint?.size).toBe(1);
    const out = { value: new Float64Array(1), jx: new Float64Array(2), ju: new Float64Array(1), jtheta: new Float64Array(2) };
    m.constraint!.eval(3, Float64Array.of(0.2, 1.7), Float64Array.of(0), Float64Array.of(1, 1), new Float64Array(m.nRuntime ?? 0), out);
    expect(out.value[0]).toBeCloseTo(0.2, 12);
    expect(Array.from(out.jx)).toEqual([0, 1]);
  });

  it("equals the linear MPC's prev() on a linear OCP (values, inputs, the rate constraint at stage 0)", () => {
    const qp = compileToModule(LINEAR.replace("%SOLVER%", ""), { fileName: "lin.mpcrl" }).module!;
    const sqp = nlp(LINEAR.replace("%SOLVER%", "solver sqp"));
    expect(sqp.ir.carriedInputs).toEqual([0]);
    const cq = qp.createController();
    const cn = sqp.createController();
    expect(cn.previousInputs.map((p) => p.name)).toEqual(cq.previousInputs!.map((p) => p.name));
    for (const [x, p] of [
      [[1, 0.5], 0],
      [[-2, 1], 0.9],
      [[0.3, -0.2], -1],
    ] as const) {
      const a = cq.act(x, { prev_u: [p] });
      const b = cn.act(x, { prev_u: [p] });
      expect(a.status).toBe("solved");
      expect(b.status).toBe("solved");
      expect(b.value).toBeCloseTo(a.value, 6);
      for (let k = 0; k < 8; k++) expect(b.uPlan[k]).toBeCloseTo(a.uPlan[k], 5);
      // the rate bound at stage 0 is measured from the previous input
      expect(Math.abs(b.u[0] - p)).toBeLessThanOrEqual(0.4 + 1e-9);
    }
  });
});

const TERM = `
controller Term {
  state x[1]
  input u[1] in [-5, 5]
  learnable rho = 0.2 in [0.1, 0.4]
  horizon 4
  solver sqp
  dynamics x+ = [x[0] + u[0]]
  minimize stage u'*u
  subject to
    %SOFT%
}`;

describe("soft constraints at k = N in a nonlinear controller", () => {
  // x+ = x + u from x_0 = 1, N = 4: the inputs are equal, s = -sum u; V = s^2/4 + penalty(1 - s)
  it("linear penalty rho max(0, x_N): s = 2 rho, V = rho - rho^2, dV/drho = 1 - 2 rho, du_0/drho = -1/2", () => {
    const mod = nlp(TERM.replace("%SOFT%", "soft x <= 0 for k in N..N penalty linear rho"));
    const m = mod.template.model;
    expect(m.softConstraint).toBeUndefined();
    expect(m.terminalSoftConstraint?.fn.size).toBe(1);
    const c = mod.createController();
    for (const rho of [0.2, 0.35]) {
      c.setTheta([rho]);
      const r = c.act([1]);
      expect(r.status).toBe("solved");
      expect(r.value).toBeCloseTo(rho - rho * rho, 9);
      expect(r.u[0]).toBeCloseTo(-rho / 2, 9);
      // the terminal slack (the only one) is the violation rho (1 - 2 rho): the row is rho x_N <= eps
      expect(r.slack.length).toBe(1);
      expect(r.slack[0]).toBeCloseTo(rho * (1 - 2 * rho), 9);
      const g = c.gradValue([1]);
      expect(g.grad[0]).toBeCloseTo(1 - 2 * rho, 8);
      const s = c.policySensitivity([1]);
      expect(s.status).toBe("solved");
      expect(s.jacobian[0]).toBeCloseTo(-0.5, 7);
    }
  });

  it("quadratic penalty q max(0, x_N)^2: s = 4q/(1 + 4q), V = s^2/4 + q (1 - s)^2; RTI keeps the terminal slack through the shift", () => {
    const mod = nlp(TERM.replace("%SOFT%", "soft x <= 0 for k in N..N penalty quadratic 1"));
    const c = mod.createController();
    const r = c.act([1]);
    const s = 4 / 5;
    expect(r.value).toBeCloseTo(s * s / 4 + (1 - s) ** 2, 9);
    expect(r.u[0]).toBeCloseTo(-s / 4, 9);
    const rti = mod.createController({ mode: "rti" });
    let x = 1;
    for (let k = 0; k < 6; k++) {
      const a = rti.act([x]);
      expect(a.status).toBe("solved");
      expect(Number.isFinite(a.slack[0])).toBe(true);
      x += a.u[0];
    }
    // the closed loop of a linear model with a quadratic cost: RTI equals the SQP's policy
    const sq = mod.createController();
    let y = 1;
    for (let k = 0; k < 6; k++) y += sq.act([y]).u[0];
    expect(x).toBeCloseTo(y, 8);
  });

  it("`terminal soft` is the same row; a soft equality penalizes both sides (closed form 2/21)", () => {
    const t = nlp(TERM.replace("%SOFT%", "terminal soft x <= 0 penalty linear rho"));
    expect(t.template.model.terminalSoftConstraint?.fn.size).toBe(1);
    expect(t.createController().act([1]).value).toBeCloseTo(0.2 - 0.04, 9);
    // min sum u^2 + sum_{k=2..4} (x_k - 0.5)^2 with x+ = x + u from 1: 2/21 (normal equations)
    const e = nlp(TERM.replace("%SOFT%", "soft x == 0.5 for k in 2..N penalty quadratic 1").replace("learnable rho = 0.2 in [0.1, 0.4]\n", ""));
    expect(e.template.model.softConstraint?.fn.size).toBe(2);
    expect(e.template.model.terminalSoftConstraint?.fn.size).toBe(2);
    expect(e.createController().act([1]).value).toBeCloseTo(2 / 21, 9);
  });

  it("a hard equality x_k = rho (k = 2..N) is one equality row where it applies: V = (1 - rho)^2 / 2, dV/drho = rho - 1, du_0/drho = 1/2", () => {
    // x+ = x + u from 1, min sum u^2 with x_2 = x_3 = x_4 = rho: u_0 = u_1 = (rho - 1)/2, u_2 = u_3 = 0
    const mod = nlp(TERM.replace("%SOFT%", "x == rho for k in 2..N"));
    const m = mod.template.model;
    expect(Array.from(m.constraintLower ?? [])).toEqual([-Infinity, -Infinity, 0, 0]);
    expect(Array.from(m.terminalConstraintLower ?? [])).toEqual([0]);
    for (const mode of ["sqp", "rti"] as const) {
      const c = mod.createController({ mode, rtiInit: "converged" });
      for (const rho of [0.2, 0.35]) {
        c.setTheta([rho]);
        const r = c.act([1]);
        expect(r.fallback).toBe(false);
        expect(r.u[0]).toBeCloseTo((rho - 1) / 2, 9);
        expect(r.x[2]).toBeCloseTo(rho, 9);
        expect(r.x[4]).toBeCloseTo(rho, 9);
        expect(c.value([1]).value).toBeCloseTo((1 - rho) ** 2 / 2, 9);
        expect(c.gradValue([1]).grad[0]).toBeCloseTo(rho - 1, 8);
        const sens = c.policySensitivity([1]);
        expect(sens.status).toBe("solved");
        expect(sens.jacobian[0]).toBeCloseTo(0.5, 7);
      }
    }
    // an equality with no solution is a status, not an exception: x_2 = rho and x_2 = rho + 1
    const clash = nlp(TERM.replace("%SOFT%", "x == rho for k in 2..2\n    x == rho + 1 for k in 2..2"));
    const r = clash.createController().act([1]);
    expect(r.fallback).toBe(true);
    expect(r.status).not.toBe("solved");
  });

  it("a soft row over 1..N is a path row and a terminal row with the same (folded) weights", () => {
    const mod = nlp(TERM.replace("%SOFT%", "soft x <= 0.5 for k in 1..N penalty linear 10*k"));
    const m = mod.template.model;
    const out = (nu: number): StageOut => ({ value: new Float64Array(1), jx: new Float64Array(1), ju: new Float64Array(nu), jtheta: new Float64Array(1) });
    const o = out(1);
    m.softConstraint!.fn.eval(2, Float64Array.of(1), Float64Array.of(0), Float64Array.of(0.2), new Float64Array(0), o);
    expect(o.value[0]).toBeCloseTo(20 * 0.5, 12);
    const t = out(0);
    m.terminalSoftConstraint!.fn.eval(4, Float64Array.of(1), new Float64Array(0), Float64Array.of(0.2), new Float64Array(0), t);
    expect(t.value[0]).toBeCloseTo(40 * 0.5, 12);
    expect(Array.from(t.jx)).toEqual([40]);
    expect(Array.from(m.terminalSoftConstraint!.l1)).toEqual([1]);
  });
});

describe("emitted code of prev() and terminal soft rows", () => {
  it("carries the lower bounds of hard equality rows (constraintLower) as the in-process model does", async () => {
    const mod = nlp(TERM.replace("%SOFT%", "x == rho for k in 2..N\n    x <= 2"));
    const live = mod.template.model;
    const lines: string[] = [];
    const types = emitOcpModel(mod.ir, (...l) => lines.push(...l));
    const file = join(tmp, "equality.ts");
    writeFileSync(file, [`import { ${types.join(", ")} } from ${JSON.stringify(new URL("../../runtime/nmpc/types.js", import.meta.url).href)};`, "", ...lines].join("\n"));
    const emitted = ((await import(file)) as { ocp: OcpModel }).ocp;
    expect(Array.from(emitted.constraintLower ?? [])).toEqual(Array.from(live.constraintLower ?? []));
    expect(Array.from(emitted.terminalConstraintLower ?? [])).toEqual(Array.from(live.terminalConstraintLower ?? []));
    expect(live.constraintLower?.length).toBe(4 * live.constraint!.size);
  });

  it("computes the same numbers as the in-process model", async () => {
    const source = RATE.replace("+ terminal sumsq(x)", "+ terminal sumsq(x)\n  subject to\n    soft x <= 1 + r for k in 1..N penalty linear 10\n    soft -1 <= u - prev(u) penalty quadratic 5");
    const mod = nlp(source);
    const live = mod.template.model;
    expect(live.terminalSoftConstraint).toBeDefined();
    const lines: string[] = [];
    const types = emitOcpModel(mod.ir, (...l) => lines.push(...l));
    const file = join(tmp, "rate.ts");
    writeFileSync(file, [`import { ${types.join(", ")} } from ${JSON.stringify(new URL("../../runtime/nmpc/types.js", import.meta.url).href)};`, "", ...lines].join("\n"));
    const emitted = ((await import(file)) as { ocp: OcpModel }).ocp;
    expect([emitted.nx, emitted.nu, emitted.N, emitted.nTheta]).toEqual([live.nx, live.nu, live.N, live.nTheta]);
    expect(Array.from(emitted.carriedInputs ?? [])).toEqual(Array.from(live.carriedInputs ?? []));
    expect(Array.from(emitted.xLower)).toEqual(Array.from(live.xLower));
    const none = new Float64Array(0);
    const x = Float64Array.of(0.3, -0.7);
    const u = Float64Array.of(0.4);
    const theta = Float64Array.of(1.1, 0.8);
    const rt = new Float64Array(live.nRuntime ?? 0);
    // dynamics over the declared state only
    const dyn = () => ({ f: new Float64Array(1), fx: new Float64Array(1), fu: new Float64Array(1), ftheta: new Float64Array(2) });
    const da = dyn();
    const db = dyn();
    live.dynamics(x.subarray(0, 1), u, theta, rt, da);
    emitted.dynamics(x.subarray(0, 1), u, theta, rt, db);
    expect(db).toEqual(da);
    for (const [fl, fe, k, uu] of [
      [live.softConstraint!.fn, emitted.softConstraint!.fn, 2, u],
      [live.terminalSoftConstraint!.fn, emitted.terminalSoftConstraint!.fn, 6, none],
    ] as const) {
      const mk = (): StageOut => ({ value: new Float64Array(fl.size), jx: new Float64Array(fl.size * 2), ju: new Float64Array(fl.size * uu.length), jtheta: new Float64Array(fl.size * 2) });
      const a = mk();
      const b = mk();
      fl.eval(k, x, uu, theta, rt, a);
      fe.eval(k, x, uu, theta, rt, b);
      expect(b).toEqual(a);
    }
    expect(Array.from(emitted.terminalSoftConstraint!.l1)).toEqual(Array.from(live.terminalSoftConstraint!.l1));
    const ga = { gx: new Float64Array(2), gu: new Float64Array(1), gtheta: new Float64Array(2) };
    const gb = { gx: new Float64Array(2), gu: new Float64Array(1), gtheta: new Float64Array(2) };
    expect(emitted.general!.eval(1, x, u, theta, rt, gb)).toBe(live.general!.eval(1, x, u, theta, rt, ga));
    expect(gb).toEqual(ga);
  });
});
