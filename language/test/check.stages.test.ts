// The stages of a statement (language/check/stages.ts): every sign, curvature and domain judgement
// of a statement ranges the stage index over the stages the compiler evaluates it at (a `stage`
// term at 0..N-1, `terminal` at N, a constraint over its `for k in a..b`, by default 0..N-1 with an
// input and 1..N on states only), and what exists at stage N is the compiler's. Regressions of three
// false rejections and one duplicated diagnostic:
// 1. `-0.5 <= prev(u) <= 0.5 for k in 1..N` was MPC4018 ("`prev(u)` exists at stages 0..N-1
//    only"), but prev(u) at stage k is u_{k-1} (at k = 0 the previously applied input, a runtime
//    value): at N it is u_{N-1}, which exists; u itself at N does not (still MPC4018);
// 2. a stage weight `1/(N - k)` was MPC4019 (range [-inf, inf], k judged over 0..N) in a linear and a
//    nonlinear controller (also through the Gauss-Newton form `c*sumsq(r)`, MPC4002): a stage term
//    is evaluated at k = 0..N-1, where the weight lies in [1/N, 1];
// 3. a bound infinite on the wrong side (`x <= -inf`, `inf <= x[0]`) was MPC4025 ("value may
//    overflow") in a nonlinear controller and the lowering's MPC4607 ("infeasible at the plant's
//    initial state") in a linear one: now MPC4026 from the checker for both.
// Each false rejection now checks clean, compiles and solves; the near misses are still rejected.
// And three false acceptances:
// 4. `k` through a `let` where the compiler evaluates a statement once: the dynamics of a nonlinear
//    MPC (one model f(x, u)) and a linear `using zoh` (one matrix exponential) were compiled with
//    the let's value at stage 0 for every stage; likewise a disturbance forecast there (and `prev(u)`
//    under zoh). Now MPC2012 at the use, naming the `k` inside the let; a linear `x+ = ...`,
//    `using euler|rk4` evaluates them per stage and stays accepted (the plan follows each stage's
//    model). A let in a dimension, a value, a bound, a setting or a range (the compiler's MPC4601
//    or MPC4699) is MPC2012 too;
// 5. an infinite constant inside an expression of a constraint (`x[0] - inf <= 0`): silently no
//    bound in a linear controller, MPC4025 in a nonlinear one; now MPC4025 for both;
// 6. `prev(u)` alone at stage 0 (`for k in 0..N-1`): the linear lowering's MPC4601, accepted by the
//    nonlinear controller; now MPC4016 for both, saying why, with the edit starting at stage 1.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check, type Diagnostic } from "../index.js";
import { compileToModule, verify } from "../../compiler/index.js";

const errors = (src: string): Diagnostic[] => check(src).diagnostics.filter((d) => d.severity === "error");
const codesOf = (ds: readonly Diagnostic[]): string[] => ds.map((d) => d.code);

/** A one-state controller (u in [-1, 1], N = 10), linear or nonlinear, with the given cost and constraints. */
function spec(opts: { cost?: string; constraints?: string; decls?: string; nl?: boolean } = {}): string {
  const cost = opts.cost ?? (opts.nl ? "stage sumsq(x) + sumsq(u)" : "stage x'*x + u'*u");
  return `controller C {
${opts.nl ? "  solver sqp\n" : ""}  state x[1]
  input u[1] in [-1, 1]
${opts.decls ?? ""}  horizon 10
  dynamics x+ = x + 0.1*u
  minimize ${cost}
${opts.constraints ? `  subject to\n${opts.constraints
    .split("\n")
    .map((c) => `    ${c}`)
    .join("\n")}\n` : ""}}
`;
}

/** Compiles a spec the checker and the compiler accept and solves it at each state (with the runtime
 *  values given), returning the statuses and first inputs. */
