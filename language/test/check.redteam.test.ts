// Red-team regressions of the checker (holes found after the soundness suite of
// check.soundness.test.ts): each spec below was accepted by `check` although the QP data it
// describes is non-finite for an admissible parameter, or the compiler failed on it (MPC4602,
// MPC4603, internal error MPC4699). Each must now be rejected with its code, a label and a help;
// the near-misses must still be accepted.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check } from "../index.js";
import { spec } from "./soundness.specs.js";

const errors = (src: string) => check(src).diagnostics.filter((d) => d.severity === "error");

interface Case {
  readonly name: string;
  readonly source: string;
  readonly code: string;
}

/** A nonlinear variant of `spec` (solver sqp). */
const nlp = (decls: string, cost: string, constraints = ""): string => spec(`  solver sqp\n${decls}`, cost, constraints);

const REJECTED: readonly Case[] = [
  // 1. arithmetic overflow: MPC4025 covered `exp` and `^` only. With a = 1e300 (inside its box)
  //    1e300*a is Infinity in double precision (1e300 * 1e300 === Infinity): an infinite Hessian
  //    entry, every solve `invalid_input` (the compiler's NaN check only looks at theta0 = 1).
  { name: "weight 1e300*a with a in [0, 1e300]", code: "MPC4025", source: spec("  learnable a = 1 in [0, 1e300]", "u'*u + (1e300*a)*x'*x") },
  { name: "linear term a*1e300 with a in [0, 1e300]", code: "MPC4025", source: spec("  learnable a = 1 in [0, 1e300]", "u'*u + x'*x + (a*1e300)*u[0]") },
  { name: "a coefficient 1e200*(1e200*x) (no constant subterm overflows)", code: "MPC4025", source: spec("", "u'*u + x'*x + 1e200*(1e200*x[0])") },
  { name: "a folded product weight 1e200*1e200", code: "MPC4025", source: spec("", "u'*u + (1e200*1e200)*x'*x") },
  { name: "a literal that overflows (1e400)", code: "MPC4025", source: spec("", "u'*u + 1e400*x'*x") },
  { name: "a quotient 1/r with r in [1e-320, 1]", code: "MPC4025", source: spec("  runtime r = 1 in [1e-320, 1]", "u'*u + x'*x + (1/r)*u[0]") },
  // (a runtime value stays below 1e20 at run time, its range or not: entries of 1e289 r reach 1e308)
  { name: "a sum of large runtime values", code: "MPC4025", source: spec("  runtime r[2] = 1 in [0, 1e308]", "u'*u + x'*x + sum(1e289*r)*u[0]", "", 2) },
  // a learnable stays below 1e20 at run time (the runtime refuses a larger one): a*1e300 reaches 1e320
  { name: "an unbounded learnable times 1e300", code: "MPC4025", source: spec("  learnable a = 1", "u'*u + x'*x + (a*1e300)*u[0]") },
  // a quadratic coefficient is doubled and summed by the compiler: each term's stays below 1e300
  { name: "a weight of 1e305 (P = 2e305 summed with others)", code: "MPC4025", source: spec("", "u'*u + 1e305*x'*x") },
  // the runtime refuses a parameter of magnitude >= 1e20: such an initial value could never be set
  { name: "a learnable starting at 1e25", code: "MPC4014", source: spec("  learnable V0 = 1e25", "u'*u + x'*x + V0") },
  // the QP reads a bound of magnitude >= 1e20 as infinite: every solve was refused (invalid_input)
  { name: "a lower bound of 1e25", code: "MPC4026", source: spec("", "u'*u + x'*x", "x >= 1e25") },
  { name: "an equality with -1e21", code: "MPC4026", source: spec("", "u'*u + x'*x", "x == -1e21") },
  // ... and so is a lower bound that may reach it over the admissible parameters (|b| < 1e20)
  { name: "a lower bound 1e10*b with b unbounded", code: "MPC4026", source: spec("  learnable b = 0", "u'*u + x'*x", "x >= 1e10*b") },
  { name: "quad with an overflowing weight", code: "MPC4025", source: spec("  runtime r = 0 in [-1e10, 1e10]", "u'*u + quad(x - r, [[1e290]])") },
  { name: "an overflowing bound", code: "MPC4025", source: spec("", "u'*u + x'*x", "x <= 1e200*1e200") },
  { name: "an infinite weight", code: "MPC4025", source: spec("", "u'*u + inf*x'*x") },
  { name: "an infinite slack penalty", code: "MPC4025", source: spec("", "u'*u + x'*x", "soft x <= 1 penalty linear inf") },
  { name: "an infinite dynamics coefficient", code: "MPC4025", source: spec("", "u'*u + x'*x").replace("x+ = x + u", "x+ = x + inf*u") },
  { name: "overflow in a nonlinear MPC's weight", code: "MPC4025", source: nlp("  learnable a = 1 in [0, 1e300]", "u'*u + (a*1e300)*x'*x") },
  // (red team: exp(a) is finite up to 709.78, but the Hessian 2 exp(a) of the SQP's QP was not)
  { name: "a nonlinear MPC's quadratic weight whose Hessian overflows", code: "MPC4025", source: nlp("  learnable a = 1 in [0, 709.7]", "u'*u + exp(a)*x'*x") },
  // 2. an index evaluated per stage must be an integer inside the target at every stage the
  //    statement applies at (the compiler failed with MPC4602 "index 3 is out of range 0..2")
  { name: "w[k] with w shorter than the horizon", code: "MPC3005", source: spec("  const w[3] = [1, 1, 1]", "u'*u + w[k]*x'*x") },
  { name: "w[k - 1] at stage 0", code: "MPC3005", source: spec("  const w[5] = [1, 1, 1, 1, 1]", "u'*u + w[k - 1]*x'*x") },
  { name: "x[k] on a state of size 2", code: "MPC3005", source: spec("", "u'*u + x'*x + x[k]", "", 2) },
  { name: "w[j] in a constraint over 1..N", code: "MPC3005", source: spec("  const w[4] = [1, 1, 1, 1]", "u'*u + x'*x", "x <= w[j + 1] for j in 1..N") },
  { name: "w[k/2] is not an integer", code: "MPC3006", source: spec("  const w[5] = [1, 1, 1, 1, 1]", "u'*u + w[k/2]*x'*x") },
  // 3. an index on a runtime value (or, in a nonlinear MPC, a learnable): the compiler failed with
  //    an internal error (MPC4699 "an index must be a compile-time constant")
  { name: "w[r] with a runtime r", code: "MPC3006", source: spec("  runtime r = 0 in [0, 1]\n  const w[2] = [1, 1]", "u'*u + x'*x + w[r]*u[0]") },
  { name: "w[r] with a runtime r (nonlinear MPC)", code: "MPC3006", source: nlp("  runtime r = 0 in [0, 1]\n  const w[2] = [1, 1]", "u'*u + x'*x + w[r]*u[0]") },
  { name: "w[a] with a learnable a (nonlinear MPC)", code: "MPC3006", source: nlp("  learnable a = 0 in [0, 1]\n  const w[2] = [1, 1]", "u'*u + x'*x", "x <= w[a]") },
  // 4. a constant weight with a negative eigenvalue far beyond the eigenvalue solver's round-off
  //    passed as PSD under the former tolerance 1e-10 max(1, |lambda|)
  { name: "quad(x, diag([1e6, -1e-5])): indefinite", code: "MPC4002", source: spec("", "u'*u + quad(x, [[1e6, 0], [0, -1e-5]])", "", 2) },
  { name: "quad(x, diag([1e-12, -1e-11])): indefinite at a small scale", code: "MPC4002", source: spec("", "u'*u + quad(x, [[1e-12, 0], [0, -1e-11]])", "", 2) },
  // 5. (red team 2) a slack penalty is a QP coefficient: `penalty quadratic 1e308` is finite, but
  //    P = 2*1e308 = inf and every solve answered non_convex; `penalty linear 1e308` broke the solvers down
  { name: "a quadratic penalty of 1e308", code: "MPC4025", source: spec("", "u'*u + x'*x", "soft x <= 1 penalty quadratic 1e308") },
  { name: "a linear penalty of 1e308 on a soft equality", code: "MPC4025", source: spec("", "u'*u + x'*x", "soft x == 0.5 penalty linear 1e308") },
  { name: "a penalty 1e290*w with w in [0, 1e20]", code: "MPC4025", source: spec("  learnable w = 1 in [0, 1e20]", "u'*u + x'*x", "soft x <= 1 penalty linear 1e290*w") },
  { name: "a quadratic penalty of 1e308 in a nonlinear MPC", code: "MPC4025", source: nlp("", "u'*u + x'*x", "soft x <= 1 penalty quadratic 1e308") },
  // 6. (red team 2) continuous dynamics are discretized into QP coefficients: with `timestep 1e300`
  //    `using euler` gave A = -inf at a = 1e10 (inside its box), rk4 with 1e100 at b = 1e10
  { name: "euler with a timestep of 1e300", code: "MPC4025", source: spec("  timestep 1e300\n  learnable a = 1 in [-1e10, 1e10]", "u'*u + x'*x").replace("x+ = x + u", "der(x) = a*x + u using euler") },
  { name: "rk4 with a timestep of 1e100", code: "MPC4025", source: spec("  timestep 1e100\n  learnable b = 1 in [-1e10, 1e10]", "u'*u + x'*x").replace("x+ = x + u", "der(x) = -x + b*u using rk4") },
  // 7. a constant part of a linear MPC's row is its bound, read as infinite from 1e20 on: with b
  //    unbounded (|b| < 1e20 at run time) every solve at b = 6e19 was refused (invalid_input)
  { name: "a dynamics offset 2*b with b unbounded", code: "MPC4026", source: spec("  learnable b = 0", "u'*u + x'*x").replace("x+ = x + u", "x+ = x + u + 2*b") },
  { name: "a constraint's constant 2*b inside an expression of the state", code: "MPC4026", source: spec("  learnable b = 0", "u'*u + x'*x", "x[0] - 2*b >= 0") },
  { name: "an euler offset 20*b at timestep 0.1", code: "MPC4026", source: spec("  timestep 0.1\n  learnable b = 0", "u'*u + x'*x").replace("x+ = x + u", "der(x) = u + 20*b using euler") },
];

