// Red-team regressions of the checker's nonlinear rules (issue 11: `solver sqp|rti`). Each spec
// below was accepted by `check` (no error) although the compiler failed on it or every solve of the
// controller failed for an admissible parameter:
// 1. `b^x` with an exponent on states and a base that may be <= 0 (learnable, runtime or constant):
//    its linearization d(b^x)/dx = b^x*log(b) is NaN at b = 0 (the SQP's QP data non-finite:
//    `qp_failed ... invalid_input` at b = 0), and b^x is undefined for b < 0;
// 2. a soft constraint with a linear AND a quadratic penalty whose weight depends on a learnable or
//    runtime value: compile error MPC4603; on the stage index: compiled with the first stage's
//    weight at every stage (the slack's weights are numbers), silently not the spec;
// 3. state blocks integrated differently (`der(x) ... using rk4` beside `y+ = ...`, rk4 beside
//    euler, different substeps): compile error MPC4601;
// 4. an infinite value inside a constraint row (`e - inf <= 0`, `e == inf`): status
//    `invalid_input` at every solve, or compile error MPC4601 (a constant side infinite on the wrong
//    side, `e == inf`, is now MPC4026: check.stages.test.ts); a bound `w[k]` infinite at some stages
//    only was MPC4025 too, and is now no bound at those stages, as in a linear MPC;
// 5. `log(a*x)` with a = 0 inside a's box: undefined for every state at a = 0, but only a warning
//    (likewise `exp(a*x)` infinite for every state at a = 1000: only a warning);
// 6. `g^b` with a learnable exponent and a base that may be 0: the gradient in the learnables is NaN
//    there (now the same warning as `sqrt` of a learnable);
// 7. (a false rejection) `x <= 1/k for k in 1..N` was MPC4022 with k judged over 0..N;
// 8. a named infinite constant (`const big = inf`) as a weight, penalty or coefficient: every solve
//    `invalid_input` (also in a linear MPC: compile error MPC4603); only the literal was judged.
// Each must now be rejected with its code, a label and a help; the near-misses must still be
// accepted, compile and solve.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check, type Diagnostic } from "../index.js";
import { compileToModule } from "../../compiler/index.js";

const errors = (src: string): Diagnostic[] => check(src).diagnostics.filter((d) => d.severity === "error");
const codesOf = (ds: readonly Diagnostic[]): string[] => ds.map((d) => d.code);

/** A small nonlinear controller (x[2] in [1, 2] x [-10, 10], u in [-2, 2]) with the given items. */
function nlp(items: string, opts: { bounds?: string; timestep?: boolean } = {}): string {
  return `const w[6] = [1, 2, 3, 2, 1, 1]
controller P {
  state x[2] in ${opts.bounds ?? "[[1, -10], [2, 10]]"}
  input u[1] in [-2, 2]
  horizon 5${opts.timestep ? "\n  timestep 0.1" : ""}
  solver sqp
${items}
}
`;
}
const DYN = "  dynamics x+ = [x[0] + 0.1*u[0]; 0.5*x[1] + 0.1*sin(x[0])]";
const COST = "  minimize stage sumsq(x) + sumsq(u)";

