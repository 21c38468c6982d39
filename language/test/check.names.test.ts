// Names, limits and recovery (issue 9): for each new code a spec that must be rejected and
// near-misses that must be accepted; the suggested edits applied give a spec that checks clean;
// a misspelled item keyword is one diagnostic, not a cascade.

import { describe, expect, it } from "vitest";
import { check, type Diagnostic } from "../index.js";
import { MAX_DIM, MAX_HORIZON, MAX_QP_NONZEROS, MAX_VALUE_ELEMENTS } from "../check/limits.js";

const codes = (src: string): string[] => check(src).diagnostics.map((d) => d.code);
const errors = (src: string): Diagnostic[] => check(src).diagnostics.filter((d) => d.severity === "error");

/** A small valid controller; `decls` go after the input, `cons` under `subject to`. */
function spec(o: { top?: string; decls?: string; cost?: string; cons?: string; horizon?: string; name?: string } = {}): string {
  return [
    o.top ?? "",
    `controller ${o.name ?? "C"} {`,
    "  state x[2]",
    "  input u[1] in [-1, 1]",
    o.decls ?? "",
    `  horizon ${o.horizon ?? "10"}`,
    "  dynamics x+ = [[1, 0.1], [0, 1]]*x + [0; 0.1]*u",
    `  minimize stage sumsq(x) + sumsq(u)${o.cost ?? ""}`,
    "  subject to",
    `    ${o.cons ?? "-5 <= x <= 5"}`,
    "}",
    "",
  ].join("\n");
}

/** Applies the first suggested edit of the first diagnostic with `code`. */
function applyFix(src: string, code: string): string {
  const d = check(src).diagnostics.find((x) => x.code === code);
  const e = d?.edits?.[0];
  if (!e) throw new Error(`no edit for ${code}`);
  return src.slice(0, e.span.start) + e.newText + src.slice(e.span.end);
}

describe("the base spec", () => {
  it("checks clean", () => {
    expect(check(spec()).diagnostics).toEqual([]);
  });
});

describe("MPC2018: declarations named like built-ins", () => {
  const rejected: [string, Parameters<typeof spec>[0]][] = [
    ["const N", { top: "const N = 2" }],
    ["const k", { top: "const k = 2" }],
    ["param I", { decls: "  param I = 2" }],
    ["let sum", { decls: "  let sum = x[0]", cost: " + sum^2" }],
    ["learnable max", { decls: "  learnable max = 1 in [0, 2]", cost: " + max*u[0]" }],
    ["runtime prev", { decls: "  runtime prev = 0", cost: " + prev*u[0]" }],
    ["param eye", { decls: "  param eye = 1" }],
    ["for N", { cons: "-5 <= x <= 5 for N in 1..3" }],
    ["for sum", { cons: "-5 <= x <= 5 for sum in 1..3" }],
    ["a controller named quad", { name: "quad" }],
  ];
  for (const [what, o] of rejected) {
    it(`rejects ${what}`, () => {
      expect(codes(spec(o))).toContain("MPC2018");
    });
  }
  const accepted: [string, Parameters<typeof spec>[0]][] = [
    ["const Nx", { top: "const Nx = 2" }],
    ["const n (lower case)", { top: "const n = 2" }],
    ["const kk", { top: "const kk = 2" }],
    ["let sums", { decls: "  let sums = x[0]", cost: " + sums^2" }],
    ["for k (the stage index itself)", { cons: "-5 <= x <= 5 for k in 1..N" }],
    ["for j", { cons: "-5 <= x <= 5 for j in 1..N-1" }],
    ["a controller named Quad", { name: "Quad" }],
  ];
  for (const [what, o] of accepted) {
    it(`accepts ${what}`, () => {
      expect(check(spec(o)).diagnostics).toEqual([]);
    });
  }
  it("the quick fix renames the declaration and every use, keeping their meaning", () => {
    const src = "const N = 2\ncontroller C {\n  state x[N]\n  input u[1]\n  horizon 10\n  dynamics x+ = 0.5*x + u[0]*ones(N)\n  minimize stage sumsq(x) + sumsq(u)\n}\n";
    const fixed = applyFix(src, "MPC2018");
    expect(fixed).toContain("const N_ = 2");
    expect(fixed).toContain("state x[N_]");
    expect(fixed).toContain("ones(N_)");
    expect(check(fixed).diagnostics).toEqual([]);
    expect(check(fixed).model.symbolsIn("C").find((s) => s.name === "x")?.shape).toEqual({ rows: 2, cols: 1 });
  });
  it("reports once per declaration and leaves the uses resolved (no unknown-name cascade)", () => {
    const src = spec({ top: "const k = 0.5", cost: " + k*sumsq(x)" });
    expect(codes(src)).toEqual(["MPC2018"]);
  });
});