function solve(src: string, states: number[][], runtime: Record<string, number[]> = {}): { status: string; u: number }[] {
  const out = compileToModule(src);
  expect(out.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const c = out.module?.createController() ?? out.nlpModule?.createController();
  expect(c).toBeDefined();
  // a linear controller has the runtime slot `prev_u` only where prev(u) is read at stage 0
  const declared = out.module ? new Set(out.module.template.runtime.map((r) => r.name)) : undefined;
  const values = Object.fromEntries(Object.entries(runtime).filter(([name]) => !declared || declared.has(name)));
  return states.map((x) => {
    const r = c!.act(x, values);
    return { status: r.status, u: r.u[0] };
  });
}

describe("1. prev(u) exists at every stage 0..N: at N it is u_{N-1} (false MPC4018)", () => {
  const PREV = "-0.5 <= prev(u) <= 0.5 for k in 1..N";

  for (const nl of [false, true]) {
    const kind = nl ? "nonlinear" : "linear";
    it(`\`${PREV}\` checks clean, compiles and solves with the bound active (${kind})`, () => {
      const src = spec({ nl, constraints: PREV });
      expect(check(src).diagnostics).toEqual([]);
      expect(codesOf(verify(src).diagnostics)).toEqual([]);
      // k = 1 bounds u_0 (k = N bounds u_{N-1}): far from the origin the input saturates at 0.5, not 1;
      // the previously applied input (stage 0, a runtime value) is not bounded, at both ends of u's box
      for (const prev of [[-1], [1]]) {
        const r = solve(src, [[10], [-10], [0.2]], { prev_u: prev });
        expect(r.map((s) => s.status)).toEqual(["solved", "solved", "solved"]);
        expect(r[0].u).toBeCloseTo(-0.5, 5);
        expect(r[1].u).toBeCloseTo(0.5, 5);
        expect(Math.abs(r[2].u)).toBeLessThan(0.5);
      }
    });

    it(`prev(u) in a terminal constraint, a terminal cost and a let at N (${kind})`, () => {
      const src = spec({
        nl,
        decls: "  let p = prev(u)\n",
        cost: `stage ${nl ? "sumsq(x) + sumsq(u)" : "x'*x + u'*u"} + terminal p'*p`,
        constraints: "terminal -0.5 <= prev(u) <= 0.5\n-0.2 <= x - p <= 0.2 for k in 1..N",
      });
      expect(check(src).diagnostics).toEqual([]);
      const r = solve(src, [[0.3], [-0.3]], { prev_u: [1] });
      expect(r.map((s) => s.status)).toEqual(["solved", "solved"]);
    });
  }

  it("near misses: what reads u_N is still MPC4018 (u, u - prev(u), a let of u, a terminal u)", () => {
    const one = (constraints: string, decls = ""): Diagnostic => {
      const ds = errors(spec({ constraints, decls }));
      expect(codesOf(ds), constraints).toEqual(["MPC4018"]);
      return ds[0];
    };
    const u = one("-0.5 <= u <= 0.5 for k in 1..N");
    expect([u.message, u.label]).toEqual(["this constraint (its range ends at N) is evaluated at stage N, where there is no input", "`u` exists at stages 0..N-1 only"]);
    expect(u.help).toBe("end the range at `N-1`");
    // the input, not prev(u), is named
    expect(one("-0.5 <= u - prev(u) <= 0.5 for k in 0..N").label).toBe("`u` exists at stages 0..N-1 only");
    expect(one("-0.5 <= du <= 0.5 for k in 1..N", "  let du = u - prev(u)\n").label).toBe("`du` uses an input, which exists at stages 0..N-1 only");
    expect(one("terminal prev(u) + u <= 1").label).toBe("`u` exists at stages 0..N-1 only");
    expect(codesOf(errors(spec({ cost: "stage x'*x + u'*u + terminal u'*u" })))).toEqual(["MPC4018"]);
  });
});

describe("2. a statement's signs are judged over its own stages (false MPC4019 / MPC4002)", () => {
  it("a stage weight `1/(N - k)` (in [1/N, 1] at k = 0..N-1) in a linear controller", () => {
    const src = spec({ cost: "stage (1/(N - k))*x'*x + u'*u" });
    expect(check(src).diagnostics).toEqual([]);
    const r = solve(src, [[10], [-10], [0]]);
    expect(r.map((s) => s.status)).toEqual(["solved", "solved", "solved"]);
    expect(r[0].u).toBeLessThan(0);
    expect(r[2].u).toBeCloseTo(0, 9);
  });

  it("a nonlinear controller: a convex quadratic, and a Gauss-Newton term `c*sumsq(r)` with c = 1/(N - k)", () => {
    for (const term of ["(1/(N - k))*sumsq(x)", "(1/(N - k))*sumsq(sin(x))", "sumsq(x)*(1/(N - k))"]) {
      const src = spec({ nl: true, cost: `stage ${term} + sumsq(u)` });
      const checked = check(src);
      expect(checked.diagnostics, term).toEqual([]);
      const r = solve(src, [[1], [-1], [0]]);
      expect(r.map((s) => s.status), term).toEqual(["solved", "solved", "solved"]);
      expect(r[0].u, term).toBeLessThan(0);
    }
  });

  it("near misses: a weight that may be negative or infinite at a stage the term applies at", () => {
    // k - 1 is -1 at k = 0; the label gives the range over the term's stages 0..N-1
    const [neg] = errors(spec({ cost: "stage (k - 1)*x'*x + u'*u" }));
    expect([neg.code, neg.label]).toEqual(["MPC4019", "ranges over [-1, 8] for the admissible learnables, stages and runtime values"]);
    expect(codesOf(errors(spec({ cost: "stage (1/(k - 1))*x'*x + u'*u" })))).toContain("MPC4019");
    // the Gauss-Newton form needs c >= 0 at every stage: a general term otherwise
    expect(codesOf(errors(spec({ nl: true, cost: "stage (1/(k - 1))*sumsq(sin(x)) + sumsq(u)" })))).toEqual(["MPC4002"]);
    // negative at every stage 0..N-1 (N - k - 11 <= -2): concave
    expect(codesOf(errors(spec({ cost: "stage (N - k - 11)*x'*x + u'*u" })))).toEqual(["MPC4002"]);
    // a terminal term has no stage index
    expect(codesOf(errors(spec({ cost: "stage x'*x + u'*u + terminal (1/(N - k))*x'*x" })))).toEqual(["MPC2012"]);
  });

  it("constraints and penalties over their own range: `1/(N - k)` over 0..N-1 compiles, over 0..N it is not defined at N", () => {
    const ok = spec({ constraints: "x <= 1/(N - k) for k in 0..N-1\nsoft x >= -1 for k in 0..N-1 penalty linear 1/(N - k)" });
    expect(check(ok).diagnostics).toEqual([]);
    // (x_0 itself is bounded by 1/N at k = 0)
    expect(solve(ok, [[0.05], [-0.5]]).map((s) => s.status)).toEqual(["solved", "solved"]);
    const [d] = errors(spec({ constraints: "x <= 1/(N - k) for k in 0..N" }));
    expect([d.code, d.label]).toEqual(["MPC4022", "`(N - k)` ranges over [0, 10] for the admissible learnables, stages and runtime values"]);
    expect(codesOf(errors(spec({ constraints: "soft x >= -1 for k in 0..N penalty linear 1/(N - k)" })))).toContain("MPC4022");
  });

  it("a constraint without a range applies where the compiler puts it: 1..N on states only, 0..N-1 with an input", () => {
    const states = spec({ constraints: "x <= 1 + 1/k" });
    expect(check(states).diagnostics).toEqual([]);
    expect(solve(states, [[0.5]]).map((s) => s.status)).toEqual(["solved"]);
    expect(codesOf(errors(spec({ constraints: "x + u <= 1 + 1/k" })))).toEqual(["MPC4022"]);
    expect(check(spec({ constraints: "x + u <= 1 + 1/(N - k)" })).diagnostics).toEqual([]);
  });

  it("matches the compiler on every stage range: `1/(c - k)` is accepted iff c lies outside the range, and then compiles (fast-check)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: -2, max: 9 }), (n, a0, b0, c) => {
        const [a, b] = [Math.min(a0, b0, n), Math.min(Math.max(a0, b0), n)];
        const src = `controller C {
  state x[1]
  input u[1] in [-1, 1]
  horizon ${n}
  dynamics x+ = x + 0.1*u
  minimize stage x'*x + u'*u
  subject to
    x <= 2 + 1/(${c} - k) for k in ${a}..${b}
}
`;
        const accepted = errors(src).length === 0;
        expect(accepted).toBe(c < a || c > b);
        if (accepted) expect(compileToModule(src).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      }),
      { seed: 20260101, numRuns: 40 },
    );
  });
});

