// Nonlinear MPC (issue 11): the `solver` item and `using rk4(n)` (parser, AST, formatter), and the
// checker's rules for `solver sqp|rti` controllers: smooth dynamics and constraints, Gauss-Newton
// `sumsq` costs, `hessian exact` for general terms, DPP waived, domains over the declared state
// bounds, and the classification in the semantic model (docs/language.md, docs/soundness.md).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check, controllerClass, costTermClass, describeControllers, format, parse, type ControllerBlock, type Diagnostic, type SolverItem } from "../index.js";

const CARTPOLE_BODY = `
  state x[4] in [[-5, -10, -7, -20], [5, 10, 7, 20]]
  input F[1] in [-10, 10]
  horizon 20
  timestep 0.02
  let v = x[1]
  let th = x[2]
  let om = x[3]
  let den = mc + mp*sin(th)^2
  dynamics der(x) = [v; (F[0] + mp*sin(th)*(l*om^2 + g*cos(th)))/den; om; (-F[0]*cos(th) - mp*l*om^2*cos(th)*sin(th) - (mc + mp)*g*sin(th))/(l*den)] using rk4
  minimize stage x'*Q*x + 0.01*F'*F
  subject to
    -2.4 <= x[0] <= 2.4 for k in 1..N
`;
const CONSTS = `const mc = 1.0
const mp = 0.1
const l = 0.5
const g = 9.81
const Q[4, 4] = diag([1, 0.1, 1, 0.1])
`;
const cartpole = (solver: string): string => `${CONSTS}controller CartPole {${solver ? `\n  ${solver}` : ""}${CARTPOLE_BODY}}\n`;

const errors = (ds: readonly Diagnostic[]): Diagnostic[] => ds.filter((d) => d.severity === "error");
const codes = (ds: readonly Diagnostic[]): string[] => ds.map((d) => d.code);

/** A small controller with the given items (x[2] in [-4, 4] x [-10, 10], u in [-2, 2]). */
function pendulum(items: string, opts: { solver?: string; bounds?: string } = {}): string {
  return `controller P {
  state x[2] in ${opts.bounds ?? "[[-4, -10], [4, 10]]"}
  input u[1] in [-2, 2]
  horizon 10
  timestep 0.05${opts.solver === "" ? "" : `\n  ${opts.solver ?? "solver sqp"}`}
${items}
}
`;
}
const DYN = "  dynamics der(x) = [x[1]; -9.81*sin(x[0]) + u[0]] using rk4";

