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