describe("MPC2019: a `for` index named like a declaration", () => {
  it("rejects a stage index named like a state, a constant or a let", () => {
    expect(codes(spec({ cons: "-5 <= x <= 5 for x in 1..N" }))).toContain("MPC2019");
    expect(codes(spec({ top: "const t = 1", cons: "-5 <= x <= 5 for t in 1..N" }))).toContain("MPC2019");
    expect(codes(spec({ decls: "  let e = x - 1", cost: " + sumsq(e)", cons: "-5 <= x <= 5 for e in 1..N" }))).toContain("MPC2019");
  });
  it("is one diagnostic when the constraint uses the name (its other findings follow from it)", () => {
    expect(codes(spec({ cons: "-1 <= x[0] <= 1 for x in 1..N" }))).toEqual(["MPC2019"]);
  });
  it("accepts a free name and `k`", () => {
    expect(check(spec({ cons: "-5 <= x <= 5 for t in 1..N" })).diagnostics).toEqual([]);
    expect(check(spec({ top: "const t0 = 1", cons: "-5 <= x <= 5 for t in t0..N" })).diagnostics).toEqual([]);
  });
  it("the quick fix renames the index and its uses", () => {
    const src = spec({ cons: "-5 <= u[0] - 0.01*x <= 5 for x in 0..N-1" });
    const fixed = applyFix(src, "MPC2019");
    expect(fixed).toContain("for j in 0..N-1");
    expect(fixed).toContain("0.01*j");
  });
});

describe("MPC2020: runtime names of generated slots", () => {
  it("rejects a runtime value or disturbance named prev_<input>", () => {
    expect(codes(spec({ decls: "  runtime prev_u = 0", cost: " + prev_u*u[0]" }))).toContain("MPC2020");
    expect(codes(spec({ decls: "  disturbance prev_u[2]" }))).toContain("MPC2020");
  });
  it("accepts prev_ names of no input, other names, and prev(u) itself", () => {
    expect(check(spec({ decls: "  runtime prev_y = 0", cost: " + prev_y*u[0]" })).diagnostics).toEqual([]);
    expect(check(spec({ decls: "  runtime last_u = 0", cost: " + last_u*u[0]" })).diagnostics).toEqual([]);
    expect(check(spec({ cons: "-0.5 <= u - prev(u) <= 0.5" })).diagnostics).toEqual([]);
  });
  it("a plant disturbance named prev_<input> is not a controller slot", () => {
    const src = `${spec()}plant P {\n  state s[2] = [0, 0]\n  input a[1]\n  disturbance prev_a[2] = [0, 0]\n  dynamics s+ = s + [0; 1]*a + prev_a\n  cost s'*s\n  episode 10\n}\n`;
    expect(codes(src)).not.toContain("MPC2020");
  });
});

describe("MPC2021: names of Object.prototype members", () => {
  const members = Object.getOwnPropertyNames(Object.prototype);
  it("covers constructor, __proto__, hasOwnProperty, toString, valueOf", () => {
    for (const m of ["constructor", "__proto__", "hasOwnProperty", "toString", "valueOf"]) expect(members).toContain(m);
  });
  for (const m of members) {
    it(`rejects a learnable and a runtime value named ${m}`, () => {
      expect(codes(spec({ decls: `  learnable ${m} = 1 in [0, 2]`, cost: ` + ${m}*sumsq(u)` }))).toContain("MPC2021");
      expect(codes(spec({ decls: `  runtime ${m} = 0`, cost: ` + ${m}*u[0]` }))).toContain("MPC2021");
    });
  }
  it("accepts near names and names that never become keys", () => {
    expect(check(spec({ decls: "  learnable constructor_ = 1 in [0, 2]", cost: " + constructor_*sumsq(u)" })).diagnostics).toEqual([]);
    expect(check(spec({ decls: "  runtime to_string = 0", cost: " + to_string*u[0]" })).diagnostics).toEqual([]);
    expect(check(spec({ top: "const valueOf = 2", cost: " + valueOf*sumsq(u)" })).diagnostics).toEqual([]);
  });
  it("the quick fix gives a spec that checks clean", () => {
    const src = spec({ decls: "  runtime constructor = 0", cost: " + constructor*u[0]" });
    const fixed = applyFix(src, "MPC2021");
    expect(fixed).toContain("runtime constructor_ = 0");
    expect(fixed).toContain("constructor_*u[0]");
    expect(check(fixed).diagnostics).toEqual([]);
  });
});