const ACCEPTED: readonly { name: string; source: string }[] = [
  { name: "a bounded learnable weight far from overflow", source: spec("  learnable a = 1 in [0, 1e10]", "u'*u + (1e10*a)*x'*x") },
  { name: "an infinite bound", source: spec("", "u'*u + x'*x", "x <= inf") },
  { name: "an infinite input range", source: spec("", "u'*u + x'*x").replace("input u[1] in [-1, 1]", "input u[1] in [-inf, inf]") },
  { name: "a large coefficient that stays finite", source: spec("", "u'*u + x'*x + 1e150*(1e150*x[0])") },
  { name: "an unbounded learnable (below 1e20 at run time: its products stay finite)", source: spec("  learnable a = 1", "u'*u + x'*x + (a*1e200)*u[0]") },
  // (red team: at Q = 1e308 in [0, inf] the compiled P = 2 Q was infinite; the runtime refuses it now)
  { name: "an upper bound of 1e25 (no bound)", source: spec("", "u'*u + x'*x", "x <= 1e25") },
  { name: "a lower bound b with b unbounded (below 1e20 at run time)", source: spec("  learnable b = 0", "u'*u + x'*x", "x >= b") },
  { name: "a lower bound 1e10*b with b in [-1, 1]", source: spec("  learnable b = 0 in [-1, 1]", "u'*u + x'*x", "x >= 1e10*b") },
  { name: "a weight learnable in [0, inf]", source: spec("  learnable diag Q[1] = 1 in [0, inf]", "u'*u + quad(x, Q)") },
  { name: "a weight learnable in [0, 1e308]", source: spec("  learnable a = 1 in [0, 1e308]", "u'*u + a*x'*x") },
  { name: "w[k] with one entry per stage of a stage cost (k = 0..N-1)", source: spec("  const w[4] = [1, 1, 1, 1]", "u'*u + w[k]*x'*x") },
  { name: "w[N - k] over 0..N", source: spec("  const w[5] = [1, 1, 1, 1, 1]", "u'*u + x'*x", "x <= w[N - k] for k in 0..N") },
  { name: "w[j - 1] over 1..N", source: spec("  const w[4] = [1, 1, 1, 1]", "u'*u + x'*x", "x <= w[j - 1] for j in 1..N") },
  { name: "w[k] in a nonlinear MPC", source: nlp("  const w[4] = [1, 2, 3, 4]", "u'*u + w[k]*x'*x") },
  { name: "an exactly singular PSD weight [[1, 1], [1, 1]]", source: spec("", "u'*u + quad(x, [[1, 1], [1, 1]])", "", 2) },
  { name: "a singular PSD weight in decimals [[0.1, 0.3], [0.3, 0.9]] (round-off)", source: spec("", "u'*u + quad(x, [[0.1, 0.3], [0.3, 0.9]])", "", 2) },
  { name: "a penalty of 1e299 (below the coefficient limit)", source: spec("", "u'*u + x'*x", "soft x <= 1 penalty linear 1e299 quadratic 1e299") },
  { name: "a learnable penalty in [0, inf] (below 1e20 at run time)", source: spec("  learnable w = 1 in [0, inf]", "u'*u + x'*x", "soft x <= 1 penalty quadratic w") },
  { name: "rk4 of a stiff model (A = -1e5, timestep 0.01) with an unbounded learnable input gain", source: spec("  timestep 0.01\n  learnable b = 1", "u'*u + x'*x").replace("x+ = x + u", "der(x) = -1e5*x + b*u using rk4") },
  { name: "euler with a timestep of 1e10", source: spec("  timestep 1e10\n  learnable a = 0 in [-1, 1]", "u'*u + x'*x").replace("x+ = x + u", "der(x) = a*x + u using euler") },
  { name: "a dynamics offset b with b unbounded (below 1e20 at run time)", source: spec("  learnable b = 0", "u'*u + x'*x").replace("x+ = x + u", "x+ = x + u + b") },
  { name: "a constraint's constant b inside an expression of the state", source: spec("  learnable b = 0", "u'*u + x'*x", "x[0] - b >= 0") },
  { name: "an euler offset b at timestep 0.1", source: spec("  timestep 0.1\n  learnable b = 0", "u'*u + x'*x").replace("x+ = x + u", "der(x) = u + b using euler") },
];