/** Compiles a spec the checker accepts and solves at x0 for each theta (the box corners by default). */
function solveAt(src: string, x0: number[], thetas?: number[][]): string[] {
  const out = compileToModule(src);
  expect(out.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const m = out.nlpModule!;
  expect(m).toBeDefined();
  const t = m.template;
  const corners = thetas ?? [Array.from(t.theta0), t.params.flatMap((p) => Array.from(p.lower)), t.params.flatMap((p) => Array.from(p.upper))];
  return corners.map((theta) => m.createController({ theta }).act(x0).status);
}

const apply = (text: string, d: Diagnostic): string => {
  const edits = [...(d.edits ?? [])].sort((a, b) => b.span.start - a.span.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.span.start) + e.newText + out.slice(e.span.end);
  return out;
};

describe("1. a power with an exponent on states or inputs needs a base > 0 (MPC4021/MPC4022)", () => {
  const power = (decls: string, term: string): string => nlp(`${decls}  dynamics x+ = [x[0] + 0.1*u[0]; 0.5*x[1] + 0.1*${term}]\n${COST}`);

  it("a learnable base whose box reaches 0 is an error (the Jacobian b^x*log(b) is NaN at b = 0)", () => {
    const ds = errors(power("  learnable a = 1 in [0, 2]\n", "a^x[0]"));
    expect(ds.map((d) => [d.code, d.label])).toEqual([["MPC4022", "`a` ranges over [0, 2] for the admissible learnables, stages and runtime values"]]);
    expect(ds[0].message).toContain("needs a base > 0");
    expect(ds[0].help).toContain("in [0.01, 2]");
  });

  it("a runtime base that may be negative, a constant base 0 or negative", () => {
    expect(codesOf(errors(power("  runtime b = 1 in [-1, 1]\n", "b^x[0]")))).toEqual(["MPC4022"]);
    expect(codesOf(errors(power("", "0^x[0]")))).toEqual(["MPC4021"]);
    expect(codesOf(errors(power("", "(-2)^x[0]")))).toEqual(["MPC4021"]);
    expect(codesOf(errors(power("", "0.5^u[0]")))).toEqual([]);
  });

  it("near miss: a base bounded away from 0 checks clean, compiles and solves at both corners", () => {
    const src = power("  learnable a = 1 in [0.5, 2]\n", "a^x[0] + 2^u[0]");
    expect(check(src).diagnostics).toEqual([]);
    expect(solveAt(src, [1.5, 0])).toEqual(["solved", "solved", "solved"]);
  });

  it("a learnable exponent on a learnable base that may be 0: the gradient warning, like sqrt", () => {
    const g = (box: string): readonly Diagnostic[] => check(power(`  learnable g = 0.9 in ${box}\n  learnable b = 1.5 in [1, 2]\n`, "sin(x[0])*g^b")).diagnostics;
    const edge = g("[0, 1]");
    expect(edge.map((d) => [d.code, d.severity])).toEqual([["MPC4022", "warning"]]);
    expect(edge[0].message).toMatch(/gradient of `g\^b` in the learnables/);
    expect(g("[0.1, 1]")).toEqual([]);
    // a base that may be negative: the value itself, an error as before
    expect(g("[-1, 1]").map((d) => [d.code, d.severity])).toEqual([["MPC4022", "error"]]);
  });
});

describe("2. mixed linear + quadratic penalties need constant weights in a nonlinear MPC (MPC2015)", () => {
  const soft = (decls: string, penalty: string): string => nlp(`${decls}${DYN}\n${COST}\n  subject to\n    soft x[0]*x[1] <= 1 penalty ${penalty}`);

  it("a learnable linear weight or a runtime quadratic weight beside the other kind is an error", () => {
    const [d] = errors(soft("  learnable z = 1 in [0, 10]\n", "linear z quadratic 2"));
    expect([d.code, d.label]).toEqual(["MPC2015", "depends on a learnable parameter"]);
    expect(d.help).toContain("remove `quadratic 2`");
    expect(codesOf(errors(soft("  runtime r = 1 in [0, 10]\n", "linear 3 quadratic r")))).toEqual(["MPC2015"]);
  });

  // (a stage-dependent mixed weight was a near miss here, accepted and solved; but the slack's two
  // weights are numbers, those of the first stage the constraint applies at: `linear 0.9^k` over
  // 1..N was 0.9 at every stage, not the spec; now MPC2015 like a learnable one)
  it("a weight that depends on the stage index (directly, through a let, the `for` index) is an error too", () => {
    const [d, ...rest] = errors(soft("", "linear 0.9^k quadratic 1"));
    expect(rest).toEqual([]);
    expect([d.code, d.label]).toEqual(["MPC2015", "depends on the stage index `k`"]);
    expect(d.message).toBe(
      "the linear penalty weight `0.9^k` depends on the stage index, but a nonlinear MPC needs one weight for every stage when a soft constraint has both a linear and a quadratic penalty",
    );
    expect(d.help).toBe("keep the linear penalty alone (remove `quadratic 1`), or give both weights one value for every stage");
    const viaLet = errors(nlp(`  let g = 1 + 10*k\n${DYN}\n${COST}\n  subject to\n    soft x[0]*x[1] <= 1 penalty linear 1 quadratic g`));
    expect(codesOf(viaLet)).toEqual(["MPC2015"]);
    expect(viaLet[0].related?.map((r) => r.label)).toEqual(["`k` is used here"]);
    expect(codesOf(errors(nlp(`${DYN}\n${COST}\n  subject to\n    soft x[0]*x[1] <= 1 for j in 1..N penalty linear 1 + j quadratic 1`)))).toEqual(["MPC2015"]);
  });

  it("the lowering takes the first stage's weights: what the rejected weight compiled to", () => {
    // a linear weight 1 + 10*k alone is folded into each stage's row (one number per stage) ...
    const one = nlp(`${DYN}\n${COST}\n  subject to\n    soft x[0]*x[1] <= 1 for k in 1..N penalty linear 1 + 10*k`);
    expect(check(one).diagnostics).toEqual([]);
    expect(solveAt(one, [1.5, 1]).every((s) => s === "solved")).toBe(true);
    // ... and a mixed pair over a single path stage (or at N alone: its own weights) has one weight
    for (const range of ["for k in 1..1", "for k in N..N"]) {
      const src = nlp(`${DYN}\n${COST}\n  subject to\n    soft x[0]*x[1] <= 1 ${range} penalty linear 1 + 10*k quadratic 1`);
      expect(check(src).diagnostics, range).toEqual([]);
      expect(solveAt(src, [1.5, 1]).every((s) => s === "solved"), range).toBe(true);
    }
  });

  it("near misses: constant mixed weights, or one learnable penalty kind, compile and solve", () => {
    for (const src of [soft("", "linear 0.9^2 quadratic 1"), soft("  learnable z = 1 in [0, 10]\n", "quadratic z"), soft("  learnable z = 1 in [0, 10]\n", "linear z")]) {
      expect(check(src).diagnostics).toEqual([]);
      expect(solveAt(src, [1.5, 1]).every((s) => s === "solved")).toBe(true);
    }
  });
});

describe("3. every state of a nonlinear MPC has one discretization (MPC4012)", () => {
  const two = (dx: string, dy: string): string => `controller P {
  state x[1] in [-4, 4]
  state y[1] in [-4, 4]
  input u[1] in [-2, 2]
  horizon 5
  timestep 0.1
  solver sqp
  dynamics ${dx}
  dynamics ${dy}
  minimize stage sumsq(x) + sumsq(u) + sumsq(y)
}
`;
  it("continuous beside discrete is an error naming both", () => {
    const [d, ...rest] = errors(two("der(x) = -x + sin(y) + u using rk4", "y+ = 0.5*y + 0.1*x"));
    expect(rest).toEqual([]);
    expect(d.code).toBe("MPC4012");
    expect(d.message).toBe("every state of a nonlinear MPC needs the same discretization, but `x` is `using rk4` and `y` is discrete (`x+ = ...`)");
    expect(d.related?.[0].label).toBe("the first dynamics equation");
  });

  it("rk4(4) beside euler(2): the edit makes the method the first one's, which compiles", () => {
    const text = two("der(x) = -x + sin(y) + u using rk4(4)", "der(y) = -y + x using euler(2)");
    const [d] = errors(text);
    expect(d.code).toBe("MPC4012");
    expect(d.edits?.[0].newText).toBe("rk4(4)");
    const fixed = apply(text, d);
    expect(fixed).toContain("der(y) = -y + x using rk4(4)\n");
    expect(check(fixed).diagnostics).toEqual([]);
    expect(solveAt(fixed, [1, 0.5], [[]])).toEqual(["solved"]);
  });

  it("near miss: an equation without a count takes the first one's, as the compiler does", () => {
    const src = two("der(x) = -x + sin(y) + u using rk4(4)", "der(y) = -y + x using rk4");
    expect(check(src).diagnostics).toEqual([]);
    expect(solveAt(src, [1, 0.5], [[]])).toEqual(["solved"]);
  });

  // `using zoh` of linear dynamics passed the checker (MPC4012 was for nonlinear ones only) and
  // failed in the lowering (MPC4601: the nonlinear MPC's runtime has no zoh); without a method the
  // edit appended ` using zoh`, the other MPC4012
  it("`using zoh` of linear dynamics is MPC4012 from the checker too; the edits give rk4, which compiles", () => {
    for (const [dx, dy] of [
      ["der(x) = -x + y + u using zoh", "der(y) = -y + x using zoh"],
      ["der(x) = -x + y + u", "der(y) = -y + x"],
    ]) {
      const src = two(dx, dy);
      const ds = errors(src);
      expect(codesOf(ds), dx).toEqual(["MPC4012", "MPC4012"]);
      for (const d of ds) expect(d.edits?.map((e) => e.title), dx).toEqual(["integrate with rk4"]);
      let fixed = src;
      for (const d of [...ds].reverse()) fixed = apply(fixed, d);
      expect(fixed).toContain("der(x) = -x + y + u using rk4\n");
      expect(check(fixed).diagnostics, fixed).toEqual([]);
      expect(solveAt(fixed, [1, 0.5], [[]])).toEqual(["solved"]);
    }
    expect(errors(two("der(x) = -x + y + u using zoh", "der(y) = -y + x using zoh"))[0].message).toBe("a nonlinear MPC integrates its dynamics with `rk4` or `euler`: `zoh` is for a linear MPC");
  });
});

describe("4. no infinite value inside a constraint row of a nonlinear MPC (MPC4025), a whole side infinite at a stage is no bound", () => {
  const con = (c: string, decls = ""): string => nlp(`  const winf[6] = [1, inf, 1, 1, 1, 1]\n${decls}${DYN}\n${COST}\n  subject to\n    ${c}`);

  it("a whole side infinite at some stages only is no bound there, as in a linear MPC (its row count differed: it was MPC4025)", () => {
    // (docs/language.md, "Constraints": the row keeps its position, absent at the infinite stage)
    for (const c of ["x[0]*x[1] <= winf[k] for k in 0..5", "-winf[k] <= x[0]*x[1] <= winf[k] for k in 1..5", "soft x[0]*x[1] <= winf[k] for k in 0..5 penalty linear 1", "x[0] <= winf[k] for k in 1..5"]) {
      const src = con(c);
      expect(check(src).diagnostics, c).toEqual([]);
      // (from x[0] = 1.3, x[0] <= 1 at stage 1 would need u_0 <= -3: solved only without a bound there)
      expect(solveAt(src, [1.3, 0.1], [[]]), c).toEqual(["solved"]);
    }
    expect(solveAt(con("x[0] <= wone[k] for k in 1..5", "  const wone[6] = [1, 1, 1, 1, 1, 1]\n"), [1.3, 0.1], [[]])).not.toEqual(["solved"]);
    // inside an expression it is still MPC4025 (for both kinds of controller)
    expect(codesOf(errors(con("soft x[0]*x[1] <= 2*winf[k] for k in 0..5 penalty linear 1")))).toEqual(["MPC4025"]);
    // on the wrong side at a stage: MPC4026, as the linear lowering says, within `check`'s verdict
    const wrong = compileToModule(con("x[0]*x[1] <= -winf[k] for k in 0..5")).diagnostics.filter((d) => d.severity === "error");
    expect([wrong.map((d) => d.code), wrong[0]?.message]).toEqual([["MPC4026"], "this constraint can never hold at stage 1: it bounds an expression by inf from below or by -inf from above"]);
  });

  it("inf inside an expression (the row value -inf: invalid_input at every solve); inf on the wrong side is MPC4026", () => {
    expect(codesOf(errors(con("x[0]*x[1] - inf <= 0")))).toEqual(["MPC4025"]);
    // a constant side infinite on the wrong side has its own code, as in a linear MPC (stages test)
    const [eq] = errors(con("x[0]*x[1] == inf"));
    expect([eq.code, eq.label]).toEqual(["MPC4026", "an equality with an infinite value"]);
    expect(codesOf(errors(con("inf <= sin(x[0])")))).toEqual(["MPC4026"]);
  });

  it("near misses: a whole side inf (no bound), per entry, checks clean and solves", () => {
    for (const c of ["[x[0]*x[1]; sin(x[0])] <= [1; inf]", "-inf <= x[0]*x[1] <= w[k] for k in 0..5", "sin(x[0]) <= exp(-inf) + 1"]) {
      const src = con(c);
      expect(check(src).diagnostics).toEqual([]);
      expect(solveAt(src, [1.5, 0.1], [[]])).toEqual(["solved"]);
    }
  });
});

describe("5. a learnable or runtime value that makes a partial function undefined for every state (MPC4021)", () => {
  const dyn = (decls: string, term: string, bounds?: string): readonly Diagnostic[] =>
    check(nlp(`${decls}  dynamics x+ = [x[0] + 0.1*u[0]; 0.5*x[1] + 0.1*${term}]\n${COST}`, { bounds })).diagnostics;

  it("log(a*x) with a = 0 in the box: an error naming the value, not a warning", () => {
    const [d, ...rest] = dyn("  learnable a = 1 in [0, 3]\n", "log(a*x[0])");
    expect(rest).toEqual([]);
    expect([d.code, d.severity]).toEqual(["MPC4021", "error"]);
    expect(d.message).toBe("`log(a*x[0])` is not defined for any state or input when `a` = 0: `log` needs an argument > 0");
    expect(d.label).toBe("with `a` = 0 (inside its declared range), `a*x[0]` is 0 for the declared bounds of the states and inputs");
    // a runtime value at the end of its range, through a let
    const r = dyn("  runtime r = 0 in [0, 3]\n  let s = x[0] - r\n", "sqrt(s)");
    expect(r.map((x) => [x.code, x.severity])).toEqual([["MPC4021", "error"]]);
    expect(r[0].message).toContain("when `r` = 3");
  });

  it("an entry of a learnable vector: the corner of its box (every entry at its lower end)", () => {
    const [d, ...rest] = dyn("  learnable a[2] = [1, 1] in [[0, 0.5], [2, 2]]\n", "log(a[0]*x[0]) + a[1]*u[0]");
    expect(rest).toEqual([]);
    expect([d.code, d.severity]).toEqual(["MPC4021", "error"]);
    expect(d.message).toContain("when `a` = [0, 0.5]");
    expect(dyn("  learnable a[2] = [1, 1] in [[0.5, 0], [2, 2]]\n", "log(a[0]*x[0]) + a[1]*u[0]")).toEqual([]);
  });

  it("exp(a*x) with a = 1000 in the box overflows for every state: an error (MPC4025), not a warning", () => {
    const [d, ...rest] = dyn("  learnable a = 1 in [0, 1000]\n", "1e-300*exp(a*x[0])");
    expect(rest).toEqual([]);
    expect([d.code, d.severity, d.message]).toEqual(["MPC4025", "error", "`exp(a*x[0])` overflows double precision inside the declared bounds"]);
    expect(d.label).toContain("when `a` = 1000 (inside its declared range), for every state and input");
    expect(d.help).toContain("bound the learnables or runtime values");
    expect(dyn("  learnable a = 1 in [0, 300]\n", "1e-300*exp(a*x[0])")).toEqual([]);
    // the states decide: the warning as before
    expect(dyn("  learnable a = 1 in [0.5, 1]\n", "1e-300*exp(a*x[0])", "[[0, -10], [1000, 10]]").map((x) => [x.code, x.severity])).toEqual([["MPC4025", "warning"]]);
  });

  it("near misses: the states decide (a warning, as before), or the box keeps it defined (nothing)", () => {
    expect(dyn("  learnable a = 1 in [0.5, 3]\n", "log(a*x[0])")).toEqual([]);
    expect(dyn("  learnable a = 1 in [0, 3]\n", "log(a + x[0])", "[[-1, -10], [2, 10]]").map((x) => [x.code, x.severity])).toEqual([["MPC4022", "warning"]]);
    expect(dyn("  runtime r = 0 in [0, 0.5]\n", "sqrt(x[0] - r)")).toEqual([]);
  });
});

describe("6. domains are judged over the stages a statement applies at (false rejection)", () => {
  const con = (c: string): readonly Diagnostic[] => check(nlp(`${DYN}\n${COST}\n  subject to\n    ${c}`)).diagnostics;
  it("`1/k` in a constraint over 1..N is defined (it was MPC4022 with k over 0..N); over 0..N it is not", () => {
    expect(con("x[1]*x[0] <= 1/k for k in 1..N")).toEqual([]);
    expect(con("x[1]*x[0] <= log(k) + 1 for k in 1..N")).toEqual([]);
    const [d] = con("x[1]*x[0] <= 1/k for k in 0..N");
    expect([d.code, d.severity, d.label]).toEqual(["MPC4022", "error", "`k` ranges over [0, 5] for the admissible learnables, stages and runtime values"]);
    const src = nlp(`${DYN}\n${COST}\n  subject to\n    x[1]*x[0] <= 1 + 1/k for k in 1..N`);
    expect(solveAt(src, [1.5, 0.1], [[]])).toEqual(["solved"]);
  });
  it("a stage cost is evaluated at 0..N-1: `1/(N - k)` is defined there", () => {
    expect(check(nlp(`${DYN}\n  minimize stage sumsq(x) + sumsq(u) + sumsq(sin(x)/(N - k))`)).diagnostics).toEqual([]);
    expect(codesOf(errors(nlp(`${DYN}\n  minimize stage sumsq(x) + sumsq(u) + sumsq(sin(x)/(N - 1 - k))`)))).toEqual(["MPC4022"]);
  });
});

describe("a product of an expression with itself is a square (false rejection)", () => {
  const learnables = "  learnable a = 1 in [-1, 3]\n  learnable b = 1 in [-1, 3]";
  it("`(a*a)*sumsq(r)` and `(a .* a)*x'*x` with a in [-1, 3] are convex (were MPC4002 / MPC4019); `(a*b)` is not provably >= 0", () => {
    const ok = nlp(`${learnables}\n${DYN}\n  minimize stage (a*a)*sumsq(sin(x)) + (b .* b)*x'*x + sumsq(u)`);
    expect(errors(ok)).toEqual([]);
    // at the corners a = b = -1 and 3 (the weight 1 and 9), and at 0
    expect(solveAt(ok, [1.5, 0.1], [[-1, -1], [3, 3], [0, 0]])).toEqual(["solved", "solved", "solved"]);
    expect(codesOf(errors(nlp(`${learnables}\n${DYN}\n  minimize stage (a*b)*sumsq(sin(x)) + sumsq(u)`)))).toEqual(["MPC4002"]);
    expect(codesOf(errors(nlp(`${learnables}\n${DYN}\n  minimize stage (a*b)*x'*x + sumsq(u)`)))).toEqual(["MPC4019"]);
  });
});

describe("8. a named infinite constant in a weight, penalty or dynamics coefficient (MPC4025)", () => {
  const ctl = (items: string, solver = "solver sqp"): string => `const big = inf
const v[2] = [1, inf]
controller P {
  state x[2] in [[1, -10], [2, 10]]
  input u[1] in [-2, 2]
  horizon 5
  ${solver}
${items}
}
`;
  it("was accepted (only the literal `inf` was judged): every solve invalid_input, or MPC4603 in a linear MPC", () => {
    const pen = errors(ctl(`${DYN}\n${COST}\n  subject to\n    soft x[0]*x[1] <= 1 penalty linear big`));
    expect(pen.map((d) => [d.code, d.message, d.label])).toEqual([
      ["MPC4025", "`big` is not a finite number: a slack penalty must have finite QP data", "its value is inf: an infinite number here makes the QP data non-finite"],
    ]);
    expect(pen[0].help).toContain("large finite penalty");
    expect(codesOf(errors(ctl(`${DYN}\n  minimize stage sumsq(x) + big*sumsq(sin(u))`)))).toEqual(["MPC4025"]);
    const dyn = errors(ctl(`  dynamics x+ = [x[0] + 0.1*u[0]; 0.5*x[1] + 0.1*sin(x[0])*v[1]]\n${COST}`));
    expect(dyn.map((d) => [d.code, d.message])).toEqual([["MPC4025", "`v[1]` is not a finite number: the dynamics must have finite QP data"]]);
    // the same hole in a linear MPC
    expect(codesOf(errors(ctl(`  dynamics x+ = [x[0] + 0.1*u[0]; 0.5*x[1]]\n  minimize stage sumsq(x) + big*sumsq(u)`, "")))).toEqual(["MPC4025"]);
  });

  it("near misses: a finite entry, a finite function of inf, an infinite bound", () => {
    const src = ctl(`  dynamics x+ = [x[0] + 0.1*u[0]*v[0]; 0.5*x[1] + 0.1*sin(x[0])*exp(-big)]\n  minimize stage sumsq(x) + sumsq(u) + v[0]*sumsq(sin(u))\n  subject to\n    x[0] <= big\n    x[1] <= v[1]`);
    expect(check(src).diagnostics).toEqual([]);
    expect(solveAt(src, [1.5, 0.1], [[]])).toEqual(["solved"]);
  });
});

describe("the checker stays total on mutated nonlinear specs", () => {
  const base = nlp(
    `  learnable z = 1 in [0, 2]\n  runtime r = 1 in [-1, 1]\n  dynamics x+ = [x[0] + 0.1*u[0]; 0.5*x[1] + 0.1*z^x[0]*sin(x[0])]\n  minimize stage sumsq(x) + z*sumsq(sin(u)) + terminal sumsq(x)\n  subject to\n    x[0]*x[1] <= w[k] for k in 0..5\n    soft log(x[0]) >= r penalty linear z quadratic 1`,
  );
  const frags = ["inf", "-inf", "^", "^x[0]", "log(", "sqrt(", "tan(", "/", "0", "k", "prev(u)", "(", ")", "[", "]", ";", "r", "z", "==", "using euler", "der(x)", "soft ", "penalty quadratic r "];
  it("never throws (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length), fc.constantFrom(...frags), fc.nat(3)), { minLength: 1, maxLength: 4 }), (muts) => {
        let s = base;
        for (const [p, f, del] of muts) s = s.slice(0, p % (s.length + 1)) + f + s.slice((p % (s.length + 1)) + del);
        expect(() => check(s)).not.toThrow();
      }),
      { seed: 20261207, numRuns: 40 },
    );
  });
});