describe("MPC3016-MPC3018: size limits", () => {
  it("rejects a dimension above the limit, and accepts the limit itself", () => {
    expect(codes(`const z[${MAX_DIM + 1}] = 0\n${spec()}`)).toEqual(["MPC3016"]);
    expect(codes(`const z = zeros(${MAX_DIM + 1})\n${spec()}`)).toEqual(["MPC3016"]);
    expect(check(`const z = zeros(${MAX_DIM})\n${spec()}`).diagnostics).toEqual([]);
  });
  it("rejects a value above the entry limit (also when built by an operation)", () => {
    const side = Math.sqrt(MAX_VALUE_ELEMENTS);
    expect(check(`const z = zeros(${side}, ${side})\n${spec()}`).diagnostics).toEqual([]);
    expect(codes(`const z = zeros(${side}, ${side + 1})\n${spec()}`)).toEqual(["MPC3016"]);
    expect(codes(`const z = diag(ones(${side + 1}))\n${spec()}`)).toEqual(["MPC3016"]);
    expect(codes(`const z = ones(${side + 1})*ones(1, ${side + 1})\n${spec()}`)).toEqual(["MPC3016"]);
  });
  it("a state of a billion entries is one diagnostic", () => {
    const src = spec().replace("state x[2]", "state x[1000000000]");
    expect(codes(src)).toEqual(["MPC3016"]);
  });
  it("rejects a horizon above the limit and accepts the limit itself", () => {
    expect(codes(spec({ horizon: String(MAX_HORIZON + 1) }))).toEqual(["MPC3017"]);
    expect(codes(spec({ horizon: "1000000000" }))).toEqual(["MPC3017"]);
    expect(check(spec({ horizon: String(MAX_HORIZON) })).diagnostics).toEqual([]);
  });
  const big = (nx: number, nu: number, N: number): string =>
    `controller Big {\n  state x[${nx}]\n  input u[${nu}] in [-1, 1]\n  horizon ${N}\n` +
    `  dynamics x+ = 0.9*x + 0.01*ones(${nx}, ${nu})*u\n  minimize stage sumsq(x) + sumsq(u)\n  subject to\n    -5 <= x <= 5\n}\n`;
  it(`rejects a QP estimated above ${MAX_QP_NONZEROS} nonzeros with every dimension and the horizon within limits`, () => {
    const ds = errors(big(200, 20, 100));
    expect(ds.map((d) => d.code)).toEqual(["MPC3018"]);
    expect(ds[0].notes?.[0]).toMatch(/variables/);
    expect(codes(big(100, 20, 75))).toEqual(["MPC3018"]);
  });
  it("accepts a mid-sized QP (40 states, 10 inputs, N = 50)", () => {
    expect(check(big(40, 10, 50)).diagnostics).toEqual([]);
  });
});