describe("red team: specs the checker must reject", () => {
  for (const c of REJECTED) {
    it(`${c.code}: ${c.name}`, () => {
      const errs = errors(c.source);
      expect(errs.map((d) => d.code)).toContain(c.code);
      const d = errs.find((x) => x.code === c.code)!;
      expect(d.label).toBeTruthy();
      expect(d.help).toBeTruthy();
      expect(errs.filter((x) => x.code === "MPC2999")).toEqual([]);
    });
  }
});

describe("red team: near-misses the checker must accept", () => {
  for (const c of ACCEPTED) {
    it(c.name, () => {
      expect(errors(c.source).map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });
  }
});

describe("red team: diagnostics", () => {
  it("an overflowing product names its range over the box", () => {
    const src = spec("  learnable a = 1 in [0, 1e300]", "u'*u + (1e300*a)*x'*x");
    const d = errors(src).find((x) => x.code === "MPC4025")!;
    expect(src.slice(d.span.start, d.span.end)).toBe("1e300*a");
    expect(d.label).toContain("[0, inf]");
    expect(d.message).toContain("may overflow");
    // the witness: the largest admissible value of a makes the weight infinite
    expect(1e300 * 1e300).toBe(Infinity);
  });
  it("an index out of range names the stages and the valid indices", () => {
    const src = spec("  const w[3] = [1, 1, 1]", "u'*u + w[k]*x'*x");
    const d = errors(src).find((x) => x.code === "MPC3005")!;
    expect(src.slice(d.span.start, d.span.end)).toBe("k");
    expect(d.message).toContain("[0, 3]");
    expect(d.message).toContain("stages 0..3");
    expect(d.label).toBe("valid indices are 0..2");
  });
  it("an infinite penalty suggests a finite one", () => {
    const d = errors(spec("", "u'*u + x'*x", "soft x <= 1 penalty linear inf")).find((x) => x.code === "MPC4025")!;
    expect(d.help).toContain("penalty linear 1e4");
  });
  it("a penalty beyond the coefficient limit points at the penalty, with its value and a smaller one (red team 2)", () => {
    const src = spec("", "u'*u + x'*x", "soft x <= 1 penalty quadratic 1e308");
    const d = errors(src).find((x) => x.code === "MPC4025")!;
    expect(src.slice(d.span.start, d.span.end)).toBe("1e308");
    expect(d.message).toContain("exceeds the largest QP coefficient");
    expect(d.label).toContain("is 1e+308");
    expect(d.help).toContain("penalty linear 1e4");
    // the witness: the compiler stores 2*q in P
    expect(2 * 1e308).toBe(Infinity);
  });
  it("discretized dynamics that may overflow point at the right-hand side, with the timestep and the coefficients' bound (red team 2)", () => {
    const src = spec("  timestep 1e300\n  learnable a = 1 in [-1e10, 1e10]", "u'*u + x'*x").replace("x+ = x + u", "der(x) = a*x + u using euler");
    const d = errors(src).find((x) => x.code === "MPC4025")!;
    expect(src.slice(d.span.start, d.span.end)).toBe("a*x + u");
    expect(d.message).toBe("the discretized dynamics of `der(x)` `using euler` may exceed the largest QP coefficient (1e+300)");
    expect(d.label).toContain("timestep 1e+300");
    expect(d.label).toContain("up to 10000000000");
    expect(d.help).toContain("smaller `timestep`");
    // the witness: x + h*a*x at the box's corner a = 1e10
    expect(1e300 * 1e10).toBe(Infinity);
  });
});

describe("red team: w[k + c] in a stage cost is accepted exactly when it stays inside w at stages 0..N-1", () => {
  it("property", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: -2, max: 2 }), (n, len, c) => {
        const w = `[${Array.from({ length: len }, () => "1").join(", ")}]`;
        const idx = c === 0 ? "k" : c > 0 ? `k + ${c}` : `k - ${-c}`;
        const src = spec(`  const w[${len}] = ${w}`, `u'*u + w[${idx}]*x'*x`).replace("horizon 4", `horizon ${n}`);
        const inRange = c >= 0 && n - 1 + c <= len - 1;
        const codes = errors(src).map((d) => d.code);
        expect(codes, src).toEqual(inRange ? [] : ["MPC3005"]);
      }),
      { seed: 4242, numRuns: 120 },
    );
  });
});

