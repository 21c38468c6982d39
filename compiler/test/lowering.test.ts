// Lowering details: zero-order hold against a hand-computed discretization, RK4/Euler, stage
// ranges and soft constraints, and the compiler's diagnostics (no stabilizing DARE solution,
// infeasible constraints at the plant's initial state, non-convex cost, zoh of learnable matrices).
import { describe, expect, it } from "vitest";
import { compileToModule, lower } from "../index.js";
import { dataLayout } from "../../runtime/mpc/template.js";
import { check, parse } from "../../language/index.js";
import { lowerProgram } from "../lower/index.js";
import { numericChecks } from "../lower/checks.js";
import { templateFromIr } from "../template.js";

function dynamicsRows(source: string): { A: Map<string, number>; l: number[]; n: number; nx: number; inputOffset: number } {
  const low = lower(source, { fileName: "t.mpcrl" });
  expect(low.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const t = low.template!;
  const L = dataLayout(t);
  const d = new Float64Array(L.length);
  t.fill(t.theta0, new Float64Array(t.nRuntime), d);
  const A = new Map<string, number>();
  for (let j = 0; j < t.n; j++) for (let k = t.A.colPtr[j]; k < t.A.colPtr[j + 1]; k++) A.set(`${t.A.rowIdx[k]},${j}`, d[L.A + k]);
  return { A, l: Array.from(d.subarray(L.l, L.u)), n: t.n, nx: t.nx, inputOffset: t.inputOffset };
}

const doubleIntegrator = (method: string) => `
controller DI {
  state x[2]
  input u[1]
  horizon 2
  timestep 0.1
  dynamics der(x) = [[0, 1], [0, 0]]*x + [[0], [1]]*u using ${method}
  minimize stage x'*x + u'*u
}
`;

describe("continuous dynamics", () => {
  it("zero-order hold of the double integrator is Ad = [[1, dt], [0, 1]], Bd = [[dt^2/2], [dt]]", () => {
    const dt = 0.1;
    const { A, inputOffset } = dynamicsRows(doubleIntegrator("zoh"));
    // Row 2 (first dynamics row, k = 0): x1[0] - Ad[0,:] x0 - Bd[0] u0 = 0
    expect(A.get("2,2")).toBe(1);
    expect(A.get("2,0")).toBeCloseTo(-1, 14);
    expect(A.get("2,1")).toBeCloseTo(-dt, 14);
    expect(A.get(`2,${inputOffset}`)).toBeCloseTo(-(dt * dt) / 2, 14);
    expect(A.get("3,1")).toBeCloseTo(-1, 14);
    expect(A.get("3,0")).toBeUndefined();
    expect(A.get(`3,${inputOffset}`)).toBeCloseTo(-dt, 14);
  });
  it("RK4 of a linear system is exact up to the 4th-order Taylor terms (equals zoh here)", () => {
    const zoh = dynamicsRows(doubleIntegrator("zoh"));
    const rk4 = dynamicsRows(doubleIntegrator("rk4"));
    for (const [k, v] of zoh.A) expect(rk4.A.get(k)).toBeCloseTo(v, 14);
  });
  it("Euler gives x+ = x + dt*(A x + B u)", () => {
    const { A, inputOffset } = dynamicsRows(doubleIntegrator("euler"));
    expect(A.get("2,1")).toBeCloseTo(-0.1, 14);
    expect(A.get(`2,${inputOffset}`)).toBeUndefined();
    expect(A.get(`3,${inputOffset}`)).toBeCloseTo(-0.1, 14);
  });
  it("zoh of a learnable state matrix is not DPP (MPC4005, the discretization rule)", () => {
    const low = lower(doubleIntegrator("zoh").replace("[[0, 1], [0, 0]]*x", "Ac*x").replace("horizon 2", "horizon 2\n  learnable Ac[2,2] = [[0, 1], [0, 0]]"));
    expect(low.diagnostics.map((d) => d.code)).toContain("MPC4005");
  });
});

describe("diagnostics of the numeric checks", () => {
  it("dlqr without a stabilizing solution", () => {
    const low = lower(`
controller C {
  state x[2]
  input u[1]
  horizon 3
  dynamics x+ = [[2, 0], [0, 0.5]]*x + [[0], [1]]*u
  minimize stage x'*x + u'*u + terminal quad(x, dlqr([[2, 0], [0, 0.5]], [[0], [1]], I, I))
}
`);
    // the checker folds small DAREs (and rejects this weight itself, MPC4002); else the compiler's MPC4604
    const d = low.diagnostics.find((x) => x.code === "MPC4604" || x.code === "MPC4002");
    expect(d?.severity).toBe("error");
    expect(d?.span.startLine).toBe(7);
  });
  it("infeasible constraints at the plant's initial state", () => {
    const low = lower(`
controller C {
  state x[1]
  input u[1] in [-0.1, 0.1]
  horizon 5
  dynamics x+ = 2*x + u
  minimize stage x'*x + u'*u
  subject to
    -1 <= x <= 1
}
plant P {
  state s[1] = [0.9]
  input a[1]
  dynamics s+ = 2*s + a
  cost s'*s
}
`);
    const d = low.diagnostics.find((x) => x.code === "MPC4607");
    expect(d).toBeDefined();
    expect(d!.span.startLine).toBe(9);
  });
  it("a non-convex cost at the initial parameters (numeric check, behind the checker's own)", () => {
    const source = `
controller C {
  state x[1]
  input u[1]
  horizon 2
  learnable q = -1
  dynamics x+ = x + u
  minimize stage q*x'*x + u'*u
}
`;
    const { program } = parse(source);
    const low = lowerProgram(program, source, "t.mpcrl");
    const d = numericChecks(templateFromIr(low.ir!), low.block!, undefined);
    expect(d.map((x) => x.code)).toEqual(["MPC4606"]);
    expect(d[0].span.startLine).toBe(8);
  });
});

describe("constraints", () => {
  it("input-rate constraints use prev(u) as a runtime value at k = 0", () => {
    const { module, diagnostics } = compileToModule(`
controller C {
  state x[1]
  input u[1] in [-5, 5]
  horizon 4
  dynamics x+ = x + u
  minimize stage (x - 3)'*(x - 3) + 0.01*u'*u
  subject to
    -0.5 <= u - prev(u) <= 0.5
}
`);
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const c = module!.createController();
    expect(module!.template.runtime.map((r) => r.name)).toEqual(["prev_u"]);
    const r0 = c.act([0], { prev_u: [0] });
    expect(r0.u[0]).toBeCloseTo(0.5, 6);
    const r1 = c.act([0], { prev_u: [2] });
    expect(r1.u[0]).toBeGreaterThan(1.5 - 1e-6);
    expect(Array.from(r1.uPlan).every((v, k, a) => Math.abs(v - (k === 0 ? 2 : a[k - 1])) <= 0.5 + 1e-6)).toBe(true);
  });
  it("soft constraints: one slack per row and stage, linear and quadratic penalties", () => {
    const { module } = compileToModule(`
controller C {
  state x[1]
  input u[1] in [-1, 1]
  horizon 3
  dynamics x+ = x + u
  minimize stage 0.1*u'*u
  subject to
    soft x >= 5 for k in 1..N penalty linear 1 quadratic 0.5
}
`);
    const t = module!.template;
    expect(t.nSlack).toBe(3); // k = 1..3 (states only)
    const c = module!.createController();
    const r = c.act([0]);
    // x_k = k at full throttle; slack s_k = 5 - x_k
    expect(Array.from(r.slack).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([4, 3, 2]);
  });
  // an infinite entry of a constant side is no bound (its constant was subtracted: -inf - (-inf)
  // gave NaN data, and check and compile refused the spec with MPC4603); one that can never hold
  // (bounded by inf from below, -inf from above) is MPC4026, reported by the checker first (it was
  // the lowering's MPC4607, "infeasible at the plant's initial state"); the lowering keeps the code
  // for what only a stage tells
  const bounded = (rows: string) => `
controller C {
  state x[2]
  input u[1] in [-1, 1]
  horizon 3
  dynamics x+ = [[1, 0.1], [0, 1]]*x + [[0], [0.1]]*u
  minimize stage (x - [2; 0])'*(x - [2; 0]) + u'*u
  subject to
${rows}
}
`;
  it("an infinite side is no bound: hard, soft and per stage, equal to the spec without it", () => {
    const plain = compileToModule(bounded("    x[0] <= 1 for k in 1..N")).module!.createController();
    const ref = plain.act([0.5, 0.3]);
    expect(ref.status).toBe("solved");
    for (const rows of [
      "    x <= [1; inf] for k in 1..N",
      "    -inf <= x[1] for k in 1..N\n    x[0] <= 1 for k in 1..N",
      "    x[0] + x[1] <= inf for k in 1..N\n    x[0] <= 1 for k in 1..N",
      "    x[0] <= w[k] for k in 1..N\n    x[0] <= 1 for k in 1..N",
    ]) {
      // (w[1] = inf: no bound at stage 1 only)
      const src = bounded(rows).replace("controller C {", "const w[4] = [1, inf, 1, 1]\ncontroller C {");
      const { module, diagnostics } = compileToModule(src);
      expect(diagnostics.filter((d) => d.severity === "error"), rows).toEqual([]);
      const r = module!.createController().act([0.5, 0.3]);
      expect(r.status, rows).toBe("solved");
      expect(r.u[0], rows).toBeCloseTo(ref.u[0], 9);
    }
    const soft = compileToModule(bounded("    soft x <= [1; inf] for k in 1..N penalty linear 100")).module!;
    expect(soft.template.nSlack).toBe(6);
    expect(soft.createController().act([0.5, 0.3]).status).toBe("solved");
  });
  it("a side that can never hold (x <= -inf, inf <= x) is MPC4026, from the checker", () => {
    for (const rows of ["    x <= [1; -inf] for k in 1..N", "    inf <= x[0] for k in 1..N"]) {
      const codes = compileToModule(bounded(rows)).diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
      expect(codes, rows).toEqual(["MPC4026"]);
      expect(check(bounded(rows)).diagnostics.map((d) => d.code), rows).toEqual(["MPC4026"]);
    }
  });
  it("a bound infinite on the wrong side at one stage only is MPC4026 from the lowering (the checker cannot fold it per stage)", () => {
    const src = bounded("    x[0] <= w[k] for k in 1..N").replace("controller C {", "const w[4] = [1, -inf, 1, 1]\ncontroller C {");
    expect(check(src).diagnostics).toEqual([]);
    const [d, ...rest] = compileToModule(src).diagnostics.filter((x) => x.severity === "error");
    expect(rest).toEqual([]);
    expect([d.code, d.message]).toEqual(["MPC4026", "this constraint can never hold at stage 1: it bounds an expression by inf from below or by -inf from above"]);
    expect(d.help).toContain("write `inf` as an upper bound and `-inf` as a lower one");
  });
});
