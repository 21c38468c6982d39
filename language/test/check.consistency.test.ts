// One verdict for the checker and the compiler, and for linear and nonlinear controllers alike, on
// four inconsistencies (regressions; each case is checked with `check`, `verify` (what `mpcrl check`
// runs) and `compile`):
// 1. a bare `k` in the dynamics was MPC2012 everywhere, while `let g = ... k ...` used there was
//    accepted where the compiler builds the dynamics per stage (a linear `x+ = ...`, `using euler`,
//    `using rk4`): now `k` is accepted there too (the per-stage coefficients:
//    compiler/test/discretization.test.ts), and where the dynamics are lowered once (`using zoh`, a
//    nonlinear controller) `k` and the let are both MPC2012 with the same message and notes;
// 2. a constraint that involves no state or input (`p <= 1`, `0*x <= 1`, `th <= 1`) was a warning
//    of the checker (or nothing, for `0*x`) and then MPC4601 in the linear lowering, and accepted by
//    a nonlinear controller (`0*x >= 1`: infeasible at every solve): now the checker's error, for
//    both kinds, hard and soft: MPC4007 when it can never hold, else MPC4016 saying whether it has
//    no effect or constrains only learnables / runtime values;
// 3. a whole side infinite at some stages only (`x[0] <= w[k]`, w[2] = inf): no bound there in a
//    linear controller, MPC4025 in a nonlinear one; now no bound at that stage for both (the
//    nonlinear row is kept, absent at that stage), the wrong side MPC4026 for both;
// 4. a `let` was judged over stages 0..N whatever its uses: `let w = 1/(N - k)` used in a `stage`
//    term was MPC4022 (k = N is no stage of it); now at the stages of its uses (stages.ts).

import { describe, expect, it } from "vitest";
import { check, type Diagnostic } from "../index.js";
import { compile, compileToModule, verify } from "../../compiler/index.js";

const errorCodes = (ds: readonly Diagnostic[]): string[] => ds.filter((d) => d.severity === "error").map((d) => d.code);

/** The verdicts of `check`, `verify` and `compile` (error codes), which must agree. */
function verdicts(src: string): { check: string[]; verify: string[]; compile: string[] } {
  return { check: errorCodes(check(src).diagnostics), verify: errorCodes(verify(src).diagnostics), compile: errorCodes(compileToModule(src).diagnostics) };
}

/** A one-state controller (u in [-1, 1], N = 5), linear or nonlinear. */
function spec(opts: { nl?: boolean; decls?: string; dynamics?: string; cost?: string; constraints?: string; timestep?: boolean }): string {
  const nl = opts.nl ?? false;
  return `controller C {
${nl ? "  solver sqp\n" : ""}  state x[1]
  input u[1] in [-1, 1]
${opts.decls ?? ""}  horizon 5
${opts.timestep ? "  timestep 0.1\n" : ""}  dynamics ${opts.dynamics ?? "x+ = x + 0.1*u"}
  minimize ${opts.cost ?? (nl ? "stage sumsq(x) + sumsq(u)" : "stage x'*x + u'*u")}
${opts.constraints ? `  subject to\n    ${opts.constraints}\n` : ""}}
`;
}

describe("1. the stage index in the dynamics: `k` itself as through a let", () => {
  const perStage = ["x+ = x + 0.1*(1 + k)*u", "der(x) = -0.1*k*x + u using euler", "der(x) = -0.1*k*x + u using rk4"];

  it("accepted where the dynamics are built at each stage (a linear `x+ = ...`, `using euler`, `using rk4`), and compiled", () => {
    for (const dynamics of perStage) {
      const src = spec({ dynamics, timestep: dynamics.startsWith("der") });
      expect(check(src).diagnostics, dynamics).toEqual([]);
      expect(verdicts(src), dynamics).toEqual({ check: [], verify: [], compile: [] });
      const c = compileToModule(src).module!.createController();
      expect(c.act([1]).status, dynamics).toBe("solved");
    }
  });

  it("MPC2012 where they are lowered once (`using zoh`, a nonlinear controller), as the let: same code, message and notes", () => {
    const once: [string, boolean, boolean][] = [
      ["der(x) = -0.1*K*x + u using zoh", false, true],
      ["x+ = x + 0.1*K*sin(x) + 0.1*u", true, false],
      ["der(x) = -0.1*K*sin(x) + u using rk4", true, true],
    ];
    for (const [dyn, nl, timestep] of once) {
      const bare = spec({ nl, timestep, dynamics: dyn.replace("K", "k") });
      const viaLet = spec({ nl, timestep, decls: "  let g = k\n", dynamics: dyn.replace("K", "g") });
      const [b] = check(bare).diagnostics;
      const [l] = check(viaLet).diagnostics;
      expect([b.code, l.code], dyn).toEqual(["MPC2012", "MPC2012"]);
      expect(bare.slice(b.span.start, b.span.end)).toBe("k");
      expect(b.message).toBe("the stage index `k` is not defined here");
      expect(l.message).toBe("the stage index `k` is not defined here: `g` depends on it");
      expect(b.notes, dyn).toEqual(l.notes);
      expect(b.help, dyn).toBe(l.help);
      for (const src of [bare, viaLet]) expect(verdicts(src), dyn).toEqual({ check: ["MPC2012"], verify: ["MPC2012"], compile: ["MPC2012"] });
    }
  });

  it("`k` stays undefined outside stages (a terminal term)", () => {
    expect(errorCodes(check(spec({ cost: "stage x'*x + u'*u + terminal k*x'*x" })).diagnostics)).toEqual(["MPC2012"]);
  });
});