describe("syntax: solver and substeps", () => {
  it("parses `solver sqp(...)` into the AST with typed options", () => {
    const { program, diagnostics } = parse(pendulum(DYN + "\n  minimize stage sumsq(x)", { solver: "solver rti(hessian = exact, max_iterations = 50, tolerance = 1e-8)" }));
    expect(diagnostics).toEqual([]);
    const block = program.items[0] as ControllerBlock;
    const s = block.items.find((i): i is SolverItem => i.kind === "Solver")!;
    expect(s).toMatchObject({ method: "rti", hessian: "exact", maxIterations: 50, tolerance: 1e-8 });
    expect(s.options.map((o) => o.name.name)).toEqual(["hessian", "max_iterations", "tolerance"]);
  });

  it("parses `using rk4(4)` as 4 substeps", () => {
    const { program, diagnostics } = parse(pendulum(DYN.replace("rk4", "rk4(4)") + "\n  minimize stage sumsq(x)"));
    expect(diagnostics).toEqual([]);
    const dyn = (program.items[0] as ControllerBlock).items.find((i) => i.kind === "Dynamics");
    expect(dyn).toMatchObject({ method: "rk4", substeps: 4 });
  });

  it("reports unknown solvers and options (MPC1019) and bad substeps (MPC1018) with fixes", () => {
    const bad = parse(pendulum(DYN + "\n  minimize stage sumsq(x)", { solver: "solver sqpp" })).diagnostics;
    expect(codes(bad)).toEqual(["MPC1019"]);
    expect(bad[0].edits?.[0].newText).toBe("sqp");
    const opt = parse(pendulum(DYN + "\n  minimize stage sumsq(x)", { solver: "solver sqp(hessian = exakt, iterations = 3)" })).diagnostics;
    expect(codes(opt)).toEqual(["MPC1019", "MPC1019"]);
    expect(opt[0].edits?.[0].newText).toBe("exact");
    expect(codes(parse(pendulum(DYN + "\n  minimize stage sumsq(x)", { solver: "solver qp(hessian = exact)" })).diagnostics)).toEqual(["MPC1019"]);
    expect(codes(parse(pendulum(DYN.replace("rk4", "rk4(0)") + "\n  minimize stage sumsq(x)")).diagnostics)).toEqual(["MPC1018"]);
    expect(codes(parse(pendulum(DYN.replace("rk4", "zoh(2)") + "\n  minimize stage sumsq(x)")).diagnostics)).toEqual(["MPC1018"]);
  });

  it("rejects `solver` in a plant (MPC1009) and twice in a controller (MPC2014)", () => {
    const plant = "plant W {\n  state s[1] = [0]\n  input a[1]\n  solver sqp\n  dynamics s+ = s + a\n  cost sumsq(s)\n  episode 10\n}\n";
    expect(codes(parse(plant).diagnostics)).toEqual(["MPC1009"]);
    const twice = check(pendulum(DYN + "\n  solver rti\n  minimize stage sumsq(x)")).diagnostics;
    expect(codes(errors(twice))).toEqual(["MPC2014"]);
  });

  it("formats the new items canonically and idempotently", () => {
    const text = pendulum(DYN.replace("rk4", "rk4( 4 )") + "\n  minimize stage sumsq(x)", { solver: "solver   sqp( hessian=exact ,max_iterations=50 )" });
    const once = format(text).text;
    expect(once).toContain("  solver sqp(hessian = exact, max_iterations = 50)\n");
    expect(once).toContain("using rk4(4)\n");
    expect(format(once).text).toBe(once);
  });

  it("formatting any combination of solver options is idempotent and keeps the AST (fast-check)", () => {
    const option = fc.constantFrom("hessian = exact", "hessian = gauss_newton", "max_iterations = 7", "tolerance = 1e-6");
    fc.assert(
      fc.property(fc.constantFrom("sqp", "rti"), fc.uniqueArray(option, { maxLength: 3, selector: (o) => o.split(" ")[0] }), fc.integer({ min: 1, max: 9 }), fc.boolean(), (m, opts, n, spaces) => {
        const sep = spaces ? " ,  " : ",";
        const solver = `solver ${m}${opts.length ? `(${opts.join(sep)})` : ""}`;
        const text = pendulum(DYN.replace("rk4", `rk4(${n})`) + "\n  minimize stage sumsq(x)", { solver });
        expect(parse(text).diagnostics).toEqual([]);
        const once = format(text).text;
        expect(format(once).text).toBe(once);
        const a = (parse(once).program.items[0] as ControllerBlock).items.find((i): i is SolverItem => i.kind === "Solver")!;
        const b = (parse(text).program.items[0] as ControllerBlock).items.find((i): i is SolverItem => i.kind === "Solver")!;
        expect([a.method, a.hessian, a.maxIterations, a.tolerance]).toEqual([b.method, b.hessian, b.maxIterations, b.tolerance]);
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});

describe("the cart-pole as a nonlinear MPC", () => {
  it("checks clean with `solver sqp` and is classified as an SQP with the Gauss-Newton Hessian", () => {
    const r = check(cartpole("solver sqp"));
    expect(r.diagnostics).toEqual([]);
    expect(controllerClass(r.model, "CartPole")).toEqual({ kind: "nlp", method: "sqp", hessian: "gauss_newton", integrator: { method: "rk4", substeps: 1 }, notes: [] });
    const block = r.program.items.find((i): i is ControllerBlock => i.kind === "Controller")!;
    const obj = block.items.find((i) => i.kind === "Objective")!;
    const term = obj.kind === "Objective" ? obj.terms[0] : undefined;
    expect(costTermClass(r.model, term!)?.addends.map((a) => a.kind)).toEqual(["convex_quadratic", "convex_quadratic"]);
    const [line] = describeControllers(r);
    expect(line).toMatch(/^CartPole: nonlinear MPC \(SQP, Gauss-Newton Hessian, rk4\): every QP subproblem is convex \(/);
  });

  it("without `solver sqp` is rejected (MPC4004) with the help and an edit that declares it", () => {
    const text = cartpole("");
    const errs = errors(check(text).diagnostics);
    expect(errs.length).toBeGreaterThan(0);
    expect(codes(errs).every((c) => c === "MPC4004" || c === "MPC4001")).toBe(true);
    const d = errs[0];
    expect(d.help).toContain("solver sqp");
    expect(d.notes?.some((n) => n.includes("solver sqp"))).toBe(true);
    const edit = d.edits?.[0];
    expect(edit?.newText).toBe("solver sqp\n  ");
    const fixed = text.slice(0, edit!.span.start) + edit!.newText + text.slice(edit!.span.end);
    expect(check(fixed).diagnostics).toEqual([]);
    expect(describeControllers(check(text))).toEqual([]); // nothing proved
  });

  it("a smooth quadratic constraint in a linear controller gets the sqp note (MPC4001); in a nonlinear one it passes", () => {
    const item = `${DYN.replace("-9.81*sin(x[0])", "-9.81*x[0]")}\n  minimize stage sumsq(x)\n  subject to\n    x[0]*x[1] <= 1`;
    const lin = errors(check(pendulum(item, { solver: "" })).diagnostics);
    expect(codes(lin)).toEqual(["MPC4001"]);
    expect(lin[0].help).toContain("solver sqp");
    expect(check(pendulum(item)).diagnostics).toEqual([]);
  });

  it("a linear controller stays as today: a substep count > 1 is rejected (MPC4012)", () => {
    const d = errors(check(pendulum(DYN.replace("-9.81*sin(x[0])", "-9.81*x[0]").replace("rk4", "rk4(4)") + "\n  minimize stage sumsq(x)", { solver: "" })).diagnostics);
    expect(codes(d)).toEqual(["MPC4012"]);
  });
});

describe("non-smooth functions stay errors (MPC4004) with the reformulation", () => {
  it("abs(e) <= c in a constraint: the edit writes -c <= e <= c", () => {
    const text = pendulum(`${DYN}\n  minimize stage sumsq(x)\n  subject to\n    abs(x[0] - 1) <= 3`);
    const [d] = errors(check(text).diagnostics);
    expect(d.code).toBe("MPC4004");
    expect(d.edits?.[0].newText).toBe("-3 <= x[0] - 1 <= 3");
    const fixed = text.slice(0, d.edits![0].span.start) + d.edits![0].newText + text.slice(d.edits![0].span.end);
    expect(check(fixed).diagnostics).toEqual([]);
  });

  it("a max(0, e) penalty in the stage cost: the edits move it to a soft constraint", () => {
    const text = pendulum(`${DYN}\n  minimize stage sumsq(x) + 5*max(0, x[1] - 2)\n  subject to\n    -3 <= x[0] <= 3`);
    const [d] = errors(check(text).diagnostics);
    expect(d.code).toBe("MPC4004");
    expect(d.help).toContain("soft x[1] - 2 <= 0 penalty linear 5");
    const edits = [...(d.edits ?? [])].sort((a, b) => b.span.start - a.span.start);
    expect(edits.length).toBe(2);
    let fixed = text;
    for (const e of edits) fixed = fixed.slice(0, e.span.start) + e.newText + fixed.slice(e.span.end);
    expect(fixed).toContain("minimize stage sumsq(x)\n");
    expect(fixed).toContain("    soft x[1] - 2 <= 0 penalty linear 5\n    -3 <= x[0] <= 3");
    expect(check(fixed).diagnostics).toEqual([]);
  });

  it("max of a state in the dynamics, a non-integer power in a constraint", () => {
    expect(codes(errors(check(pendulum(`${DYN.replace("sin(x[0])", "max(x[0], 0)")}\n  minimize stage sumsq(x)`)).diagnostics))).toEqual(["MPC4004"]);
    expect(codes(errors(check(pendulum(`${DYN}\n  minimize stage sumsq(x)\n  subject to\n    x[1]^1.5 <= 1`)).diagnostics))).toEqual(["MPC4004"]);
    // integer powers and tan/tanh are smooth
    expect(check(pendulum(`${DYN}\n  minimize stage sumsq(x)\n  subject to\n    x[1]^3 + tanh(x[0]) <= 1`)).diagnostics).toEqual([]);
  });
});

/** The diagnostics of a spec with discrete dynamics, without the unused-timestep warning of `pendulum`. */
const domainDiags = (text: string): Diagnostic[] => check(text).diagnostics.filter((d) => d.code !== "MPC4012");

describe("domains over the declared bounds", () => {
  it("sqrt of a state that may be negative is a warning (MPC4022), always negative an error (MPC4021)", () => {
    const may = domainDiags(pendulum(`  dynamics x+ = [sqrt(x[0]) + u[0]; x[1]]\n  minimize stage sumsq(x)`, { bounds: "[[-1, -1], [1, 1]]" }));
    expect(may.map((d) => [d.code, d.severity])).toEqual([["MPC4022", "warning"]]);
    const never = domainDiags(pendulum(`  dynamics x+ = [sqrt(x[0]) + u[0]; x[1]]\n  minimize stage sumsq(x)`, { bounds: "[[-2, -1], [-1, 1]]" }));
    expect(never.map((d) => [d.code, d.severity])).toEqual([["MPC4021", "error"]]);
    // at 0 sqrt is not differentiable: a warning too; strictly positive bounds prove it
    const edge = domainDiags(pendulum(`  dynamics x+ = [sqrt(x[0]) + u[0]; x[1]]\n  minimize stage sumsq(x)`, { bounds: "[[0, -1], [1, 1]]" }));
    expect(edge.map((d) => [d.code, d.severity])).toEqual([["MPC4022", "warning"]]);
    const fine = domainDiags(pendulum(`  dynamics x+ = [sqrt(x[0]) + u[0]; x[1]]\n  minimize stage sumsq(x)`, { bounds: "[[0.1, -1], [1, 1]]" }));
    expect(fine).toEqual([]);
  });

  it("division by and log of a state; parameter-only domains stay errors", () => {
    const d = domainDiags(pendulum(`  dynamics x+ = [u[0]/x[0]; log(x[1])]\n  minimize stage sumsq(x)`, { bounds: "[[-1, 0], [1, 1]]" }));
    expect(d.map((x) => [x.code, x.severity])).toEqual([
      ["MPC4022", "warning"],
      ["MPC4022", "warning"],
    ]);
    const p = domainDiags(pendulum(`  runtime r = 1 in [-1, 1]\n  dynamics x+ = [x[0] + u[0]*sqrt(r); x[1]]\n  minimize stage sumsq(x)`));
    expect(p.map((x) => [x.code, x.severity])).toEqual([["MPC4022", "error"]]);
  });
});

describe("the learnables' gradient of sqrt in a nonlinear MPC", () => {
  const sqrtOf = (box: string): Diagnostic[] => domainDiags(pendulum(`  learnable a = 1 in ${box}\n  dynamics x+ = [x[0] + 0.1*sqrt(a)*u[0]; x[1]]\n  minimize stage sumsq(x)`));
  it("is a warning (MPC4022) when the argument may be 0 on the box, nothing when the box keeps it > 0", () => {
    const edge = sqrtOf("[0, 2]");
    expect(edge.map((d) => [d.code, d.severity])).toEqual([["MPC4022", "warning"]]);
    expect(edge[0].message).toMatch(/gradient of `sqrt\(a\)` in the learnables/);
    expect(edge[0].help).toMatch(/in \[0\.01, 10\]/);
    expect(sqrtOf("[0.01, 2]")).toEqual([]);
    // a learnable that may be negative: the value itself may be undefined, the error as before
    expect(sqrtOf("[-1, 2]").map((d) => [d.code, d.severity])).toEqual([["MPC4022", "error"]]);
  });
});

describe("domains of element-wise operands, entry by entry", () => {
  // x[0] lies in [-2, -1] (always outside the domain of log), x[1] in [1, 2]: the hull [-2, 2] would
  // only say "may be outside"
  const entryDiags = (dyn: string, bounds: string): Diagnostic[] => domainDiags(pendulum(`  dynamics x+ = ${dyn}\n  minimize stage sumsq(x)`, { bounds }));

  it("log(x) with one entry negative over the whole box is MPC4021 naming the entry", () => {
    const [d, ...rest] = entryDiags("x + 0.1*log(x) + [1; 0]*u", "[[-2, 1], [-1, 2]]");
    expect(rest).toEqual([]);
    expect([d.code, d.severity]).toEqual(["MPC4021", "error"]);
    expect(d.label).toBe("entry [0] of `x` ranges over [-2, -1]");
    // writing the entry gives the same verdict
    expect(codes(entryDiags("[x[0] + 0.1*log(x[0]) + u[0]; x[1]]", "[[-2, 1], [-1, 2]]"))).toEqual(["MPC4021"]);
  });

  it("an entry that may leave the domain is the warning, naming that entry; all entries inside: nothing", () => {
    const [d, ...rest] = entryDiags("x + 0.1*log(x) + [1; 0]*u", "[[1, -1], [2, 2]]");
    expect(rest).toEqual([]);
    expect([d.code, d.severity]).toEqual(["MPC4022", "warning"]);
    expect(d.label).toContain("entry [1] of `x` ranges over [-1, 2]");
    expect(entryDiags("x + 0.1*log(x) + [1; 0]*u", "[[1, 0.5], [2, 2]]")).toEqual([]);
  });

  it("sum(sqrt(u)) and 1 ./ x with an entry bounded by [0, 0] are errors", () => {
    const sq = domainDiags(`controller P {
  state x[2] in [[-4, -10], [4, 10]]
  input u[2] in [[-2, 1], [-1, 2]]
  horizon 10
  solver sqp
  dynamics x+ = x + [1; 0]*sum(sqrt(u))
  minimize stage sumsq(x) + sumsq(u)
}
`);
    expect(sq.map((d) => [d.code, d.label])).toEqual([["MPC4021", "entry [0] of `u` ranges over [-2, -1]"]]);
    const div = entryDiags("x + 0.1*(1 ./ x) + [1; 0]*u", "[[0, 1], [0, 2]]");
    expect(div.map((d) => [d.code, d.message, d.label])).toEqual([["MPC4021", "`1 ./ x` is not defined: division by zero", "entry [0] of `x` is 0"]]);
  });

  it("the failing entry's own dependence decides the severity: a runtime entry next to a state entry is an error", () => {
    const nl = (dyn: string): Diagnostic[] =>
      domainDiags(`controller C {
  state x[2] in [[1, 1], [2, 2]]
  input u[1] in [-1, 1]
  runtime r in [-1, 1]
  horizon 4
  solver sqp
  dynamics x+ = ${dyn}
  minimize stage sumsq(x) + sumsq(u)
}
`);
    const mixed = nl("x + 0.1*log([x[0]; r]) + [u[0]; 0]");
    expect(mixed.map((d) => [d.code, d.severity, d.label])).toEqual([["MPC4022", "error", "entry [1] of `[x[0]; r]` ranges over [-1, 1] for the admissible learnables, stages and runtime values"]]);
    // the same verdict as an operand of runtime values only, in either order, and through a let and a sum
    expect(nl("x + 0.1*log([r; r]) + [u[0]; 0]").map((d) => [d.code, d.severity])).toEqual([["MPC4022", "error"]]);
    expect(nl("x + 0.1*log([r; x[1]]) + [u[0]; 0]").map((d) => [d.code, d.severity])).toEqual([["MPC4022", "error"]]);
    expect(nl("x + 0.1*log([x[0]; r] + 0*[1; 1]) + [u[0]; 0]").map((d) => [d.code, d.severity])).toEqual([["MPC4022", "error"]]);
    // a state entry that may leave the domain stays the warning when the runtime entry is inside
    const st = domainDiags(`controller C {
  state x[2] in [[-1, 1], [2, 2]]
  input u[1] in [-1, 1]
  runtime r = 1 in [0.5, 1]
  horizon 4
  solver sqp
  dynamics x+ = x + 0.1*log([x[0]; r]) + [u[0]; 0]
  minimize stage sumsq(x) + sumsq(u)
}
`);
    expect(st.map((d) => [d.code, d.severity])).toEqual([["MPC4022", "warning"]]);
    // the worse verdict wins: a runtime entry that may fail outranks an earlier state entry that may
    const both = domainDiags(`controller C {
  state x[2] in [[-1, 1], [2, 2]]
  input u[1] in [-1, 1]
  runtime r in [-1, 1]
  horizon 4
  solver sqp
  dynamics x+ = x + 0.1*log([x[0]; r]) + [u[0]; 0]
  minimize stage sumsq(x) + sumsq(u)
}
`);
    expect(both.map((d) => [d.code, d.severity, d.label?.slice(0, 9)])).toEqual([["MPC4022", "error", "entry [1]"]]);
  });

  it("the differentiability of sqrt names an entry that depends on states or inputs, never a constant one", () => {
    const ds = entryDiags("x + 0.1*sqrt([x[1]; 0]) + 0.1*sqrt([0; x[0]]) + [1; 0]*u", "[[0, 1], [2, 2]]");
    expect(ds.map((d) => [d.code, d.severity, d.label])).toEqual([
      ["MPC4022", "warning", "entry [1] of `[0; x[0]]` ranges over [0, 2] for the declared bounds of the states and inputs, the admissible learnables, stages and runtime values"],
    ]);
  });

  it("a runtime vector in a linear MPC: the entry outside decides, and it is an error", () => {
    const r = check(`controller C {
  state x[1]
  input u[1] in [-1, 1]
  runtime a[2] = [-1, 1] in [[-2, 0.5], [-0.5, 2]]
  horizon 4
  dynamics x+ = x + u
  minimize stage u'*u + x'*x + sum(sqrt(a))*u[0]
}
`);
    const d = errors(r.diagnostics);
    expect(d.map((x) => [x.code, x.label])).toEqual([["MPC4021", "entry [0] of `a` ranges over [-2, -0.5]"]]);
  });

  it("property: the verdict on a vector equals the worst verdict on its entries written one by one", () => {
    const verdictOf = (ds: readonly Diagnostic[]): "fine" | "maybe" | "always" => (ds.some((d) => d.code === "MPC4021") ? "always" : ds.some((d) => d.code === "MPC4022") ? "maybe" : "fine");
    const rank = { fine: 0, maybe: 1, always: 2 } as const;
    const end = fc.integer({ min: -3, max: 3 });
    fc.assert(
      fc.property(fc.tuple(end, end), fc.tuple(end, end), fc.constantFrom("log", "sqrt"), ([a0, b0], [a1, b1], f) => {
        const bounds = `[[${Math.min(a0, b0)}, ${Math.min(a1, b1)}], [${Math.max(a0, b0)}, ${Math.max(a1, b1)}]]`;
        const whole = verdictOf(entryDiags(`x + 0.1*${f}(x) + [1; 0]*u`, bounds));
        const e0 = verdictOf(entryDiags(`[x[0] + 0.1*${f}(x[0]) + u[0]; x[1]]`, bounds));
        const e1 = verdictOf(entryDiags(`[x[0] + u[0]; x[1] + 0.1*${f}(x[1])]`, bounds));
        expect(whole).toBe(rank[e0] >= rank[e1] ? e0 : e1);
      }),
      { seed: 11, numRuns: 60 },
    );
  });
});

describe("overflow inside the declared bounds (MPC4025)", () => {
  const diags = (dyn: string, bounds: string, decls = ""): Diagnostic[] => domainDiags(pendulum(`${decls}  dynamics x+ = ${dyn}\n  minimize stage sumsq(x)`, { bounds }));

  it("exp(x) with x in [0, 1000] is a warning with the threshold, a help and no error", () => {
    const ds = diags("[0.001*exp(x[0]) + u[0]; x[1]]", "[[0, -1], [1000, 1]]");
    expect(ds.map((d) => [d.code, d.severity])).toEqual([["MPC4025", "warning"]]);
    const d = ds[0];
    expect(d.message).toBe("`exp(x[0])` may overflow double precision inside the declared bounds");
    expect(d.label).toBe("`x[0]` ranges over [0, 1000]: `exp` is infinite above about 709.78");
    expect(d.help).toContain("tighten the declared bounds");
    expect(d.help).toContain("rescale");
  });

  it("exp of a vector names the entry; always infinite says so (an error even on states)", () => {
    const [d] = diags("0.001*exp(x) + [1; 0]*u", "[[0, 710], [1, 800]]");
    expect(d.code).toBe("MPC4025");
    expect(d.severity).toBe("error");
    expect(d.message).toContain("overflows double precision");
    expect(d.message).not.toContain("may");
    expect(d.label).toContain("entry [1] of `x` ranges over [710, 800]");
  });

  it("powers: a large base or a large runtime exponent; finite and unbounded arguments are not reported", () => {
    expect(codes(diags("[0.001*x[0]^200 + u[0]; x[1]]", "[[0, -1], [1000, 1]]"))).toEqual(["MPC4025"]);
    const r = diags("[x[0] + u[0]; 0.5*x[1] + 1e-300*10^r]", "[[-1, -1], [1, 1]]", "  runtime r = 1 in [1, 400]\n");
    expect(r.map((d) => [d.code, d.severity, d.label])).toEqual([["MPC4025", "error", "`r` ranges over [1, 400]: 10 to this power exceeds the largest double (about 1.8e308)"]]);
    // exp(709) and 10^300 are finite; an unbounded state proves nothing (no warning either way)
    expect(diags("[1e-300*exp(x[0]) + u[0]; x[1]]", "[[0, -1], [709, 1]]")).toEqual([]);
    expect(diags("[x[0]^110 + u[0]; x[1]]", "[[-1000, -1], [1000, 1]]").map((d) => d.code)).toEqual(["MPC4025"]);
    expect(diags("[x[0]^110 + u[0]; x[1]]", "[[-1000, -1], [1000, 1]]")[0].label).toContain("with the power 110");
    expect(diags("[0.001*x[0]^3 + u[0]; x[1]]", "[[0, -1], [1000, 1]]")).toEqual([]);
    expect(check(`controller P {
  state x[1]
  input u[1] in [-1, 1]
  horizon 3
  solver sqp
  dynamics x+ = 0.001*exp(x) + u
  minimize stage sumsq(x) + sumsq(u)
}
`).diagnostics).toEqual([]);
  });

  it("an operand free of states and inputs is an error (every call with such a value fails), in any controller", () => {
    const linear = (rt: string, extra = ""): Diagnostic[] =>
      domainDiags(`controller C {
  state x[1] in [-5, 5]
  input u[1] in [-1, 1]
  runtime r = ${rt}
  horizon 3
${extra}  dynamics x+ = x + u
  minimize stage u'*u + x'*x + 1e-300*exp(r)*u[0]
}
`);
    const always = linear("750 in [710, 800]");
    expect(always.map((d) => [d.code, d.severity])).toEqual([["MPC4025", "error"]]);
    expect(always[0].message).toContain("overflows");
    expect(always[0].help).toContain("bound the learnables or runtime values");
    expect(linear("0 in [0, 800]").map((d) => [d.code, d.severity])).toEqual([["MPC4025", "error"]]);
    expect(linear("0 in [0, 800]", "  solver sqp\n").map((d) => [d.code, d.severity])).toEqual([["MPC4025", "error"]]);
    expect(linear("0 in [0, 700]")).toEqual([]);
    // per entry: the runtime entry of exp([x[0]; r]) is the error, the state entry alone a warning
    const mixed = diags("[x[0] + u[0]; x[1]] + 1e-300*exp([x[0]; r])", "[[0, -1], [800, 1]]", "  runtime r = 0 in [0, 800]\n");
    expect(mixed.map((d) => [d.code, d.severity, d.label])).toEqual([["MPC4025", "error", "entry [1] of `[x[0]; r]` ranges over [0, 800]: `exp` is infinite above about 709.78"]]);
    const onState = diags("[x[0] + u[0]; x[1]] + 1e-300*exp([x[0]; r])", "[[0, -1], [800, 1]]", "  runtime r = 0 in [0, 700]\n");
    expect(onState.map((d) => [d.code, d.severity])).toEqual([["MPC4025", "warning"]]);
  });

  it("a linear MPC does not evaluate a power of states and inputs, but checks its QP coefficients", () => {
    const lin = (cost: string, decls = ""): Diagnostic[] =>
      domainDiags(`controller C {
  state x[1] in [-1e200, 1e200]
  input u[1] in [-1, 1]
${decls}  horizon 3
  dynamics x+ = x + u
  minimize stage u'*u + ${cost}
}
`);
    // x[0]^2 is the P entry 1: nothing overflows
    expect(lin("x[0]^2")).toEqual([]);
    expect(lin("(2*x[0] - 3)^2")).toEqual([]);
    const [c] = lin("(1e200*u[0])^2");
    expect([c.code, c.severity, c.message]).toEqual(["MPC4025", "error", "the QP coefficients of `(1e200*u[0])^2` may overflow double precision"]);
    expect(c.label).toBe("with each state and input in [-1, 1], `(1e200*u[0])` ranges over [-1e+200, 1e+200]: with the power 2 the value exceeds the largest double (about 1.8e308)");
    // (a runtime value stays below 1e20 at run time, whatever its declared range)
    expect(lin("(x[0] + 1e140*r)^2", "  runtime r = 0 in [0, 1e200]\n").map((d) => [d.code, d.severity])).toEqual([["MPC4025", "error"]]);
    expect(lin("(x[0] + r)^2", "  runtime r = 0 in [0, 1e200]\n")).toEqual([]);
    expect(lin("(x[0] + r)^2", "  runtime r = 0 in [0, 1e100]\n")).toEqual([]);
  });

  it("an undefined power is the domain's diagnostic, not an overflow", () => {
    const ds = diags("[x[0] + u[0]; x[1]^(-1)]", "[[-1, 0], [1, 1]]");
    expect(codes(ds)).toEqual(["MPC4022"]);
  });
});

describe("costs of a nonlinear MPC", () => {
  it("sumsq of a smooth residual is a Gauss-Newton term", () => {
    const r = check(pendulum(`${DYN}\n  learnable w = 1 in [0, 10]\n  minimize stage sumsq(x) + w*sumsq(1 - cos(x[0]))`));
    expect(r.diagnostics).toEqual([]);
    const block = r.program.items[0] as ControllerBlock;
    const obj = block.items.find((i) => i.kind === "Objective");
    const term = obj?.kind === "Objective" ? obj.terms[0] : undefined;
    const cls = costTermClass(r.model, term!);
    expect(cls?.kind).toBe("gauss_newton");
    expect(cls?.addends[1]).toMatchObject({ kind: "gauss_newton" });
    expect(cls?.addends[1].scale?.kind).toBe("Name");
    expect(describeControllers(r)[0]).toContain("Gauss-Newton Hessian 2 J'J is PSD by construction");
  });

  it("a general smooth term needs `hessian exact` (MPC4002 with the help and edit); with it, a note", () => {
    const text = pendulum(`${DYN}\n  minimize stage sumsq(x) + 0.1*sumsq(u) + exp(x[0])`);
    const [d] = errors(check(text).diagnostics);
    expect(d.code).toBe("MPC4002");
    expect(d.help).toContain("sumsq(r)");
    expect(d.help).toContain("hessian exact");
    expect(d.edits?.[0].newText).toBe("(hessian = exact)");
    const fixed = text.slice(0, d.edits![0].span.start) + d.edits![0].newText + text.slice(d.edits![0].span.end);
    const ok = check(fixed);
    expect(ok.diagnostics).toEqual([]);
    const cls = controllerClass(ok.model, "P");
    expect(cls?.kind === "nlp" && cls.hessian).toBe("exact");
    expect(cls?.kind === "nlp" && cls.notes.join(" ")).toContain("convexified per stage");
    expect(describeControllers(ok)[0]).toContain("exact Hessian convexified per stage by the solver");
  });

  it("quadratic terms still follow the linear rules: a learnable weight must be PSD by construction (MPC4003)", () => {
    const d = errors(check(pendulum(`${DYN}\n  learnable W[2, 2] = [[1, 0], [0, 1]]\n  minimize stage quad(x, W)`, { solver: "solver sqp(hessian = exact)" })).diagnostics);
    expect(codes(d)).toEqual(["MPC4003"]);
    const c = errors(check(pendulum(`${DYN}\n  minimize stage sumsq(x) - u'*u`)).diagnostics);
    expect(codes(c)).toEqual(["MPC4002"]);
  });

  it("DPP is waived: products of learnables are accepted in a nonlinear MPC, rejected (MPC4005) in a linear one", () => {
    const items = `  learnable a = 1 in [0.5, 2]\n  learnable b = 1 in [0.5, 2]\n  dynamics der(x) = [x[1]; -a*b*x[0] + u[0]] using rk4\n  minimize stage a*b*x'*x + sumsq(u)`;
    expect(check(pendulum(items)).diagnostics).toEqual([]);
    expect(codes(errors(check(pendulum(items, { solver: "" })).diagnostics))).toContain("MPC4005");
  });

  it("zoh of nonlinear dynamics is rejected with the rk4 fix (MPC4012)", () => {
    const [d] = errors(check(pendulum(`${DYN.replace("rk4", "zoh")}\n  minimize stage sumsq(x)`)).diagnostics);
    expect(d.code).toBe("MPC4012");
    expect(d.edits?.[0].newText).toBe("rk4");
  });
});