describe("3. a bound infinite on the wrong side is MPC4026, for linear and nonlinear controllers", () => {
  for (const nl of [false, true]) {
    const kind = nl ? "nonlinear" : "linear";
    const two = (constraints: string): string =>
      `controller C {
${nl ? "  solver sqp\n" : ""}  state x[2]
  input u[1] in [-1, 1]
  horizon 3
  dynamics x+ = [[1, 0.1], [0, 1]]*x + [[0], [0.1]]*u
  minimize stage ${nl ? "sumsq(x) + sumsq(u)" : "x'*x + u'*u"}
  subject to
    ${constraints}
}
`;

    it(`\`x <= -inf\`, \`inf <= x[0]\`, \`x <= [1; -inf]\`, \`x == [1; inf]\` (${kind}), reported by check before the lowering`, () => {
      const cases: [string, string, string][] = [
        ["x <= -inf", "-inf", "an upper bound of -inf"],
        ["inf <= x[0]", "inf", "a lower bound of +inf"],
        ["x[1] >= inf for k in 1..N", "inf", "a lower bound of +inf"],
        ["x <= [1; -inf] for k in 1..N", "[1; -inf]", "entry [1] is -inf: an upper bound of -inf"],
        ["soft x == [1; inf] penalty linear 1", "[1; inf]", "entry [1] is inf: an equality with an infinite value"],
      ];
      for (const [c, side, label] of cases) {
        const src = two(c);
        const ds = check(src).diagnostics;
        expect(codesOf(ds), c).toEqual(["MPC4026"]);
        const d = ds[0];
        expect(d.severity).toBe("error");
        expect(src.slice(d.span.start, d.span.end), c).toBe(side);
        expect(d.label, c).toBe(label);
        expect(d.message, c).toMatch(/^this bound is infinite on the wrong side: `.*` can never hold$/);
        expect(d.related?.map((r) => r.label), c).toEqual(["in this constraint"]);
        expect(d.help, c).toContain(label.includes("equality") ? "`inf` as an upper bound, `-inf` as a lower one" : "write `inf` as an upper bound and `-inf` as a lower one");
        // one code: neither MPC4025 (nonlinear) nor the lowering's MPC4607 (linear)
        expect(codesOf(verify(src).diagnostics), c).toEqual(["MPC4026"]);
      }
    });

    it(`the edit flips a literal infinite bound to no bound, which compiles and solves (${kind})`, () => {
      for (const [c, fixed] of [
        ["x[0] <= -inf", "x[0] <= inf"],
        ["inf <= x[1]", "-inf <= x[1]"],
      ] as const) {
        const src = two(c);
        const [d] = check(src).diagnostics;
        expect(d.edits?.length, c).toBe(1);
        const e = d.edits![0];
        const after = src.slice(0, e.span.start) + e.newText + src.slice(e.span.end);
        expect(after).toBe(two(fixed));
        expect(errors(after)).toEqual([]);
        expect(solve(after, [[0.5, 0.3]]).map((s) => s.status)).toEqual(["solved"]);
      }
      // no edit for an equality or an entry of a vector
      expect(check(two("x == [1; inf]")).diagnostics[0].edits).toBeUndefined();
      expect(check(two("x <= [1; -inf]")).diagnostics[0].edits).toBeUndefined();
    });

    it(`near misses: an infinite bound on the right side is no bound (${kind})`, () => {
      for (const c of ["-inf <= x[0] <= inf", "x <= [1; inf] for k in 1..N", "[-inf; -1] <= x for k in 1..N"]) {
        const src = two(c);
        expect(check(src).diagnostics, c).toEqual([]);
        expect(solve(src, [[0.5, 0.3]]).map((s) => s.status), c).toEqual(["solved"]);
      }
    });
  }

  it("two sides free of states and inputs are the ordering's (MPC4007), not a second report", () => {
    const ds = errors(`controller C {
  state x[1]
  input u[1] in [-1, 1]
  horizon 3
  dynamics x+ = x + u
  minimize stage x'*x + u'*u
  subject to
    inf <= 1 <= x
}
`);
    expect(codesOf(ds)).toEqual(["MPC4007"]);
  });
});