describe("red team: Bayesian optimization's box (parameters stay below 1e20 in magnitude)", () => {
  it("a bound of 1e308 is no bound for bayesopt (MPC5007); 1e19 is one", async () => {
    const { readFileSync } = await import("node:fs");
    const src = readFileSync(new URL("./fixtures/check/mpc5007_bayesopt_bounds.mpcrl", import.meta.url), "utf8");
    expect(src).toContain("learnable q = 1 in [0, inf]");
    const at = (ub: string) => errors(src.replace("learnable q = 1 in [0, inf]", `learnable q = 1 in [0, ${ub}]`)).map((d) => [d.code, d.label]);
    expect(at("1e308")).toEqual([["MPC5007", "a bound of magnitude 1e20 or more (no parameter is that large)"]]);
    expect(at("1e19")).toEqual([]);
  });
});

describe("study seeds (red team of studies)", () => {
  const study = (seeds: string): string => `controller C {
  state x[1]
  input u[1] in [-1, 1]
  learnable b = 0 in [-1, 1]
  horizon 3
  dynamics x+ = x + u + b
  minimize stage x'*x + u'*u
}
plant P {
  state s[1] = [0.5]
  input a[1]
  dynamics s+ = s + a
  cost s'*s
  episode 10
}
train C on P {
  algorithm q_learning {
    optimizer newton(lr = 5e-2)
    update every 1 steps
  }
  steps 10
  study {
    grid optimizer lr in [0.01, 0.1]
    ${seeds}
  }
}
`;
  it("`seeds 1000000000` is MPC5014 (it ran the checker out of memory building the list)", () => {
    const d = errors(study("seeds 1000000000"));
    expect(d.map((x) => x.code)).toEqual(["MPC5014"]);
    expect(d[0].message).toBe("`seeds 1000000000` alone makes more than 100000 trials");
  });
  it("a seed beyond 2^53 - 1 is MPC5015 (every trial failed at run time: `--seed` refuses it)", () => {
    expect(errors(study("seeds [1, 1e300]")).map((x) => x.code)).toEqual(["MPC5015"]);
    expect(errors(study("seeds [1, 9007199254740991]"))).toEqual([]);
    expect(errors(study("seeds 100"))).toEqual([]);
  });
});