describe("2. a constraint that involves no state or input: the checker's verdict, for both kinds, hard and soft", () => {
  const P = "  param p = 0.5\n";
  const TH = "  learnable th = 0.5 in [0, 2]\n";
  const R = "  runtime r = 0.5 in [0, 2]\n";
  // [constraint, declarations, code, the message's end]
  const cases: [string, string, string, RegExp][] = [
    ["p <= 1", P, "MPC4016", /`p <= 1` always holds, so it has no effect$/],
    ["1 <= 2", "", "MPC4016", /always holds/],
    ["0*x <= 1", "", "MPC4016", /`0\*x <= 1` always holds/],
    ["p >= 1", P, "MPC4007", /can never hold: `p >= 1` is false, and it involves no state or input$/],
    ["0*x >= 1", "", "MPC4007", /can never hold: `0\*x >= 1` is false/],
    ["0*x == 1", "", "MPC4007", /can never hold/],
    ["th <= 1", TH, "MPC4016", /`th <= 1` constrains only learnable parameters$/],
    ["th >= 3", TH, "MPC4007", /is false for every admissible value/],
    ["r <= 1", R, "MPC4016", /constrains only runtime values$/],
    ["[1; 0]*x <= [1; 1]", "", "MPC4016", /\(entry 1\) always holds/],
    ["th <= 3", TH, "MPC4016", /`th <= 3` always holds, so it has no effect$/],
    ["k <= 3", "", "MPC4016", /`k <= 3` does not hold at every stage it applies at, and no decision can make it hold there$/],
  ];
  for (const nl of [false, true]) {
    for (const soft of [false, true]) {
      const kind = `${nl ? "nonlinear" : "linear"}, ${soft ? "soft" : "hard"}`;
      it(`rejected by the checker with one diagnostic, and compile agrees (${kind})`, () => {
        for (const [c, decls, code, message] of cases) {
          const constraint = soft ? `soft ${c} penalty linear 1` : c;
          const src = spec({ nl, decls, constraints: constraint });
          const ds = check(src).diagnostics;
          expect(ds.map((d) => [d.code, d.severity]), constraint).toEqual([[code, "error"]]);
          expect(ds[0].message, constraint).toMatch(message);
          expect(ds[0].help, constraint).toBeDefined();
          expect(verdicts(src), constraint).toEqual({ check: [code], verify: [code], compile: [code] });
        }
      });
    }
  }

  it("a penalty on a hard one is still MPC4017 beside it", () => {
    expect(errorCodes(check(spec({ decls: P, constraints: "p <= 1 penalty linear 1" })).diagnostics)).toEqual(["MPC4016", "MPC4017"]);
  });

  it("the help says how: a learnable's box, a runtime value's declared range, or removing it", () => {
    const help = (c: string, decls: string): string | undefined => check(spec({ decls, constraints: c })).diagnostics[0]?.help;
    expect(help("th <= 1", TH)).toContain("`learnable th = 0.5 in [0, 1]`");
    expect(help("r <= 1", R)).toContain("`runtime r = 0 in [lo, hi]`");
    expect(help("p <= 1", P)).toBe("remove the constraint, or constrain a state or an input");
  });

  it("near misses: a side with a state or input, a learnable coefficient, a zero entry beside a nonzero one", () => {
    for (const nl of [false, true]) {
      for (const [c, decls] of [
        ["x <= p", P],
        ["0*x + x <= 1", ""],
        ["th*x <= 1", TH],
        ["x <= 1 + th", TH],
        ["[1, 0]'*[x; u] <= 1", ""],
        ["-1 <= 0*x + u <= 1", ""],
      ]) {
        const src = spec({ nl, decls, constraints: c });
        expect(check(src).diagnostics, c).toEqual([]);
        expect(verdicts(src), c).toEqual({ check: [], verify: [], compile: [] });
      }
    }
  });

  it("a cancellation the intervals cannot see (`x - x <= 1`) is left to the linear lowering (MPC4601), within `check`'s verdict", () => {
    const src = spec({ constraints: "x - x <= 1" });
    expect(verdicts(src)).toEqual({ check: [], verify: ["MPC4601"], compile: ["MPC4601"] });
  });
});