describe("4. what differs between stages is not defined where the compiler evaluates a statement once (MPC2012)", () => {
  /** A one-state controller with `let g = 0.1 + 0.05*k` (or `lets`), the given dynamics and items. */
  const ctl = (o: { dyn: string; lets?: string; nl?: boolean; decls?: string; cost?: string; constraints?: string }): string => `controller C {
  state x[1]
  input u[1] in [-1, 1]
${o.decls ?? ""}  horizon 10
${o.nl ? "  solver sqp\n" : ""}${o.dyn.startsWith("der(") ? "  timestep 0.1\n" : ""}${o.lets ?? "  let g = 0.1 + 0.05*k\n"}  dynamics ${o.dyn}
  minimize stage ${o.cost ?? (o.nl ? "sumsq(x) + sumsq(u)" : "x'*x + u'*u")}
${o.constraints ? `  subject to\n    ${o.constraints}\n` : ""}}
`;
  /** The one error of `src`: MPC2012 at `use` (the text of its span), with one related label at `at`. */
  const rejected = (src: string, use: string, at: string, message: string): Diagnostic => {
    const ds = errors(src);
    expect(codesOf(ds), src).toEqual(["MPC2012"]);
    const d = ds[0];
    expect(src.slice(d.span.start, d.span.end), src).toBe(use);
    expect(d.message, src).toBe(message);
    expect(d.related?.map((r) => src.slice(r.span.start, r.span.end)), src).toEqual([at]);
    // check runs the lowering only on a spec without errors: the same one verdict
    expect(codesOf(verify(src).diagnostics.filter((x) => x.severity === "error")), src).toEqual(["MPC2012"]);
    return d;
  };
  const K = "the stage index `k` is not defined here: `g` depends on it";

  /** The planned trajectory and inputs of a compiled linear controller from x0 (runtime values given). */
  const plan = (src: string, x0: number, runtime: Record<string, number[]> = {}): { x: number[]; u: number[] } => {
    const out = compileToModule(src);
    expect(out.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const r = out.module!.createController().act([x0], runtime);
    expect(r.status).toBe("solved");
    return { x: Array.from(r.x!), u: Array.from(r.uPlan!) };
  };
  /** The largest deviation of a plan from x_{k+1} = step(k, x_k, u_k). */
  const deviation = (p: { x: number[]; u: number[] }, step: (k: number, x: number, u: number) => number): number =>
    Math.max(...p.u.map((u, k) => Math.abs(p.x[k + 1] - step(k, p.x[k], u))));

  it("the reported case: `k` through a let in the dynamics of a nonlinear MPC (was compiled at stage 0 only)", () => {
    const d = rejected(ctl({ nl: true, dyn: "x+ = x + g*sin(x) + 0.1*u" }), "g", "k", K);
    expect(d.label).toBe("depends on the stage index `k`");
    expect(d.related?.[0].label).toBe("`k` is used in the definition of `g`");
    expect(d.notes?.[0]).toContain("evaluated once, not at each stage k");
    for (const dyn of ["der(x) = -g*sin(x) + u using rk4", "der(x) = -g*sin(x) + u using euler(2)"]) rejected(ctl({ nl: true, dyn }), "g", "k", K);
    // through a chain of lets: the `k` inside the first one is named
    const chain = ctl({ nl: true, lets: "  let h = 0.05*k\n  let g = 0.1 + h\n", dyn: "x+ = x + g*sin(x) + 0.1*u" });
    rejected(chain, "g", "k", K);
  });

  it("a linear MPC's `using zoh` (one matrix exponential): in the state matrix, the input matrix and the offset", () => {
    for (const dyn of ["der(x) = -g*x + u using zoh", "der(x) = -x + g*u using zoh", "der(x) = -x + u + g using zoh"]) {
      const d = rejected(ctl({ dyn }), "g", "k", K);
      expect(d.help).toContain("`using euler` or `using rk4`");
    }
  });

  it("a linear MPC evaluates `x+ = ...`, `using euler` and `using rk4` at every stage: accepted, and the plan follows g at each k", () => {
    const g = (k: number): number => 0.1 + 0.05 * k;
    const h = 0.1;
    const rk4 = (k: number, x: number, u: number): number => {
      const f = (y: number): number => -g(k) * y + u;
      const k1 = f(x);
      const k2 = f(x + (h / 2) * k1);
      const k3 = f(x + (h / 2) * k2);
      const k4 = f(x + h * k3);
      return x + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
    };
    const cases: [string, (k: number, x: number, u: number) => number, (k: number, x: number, u: number) => number][] = [
      ["x+ = x + g*x + 0.1*u", (k, x, u) => x + g(k) * x + 0.1 * u, (_k, x, u) => x + g(0) * x + 0.1 * u],
      ["der(x) = -g*x + u using euler", (k, x, u) => x + h * (-g(k) * x + u), (_k, x, u) => x + h * (-g(0) * x + u)],
      ["der(x) = -g*x + u using rk4", rk4, (_k, x, u) => rk4(0, x, u)],
    ];
    for (const [dyn, perStage, stage0] of cases) {
      const src = ctl({ dyn });
      expect(check(src).diagnostics, dyn).toEqual([]);
      const p = plan(src, 1);
      expect(deviation(p, perStage), dyn).toBeLessThan(1e-9);
      // (not the model of stage 0 throughout: the test can tell them apart)
      expect(deviation(p, stage0), dyn).toBeGreaterThan(1e-3);
    }
  });

  it("a let of `k` stays allowed where a nonlinear MPC evaluates it per stage: costs, constraints, penalties", () => {
    const src = ctl({
      nl: true,
      lets: "  let w = 0.9^k\n  let b = 1 + 0.1*k\n",
      dyn: "x+ = x + 0.1*sin(x) + 0.1*u",
      cost: "w*sumsq(x) + sumsq(u)",
      constraints: "soft x <= b penalty linear w",
    });
    expect(check(src).diagnostics).toEqual([]);
    const c = compileToModule(src).nlpModule!.createController();
    expect(c.act([0.5]).status).toBe("solved");
    // and a let without `k` in the dynamics of a nonlinear MPC
    expect(check(ctl({ nl: true, lets: "  let g = 0.1*x\n", dyn: "x+ = x + g*sin(x) + 0.1*u" })).diagnostics).toEqual([]);
  });

  it("a disturbance (a forecast, one value per stage) in dynamics evaluated once, directly or through a let", () => {
    const D = "  disturbance d[1]\n";
    const direct = "the disturbance `d` is not defined here: it is a forecast with a value per stage";
    const [d] = errors(ctl({ nl: true, decls: D, lets: "", dyn: "x+ = x + 0.1*sin(x) + 0.1*u + d" }));
    expect([d.code, d.message, d.label, d.related]).toEqual(["MPC2012", direct, "a forecast, one value per stage", undefined]);
    const viaLet = errors(ctl({ nl: true, decls: D, lets: "  let w = 0.5*d\n", dyn: "x+ = x + 0.1*sin(x) + 0.1*u + w" }));
    expect(codesOf(viaLet)).toEqual(["MPC2012"]);
    expect(viaLet[0].message).toBe("the disturbance `d` is not defined here: it is a forecast with a value per stage, and `w` depends on it");
    expect(viaLet[0].related?.map((r) => r.label)).toEqual(["the disturbance `d` is used in the definition of `w`"]);
    expect(codesOf(errors(ctl({ decls: D, lets: "", dyn: "der(x) = -x + u + d using zoh" })))).toEqual(["MPC2012"]);
  });

  it("near misses: a disturbance in a linear `x+ = ...` follows its forecast stage by stage; in a nonlinear MPC's cost it is allowed", () => {
    const src = ctl({ decls: "  disturbance d[1]\n", lets: "", dyn: "x+ = x + 0.1*u + d" });
    expect(check(src).diagnostics).toEqual([]);
    const d = Array.from({ length: 10 }, (_, k) => 0.01 * k);
    expect(deviation(plan(src, 1, { d }), (k, x, u) => x + 0.1 * u + d[k])).toBeLessThan(1e-9);
    const cost = ctl({ nl: true, decls: "  disturbance d[1]\n", lets: "", dyn: "x+ = x + 0.1*sin(x) + 0.1*u", cost: "sumsq(x - d) + sumsq(u)" });
    expect(check(cost).diagnostics).toEqual([]);
  });

  it("`prev(u)` in a linear `using zoh` (u_{k-1}, a different value at each stage), directly or through a let", () => {
    const [d] = errors(ctl({ lets: "", dyn: "der(x) = -x + 0.5*u + 0.5*prev(u) using zoh" }));
    expect([d.code, d.message, d.label]).toEqual(["MPC2012", "`prev(u)` is not defined in `using zoh` dynamics: it is the input of the stage before", "u_{k-1} at stage k (at stage 0 the runtime value `prev_u`)"]);
    expect(codesOf(errors(ctl({ lets: "  let p = prev(u)\n", dyn: "der(x) = -x + 0.5*u + 0.5*p using zoh" })))).toEqual(["MPC2012"]);
    // near misses: `using euler` evaluates it per stage (u_{k-1}, prev_u at stage 0); a nonlinear MPC carries it
    const euler = ctl({ lets: "", dyn: "der(x) = -x + 0.5*u + 0.5*prev(u) using euler" });
    expect(check(euler).diagnostics).toEqual([]);
    const p = plan(euler, 1, { prev_u: [0.4] });
    expect(deviation(p, (k, x, u) => x + 0.1 * (-x + 0.5 * u + 0.5 * (k === 0 ? 0.4 : p.u[k - 1])))).toBeLessThan(1e-9);
    expect(check(ctl({ nl: true, lets: "", dyn: "der(x) = -x + 0.5*u + 0.5*prev(u) using rk4" })).diagnostics).toEqual([]);
  });

  it("a `let` in a dimension, a value, a bound, a setting or a stage range: MPC2012 (the compiler refused it), `k` inside named", () => {
    const K2 = (name: string): string => `the stage index \`k\` is not defined here: \`${name}\` depends on it`;
    const base = (items: string, constraints?: string): string => ctl({ lets: "", dyn: "x+ = x + 0.1*u", decls: items, constraints });
    const cases: [string, string | undefined, string][] = [
      ["  let n = 2 + 0*k\n  state y[n]\n  dynamics y+ = y\n", undefined, "n"],
      ["  let g = 0.5 + 0*k\n  learnable a = g in [0, 1]\n", undefined, "g"],
      ["  let g = 0.5 + 0*k\n  runtime r = g\n", undefined, "g"],
      ["  let g = 0.5 + 0*k\n  runtime r in [0, g]\n", undefined, "g"],
      ["  let g = 0.9 + 0*k\n  discount g\n", undefined, "g"],
      ["  let n = 2 + 0*k\n", "x <= 1 for j in 1..n", "n"],
    ];
    for (const [items, constraints, name] of cases) rejected(base(items, constraints), name, "k", K2(name));
    // state and input bounds (two uses: two diagnostics)
    const both = errors(base("  let g = 1 + 0.05*k\n  state y[1] in [-g, g]\n  dynamics y+ = y + u\n"));
    expect(codesOf(both)).toEqual(["MPC2012", "MPC2012"]);
  });

  it("a `let` of constants there: MPC2012 with the edit to a `const`, which checks clean and compiles", () => {
    for (const [items, name] of [
      ["  let g = 0.9\n  discount g\n", "g"],
      ["  let n = 2\n  state y[n]\n  dynamics y+ = 0.5*y\n", "n"],
      ["  let g = N/20\n  learnable a = g in [0, 1]\n", "g"],
    ] as const) {
      const src = ctl({ lets: "", dyn: "x+ = x + 0.1*u", decls: items });
      const ds = errors(src);
      expect(codesOf(ds), items).toEqual(["MPC2012"]);
      expect(ds[0].message, items).toMatch(new RegExp(`^the \`let\` \`${name}\` is not defined here: `));
      expect(ds[0].edits?.map((e) => [src.slice(e.span.start, e.span.end), e.newText]), items).toEqual([["let", "const"]]);
      const e = ds[0].edits![0];
      const fixed = src.slice(0, e.span.start) + e.newText + src.slice(e.span.end);
      expect(errors(fixed), fixed).toEqual([]);
      expect(compileToModule(fixed).diagnostics.filter((d) => d.severity === "error"), fixed).toEqual([]);
    }
    // no edit for a let of other values (a state): it cannot be a const
    const [d] = errors(ctl({ lets: "", dyn: "x+ = x + 0.1*u", decls: "  let g = 2*x\n  discount g\n" }));
    expect([d.code, d.edits]).toEqual(["MPC2012", undefined]);
  });

  it("`initial` and `terminal` terms evaluate a let of `k` at their one stage (0 and N), as the checker judges them", () => {
    const act = (cost: string): number[] => {
      const src = ctl({ lets: "  let w = 1 + k\n", dyn: "x+ = x + 0.1*u", cost });
      expect(check(src).diagnostics, cost).toEqual([]);
      const c = compileToModule(src).module!.createController();
      return [2, -1, 0.3].map((x) => c.act([x]).u[0]);
    };
    expect(act("x'*x + u'*u + terminal w*x'*x")).toEqual(act("x'*x + u'*u + terminal 11*x'*x"));
    expect(act("x'*x + u'*u + initial w*u'*u")).toEqual(act("x'*x + u'*u + initial 1*u'*u"));
    // the checker judges the term at that stage too: k - 5 is -5 at 0 (a concave term), 5 at N
    const at = (cost: string): string[] => codesOf(errors(ctl({ lets: "  let w = k - 5\n", dyn: "x+ = x + 0.1*u", cost })));
    expect(at("x'*x + u'*u + initial w*u'*u")).toEqual(["MPC4002"]);
    expect(at("x'*x + u'*u + terminal w*x'*x")).toEqual([]);
  });

  it("a plant has no stage index: `k` in a plant's let is MPC2012 at the `k`", () => {
    const src = `controller C {
  state x[1]
  input u[1] in [-1, 1]
  horizon 10
  dynamics x+ = x + 0.1*u
  minimize stage x'*x + u'*u
}
plant S {
  state s[1] = [1]
  input v[1]
  let g = 0.1 + 0.05*k
  dynamics s+ = s + g*v
  cost s'*s
  episode 5
}
`;
    const ds = errors(src);
    expect(codesOf(ds)).toEqual(["MPC2012"]);
    expect(src.slice(ds[0].span.start, ds[0].span.end)).toBe("k");
    expect(ds[0].message).toBe("the stage index `k` is only defined inside a controller block");
  });
});

describe("5. an infinite constant inside an expression of a constraint is MPC4025, for linear and nonlinear controllers", () => {
  // `x[0] - inf <= 0` was silently no bound in a linear controller (the lowering folds the constant
  // into the bound: inf) and MPC4025 in a nonlinear one; `x[0] + inf <= 1` was the linear
  // lowering's MPC4026. One verdict from the checker for both.
  const two = (nl: boolean, constraints: string, decls = ""): string => `controller C {
${nl ? "  solver sqp\n" : ""}  state x[2]
  input u[1] in [-1, 1]
${decls}  horizon 3
  dynamics x+ = [[1, 0.1], [0, 1]]*x + [[0], [0.1]]*u
  minimize stage ${nl ? "sumsq(x) + sumsq(u)" : "x'*x + u'*u"}
  subject to
    ${constraints}
}
`;
  for (const nl of [false, true]) {
    const kind = nl ? "nonlinear" : "linear";
    it(`\`x[0] - inf <= 0\`, \`x[0] + inf <= 1\`, \`2*w[k]\` with an infinite entry, through a let (${kind})`, () => {
      const W = "  const w[4] = [1, inf, 1, 1]\n";
      const cases: [string, string, string][] = [
        ["x[0] - inf <= 0", "", "inf"],
        ["x[0] + inf <= 1", "", "inf"],
        ["-1 <= x[1] + 0*inf", "", "inf"],
        ["x[0] <= 2*w[k] for k in 1..N", W, "w"],
        ["x[0] - b <= 0", "  let b = [1; inf]'*[0; 1]\n", "b"],
        ["e <= 0", "  let e = x[0] - inf\n", "inf"],
      ];
      for (const [c, decls, at] of cases) {
        const src = two(nl, c, decls);
        const ds = check(src).diagnostics;
        expect(codesOf(ds), c).toEqual(["MPC4025"]);
        expect(ds[0].severity, c).toBe("error");
        expect(src.slice(ds[0].span.start, ds[0].span.end), c).toBe(at);
        expect(ds[0].label, c).toBe("an infinite value inside the expression");
        expect(codesOf(verify(src).diagnostics), c).toEqual(["MPC4025"]);
      }
      expect(check(two(nl, "x[0] - inf <= 0")).diagnostics[0].message).toBe("`inf` is infinite inside an expression of a constraint");
    });

    it(`near misses: an infinite whole side, per entry, or a finite function of inf (${kind})`, () => {
      for (const c of ["x[0] <= inf", "-inf <= x[0] - 1", "x <= [1; inf]", "x[0] <= exp(-inf) + 1", "[-inf; -1] <= x for k in 1..N"]) {
        const src = two(nl, c);
        expect(check(src).diagnostics, c).toEqual([]);
        expect(solve(src, [[0.5, 0.3]]).map((s) => s.status), c).toEqual(["solved"]);
      }
    });
  }

  it("a bound infinite at some stages only: no bound there, in a linear and a nonlinear controller alike", () => {
    // (the nonlinear one was MPC4025: its rows must be the same at every stage, and the row is now
    // kept with its absent marker at the infinite stage; check.consistency.test.ts checks the rows)
    const W = "  const w[4] = [1, inf, 1, 1]\n";
    for (const nl of [false, true]) {
      const src = two(nl, "x[0] <= w[k] for k in 1..N", W);
      expect(check(src).diagnostics).toEqual([]);
      expect(solve(src, [[0.5, 0.3]]).map((s) => s.status)).toEqual(["solved"]);
    }
  });
});

describe("6. `prev(u)` alone at stage 0 (the runtime value `prev_u`) is MPC4016, for linear and nonlinear controllers", () => {
  // `-0.5 <= prev(u) <= 0.5 for k in 0..N-1` failed in the linear lowering with MPC4601 ("does not
  // involve any decision variable") and was accepted by the nonlinear controller as a row on the
  // pinned carried state: infeasible whenever the previous input (e.g. an explored one) violates it.
  const apply = (text: string, d: Diagnostic): string => {
    const e = d.edits![0];
    return text.slice(0, e.span.start) + e.newText + text.slice(e.span.end);
  };
  for (const nl of [false, true]) {
    const kind = nl ? "nonlinear" : "linear";
    it(`over \`for k in 0..N-1\`: the message says why, and the edit starts the range at 1, which compiles and solves (${kind})`, () => {
      const src = spec({ nl, constraints: "-0.5 <= prev(u) <= 0.5 for k in 0..N-1" });
      const ds = check(src).diagnostics;
      expect(codesOf(ds)).toEqual(["MPC4016"]);
      const d = ds[0];
      expect(d.severity).toBe("error");
      expect(d.message).toBe("this constraint involves no decision variable at stage 0: `prev(u)` there is the runtime value `prev_u`");
      expect(src.slice(d.span.start, d.span.end)).toBe("0");
      expect(d.related?.map((r) => src.slice(r.span.start, r.span.end))).toEqual(["prev(u)"]);
      expect(d.help).toBe("start the range at 1: `for k in 1..N-1`");
      const fixed = apply(src, d);
      expect(fixed).toContain("-0.5 <= prev(u) <= 0.5 for k in 1..N-1\n");
      expect(check(fixed).diagnostics).toEqual([]);
      // u_0 (prev(u) at stage 1) is bounded by 0.5, not u's box 1; the given prev_u is not
      const r = solve(fixed, [[10], [-10]], { prev_u: [1] });
      expect(r.map((s) => s.status)).toEqual(["solved", "solved"]);
      expect(r[0].u).toBeCloseTo(-0.5, 5);
      expect(r[1].u).toBeCloseTo(0.5, 5);
    });

    it(`the default range (0..N-1), soft, through a let, at stage 0 alone (${kind})`, () => {
      for (const [constraints, decls, fixedText] of [
        ["-0.5 <= prev(u) <= 0.5", "", "-0.5 <= prev(u) <= 0.5 for k in 1..N-1"],
        ["soft prev(u) <= 0.5 penalty linear 1", "", "soft prev(u) <= 0.5 for k in 1..N-1 penalty linear 1"],
        ["-0.5 <= p <= 0.5", "  let p = 2*prev(u)\n", "-0.5 <= p <= 0.5 for k in 1..N-1"],
      ] as const) {
        const src = spec({ nl, constraints, decls });
        const ds = check(src).diagnostics;
        expect(codesOf(ds), constraints).toEqual(["MPC4016"]);
        const fixed = apply(src, ds[0]);
        expect(fixed, constraints).toContain(`${fixedText}\n`);
        expect(check(fixed).diagnostics, constraints).toEqual([]);
        expect(solve(fixed, [[1]], { prev_u: [1] }).map((s) => s.status), constraints).toEqual(["solved"]);
      }
      const alone = check(spec({ nl, constraints: "-0.5 <= prev(u) <= 0.5 for k in 0..0" })).diagnostics;
      expect(codesOf(alone)).toEqual(["MPC4016"]);
      expect(alone[0].edits).toBeUndefined();
    });

    it(`near misses: from stage 1, or with the input itself (u - prev(u): u_0 - prev_u at stage 0) (${kind})`, () => {
      for (const constraints of ["-0.5 <= prev(u) <= 0.5 for k in 1..N", "-0.5 <= u - prev(u) <= 0.5 for k in 0..N-1", "-0.5 <= u - prev(u) <= 0.5", "x + prev(u) <= 2 for k in 0..N"]) {
        const src = spec({ nl, constraints });
        expect(check(src).diagnostics, constraints).toEqual([]);
        expect(solve(src, [[0.3]], { prev_u: [0.2] }).map((s) => s.status), constraints).toEqual(["solved"]);
      }
    });
  }
});