describe("recovery after a misspelled item keyword", () => {
  it("`horizn 10` is one error with the fix, and the horizon is read", () => {
    const src = spec().replace("horizon 10", "horizn 10");
    const ds = check(src).diagnostics;
    expect(ds.map((d) => d.code)).toEqual(["MPC1007"]);
    expect(ds[0].edits?.[0].newText).toBe("horizon");
    expect(check(applyFix(src, "MPC1007")).diagnostics).toEqual([]);
  });
  it("`minimise` over several lines is one error: no cascade on `stage`, no unused learnables, no range errors", () => {
    const src = [
      "controller C {",
      "  state x[2]",
      "  input u[1] in [-1, 1]",
      "  learnable V0 = 0",
      "  learnable f[3] = 0 in [-1, 1]",
      "  horizon 10",
      "  dynamics x+ = [[1, 0.25], [0, 1]]*x + [[0.03], [0.25]]*u",
      "  minimise V0",
      "         + stage f'*[x; u] + 0.5*(x'*x + 0.5*u'*u)",
      "         + terminal sumsq(x)",
      "  subject to",
      "    -1 <= x <= 1 for k in 1..N",
      "}",
    ].join("\n");
    const ds = check(src).diagnostics;
    expect(ds.map((d) => d.code)).toEqual(["MPC1007"]);
    expect(ds[0].edits?.[0].newText).toBe("minimize");
  });
  it("other misspellings: stat, dynamcs, subjet to, learnabel", () => {
    for (const [good, bad] of [
      ["state x[2]", "stat x[2]"],
      ["dynamics x+", "dynamcs x+"],
      ["subject to", "subjet to"],
      ["input u[1]", "inptu u[1]"],
    ]) {
      const src = spec().replace(good, bad);
      const ds = check(src).diagnostics;
      expect(ds.map((d) => d.code), bad).toEqual(["MPC1007"]);
      expect(check(applyFix(src, "MPC1007")).diagnostics, bad).toEqual([]);
    }
  });
  it("misspelled block and top-level keywords: one error each, the block is read", () => {
    const src = `cosnt w = 2\n${spec({ cost: " + w*sumsq(u)" }).replace("controller C", "controler C")}plnat P {\n  state s[2] = [0, 0]\n  input a[1]\n  dynamics s+ = s + [0; 1]*a\n  cost s'*s\n  episode 10\n}\ntrian C on P {\n  algorithm q_learning {\n    optimizer newton(lr = 0.1)\n  }\n  episodes 1\n}\n`;
    const ds = check(src).diagnostics;
    expect(ds.map((d) => d.code)).toEqual(["MPC1007", "MPC1007", "MPC1007", "MPC1007"]);
    expect(ds.map((d) => d.edits?.[0].newText)).toEqual(["const", "controller", "plant", "train"]);
  });
  it("a word far from every keyword: the line and its continuations are skipped, nothing reported as missing", () => {
    const noHorizon = spec().replace("horizon 10", "zzzzzz 10");
    expect(codes(noHorizon)).toEqual(["MPC1007"]);
    const noObjective = spec({ decls: "  learnable w = 1 in [0, 2]" }).replace(
      "  minimize stage sumsq(x) + sumsq(u)",
      "  qqqqqqqq stage w*sumsq(x)\n       + stage sumsq(u)",
    );
    expect(codes(noObjective)).toEqual(["MPC1007"]);
  });
  it("a skipped input or plant cost is not reported as missing", () => {
    const src = spec({ cons: "-5 <= x <= 5" }).replace("input u[1] in [-1, 1]", "zzzzz u[1] in [-1, 1]").replace(/\+ \[0; 0\.1\]\*u/, "").replace(" + sumsq(u)", "");
    expect(codes(src)).toEqual(["MPC1007"]);
    const plant = "plant P {\n  state s[1] = 0\n  input a[1]\n  dynamics s+ = s + a\n  zzzzzz s'*s\n}\n";
    expect(codes(plant)).toEqual(["MPC1007"]);
  });
  it("near-misses are not re-typed: a constraint on a name close to a keyword, a continuation line", () => {
    const stat = spec({ decls: "  runtime stat = 0", cons: "stat <= u[0]" });
    expect(check(stat).diagnostics).toEqual([]);
    const cont = spec({ decls: "  param cst = 1", cost: " +\n    cst*sumsq(x)" });
    expect(check(cont).diagnostics).toEqual([]);
  });
  it("a clean block still reports an unused learnable; a block with a syntax error does not", () => {
    expect(codes(spec({ decls: "  learnable w = 1 in [0, 2]" }))).toEqual(["MPC2004"]);
    expect(codes(spec({ decls: "  learnable w = 1 in [0, 2]\n  zzzzzz 3" }))).toEqual(["MPC1007"]);
  });
  it("a syntax error that loses nothing (`<` read as `<=`) keeps the unused-learnable warning", () => {
    expect(codes(spec({ decls: "  learnable w = 1 in [0, 2]", cons: "u < 1" })).sort()).toEqual(["MPC1011", "MPC2004"]);
  });
  it("a missing horizon is still reported in a block without syntax errors", () => {
    expect(codes(spec().replace("  horizon 10\n", ""))).toContain("MPC4010");
  });
});