describe("3. a whole side infinite at some stages only: no bound there, in a linear and a nonlinear controller", () => {
  const W = "  const w[6] = [1, 1, inf, 1, 1, 1]\n";

  it("the linear QP has no row at that stage; the nonlinear one has the row's box absent there", () => {
    const lin = compile(spec({ decls: W, constraints: "x <= w[k] for k in 1..N" }));
    expect(errorCodes(lin.diagnostics)).toEqual([]);
    const ir = lin.ir!;
    // rows bounding x_k alone (x_k at column k), by stage
    const bounded = new Set<number>();
    for (let col = 1; col <= 5; col++) {
      for (let p = ir.A.colPtr[col]; p < ir.A.colPtr[col + 1]; p++) {
        const row = ir.A.rowIdx[p];
        const alone = Array.from({ length: ir.n }, (_, j) => j).every((j) => j === col || !Array.from({ length: ir.A.colPtr[j + 1] - ir.A.colPtr[j] }, (_, q) => ir.A.rowIdx[ir.A.colPtr[j] + q]).includes(row));
        if (alone && ir.pool.constValue(ir.u[row]) === 1) bounded.add(col);
      }
    }
    expect([...bounded].sort()).toEqual([1, 3, 4, 5]);

    const nl = compile(spec({ nl: true, decls: W, constraints: "x <= w[k] for k in 1..N" }));
    expect(errorCodes(nl.diagnostics)).toEqual([]);
    expect(nl.nlp!.xUpper).toEqual([Infinity, 1, Infinity, 1, 1, 1]);
    // a row that is not a box: the constant -1 (always satisfied) at the infinite stage
    const rows = compile(spec({ nl: true, decls: W, constraints: "sin(x) <= w[k] for k in 1..N-1" })).nlp!;
    const consts = rows.stages.map((s) => rows.pool.constValue(s.hard[0]));
    expect(consts).toEqual([-1, undefined, -1, undefined, undefined]);
  });

  it("the wrong side at a stage (`x <= -w[k]`) is MPC4026 for both, within `check`'s verdict", () => {
    for (const nl of [false, true]) {
      const src = spec({ nl, decls: W, constraints: "x <= -w[k] for k in 1..N" });
      expect(verdicts(src)).toEqual({ check: [], verify: ["MPC4026"], compile: ["MPC4026"] });
    }
  });
});

describe("4. a let is judged at the stages of the statements that use it", () => {
  const LET = "  let w = 1/(N - k)\n";

  it("`1/(N - k)` used in a `stage` term (k = 0..N-1) checks clean and compiles, linear and nonlinear", () => {
    for (const nl of [false, true]) {
      const src = spec({ nl, decls: LET, cost: nl ? "stage w*sumsq(x) + sumsq(u)" : "stage w*x'*x + u'*u" });
      expect(check(src).diagnostics).toEqual([]);
      expect(verdicts(src)).toEqual({ check: [], verify: [], compile: [] });
    }
  });

  it("through another let, and in a constraint over 0..N-1 or a penalty", () => {
    const src = spec({ decls: `${LET}  let v = 2*w\n`, cost: "stage v*x'*x + u'*u", constraints: "soft x <= 1 + v for k in 0..N-1 penalty linear w" });
    expect(verdicts(src)).toEqual({ check: [], verify: [], compile: [] });
  });

  it("an index `q[k]` with q of N entries, used at stages 0..N-1 only", () => {
    const src = spec({ decls: "  const q[5] = [1, 2, 3, 4, 5]\n  let g = q[k]\n", cost: "stage g*x'*x + u'*u" });
    expect(verdicts(src)).toEqual({ check: [], verify: [], compile: [] });
    // used at N too: outside q (MPC3005)
    expect(errorCodes(check(spec({ decls: "  const q[5] = [1, 2, 3, 4, 5]\n  let g = q[k]\n", cost: "stage g*x'*x + u'*u + terminal g*x'*x" })).diagnostics)).toContain("MPC3005");
  });

  it("still rejected where a use is evaluated at a stage the let is not defined at", () => {
    // a terminal term: k = N, a division by zero at its one stage
    const terminal = check(spec({ decls: LET, cost: "stage x'*x + u'*u + terminal w*x'*x" })).diagnostics;
    expect(errorCodes(terminal)).toContain("MPC4021");
    // a stage term and a terminal term: judged over both
    expect(errorCodes(check(spec({ decls: LET, cost: "stage w*x'*x + u'*u + terminal w*x'*x" })).diagnostics)).toContain("MPC4022");
    // through another let into a constraint whose range reaches N
    expect(errorCodes(check(spec({ decls: `${LET}  let v = 2*w\n`, constraints: "x <= 1 + v for k in 1..N" })).diagnostics)).toEqual(["MPC4022"]);
  });
});
