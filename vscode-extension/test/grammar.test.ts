// The TextMate grammar on fixture lines: scopes of keywords, numbers, comments, names, built-ins,
// tokenized with the same engine as VS Code (vscode-textmate + vscode-oniguruma).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const require = createRequire(import.meta.url);
const grammarPath = new URL("../syntaxes/mpcrl.tmLanguage.json", import.meta.url);
let grammar: textmate.IGrammar;

beforeAll(async () => {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) =>
      scopeName === "source.mpcrl" ? textmate.parseRawGrammar(readFileSync(grammarPath, "utf8"), grammarPath.pathname) : null,
  });
  const g = await registry.loadGrammar("source.mpcrl");
  if (!g) throw new Error("grammar did not load");
  grammar = g;
});

/** Tokens of consecutive lines as [text, innermost scope]. */
function tokenize(lines: readonly string[]): [string, string][][] {
  let state = textmate.INITIAL;
  return lines.map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1] ?? ""] as [string, string]);
  });
}

function scopeOf(line: string, text: string): string | undefined {
  return tokenize([line])[0]?.find(([t]) => t === text)?.[1];
}

describe("TextMate grammar", () => {
  it("scopes block headers", () => {
    expect(scopeOf("controller LinearMpc {", "controller")).toBe("keyword.declaration.block.mpcrl");
    expect(scopeOf("controller LinearMpc {", "LinearMpc")).toBe("entity.name.type.mpcrl");
    expect(scopeOf("train LinearMpc on LtiSystem {", "on")).toBe("keyword.other.on.mpcrl");
    expect(scopeOf("train LinearMpc on LtiSystem {", "LtiSystem")).toBe("entity.name.type.mpcrl");
  });

  it("scopes declarations, structure and declared names", () => {
    expect(scopeOf("  learnable diag Q[2] = [1, 1] in [0, 10]", "learnable")).toBe("storage.type.learnable.mpcrl");
    expect(scopeOf("  learnable diag Q[2] = [1, 1] in [0, 10]", "diag")).toBe("storage.modifier.structure.mpcrl");
    expect(scopeOf("  learnable diag Q[2] = [1, 1] in [0, 10]", "Q")).toBe("variable.other.definition.mpcrl");
    expect(scopeOf("  learnable diag Q[2] = [1, 1] in [0, 10]", "in")).toBe("keyword.other.mpcrl");
    expect(scopeOf("  state  x[2]", "x")).toBe("variable.other.definition.mpcrl");
  });

  it("scopes the solver item and substeps of a nonlinear controller", () => {
    const line = "  solver sqp(hessian = gauss_newton, max_iterations = 50)";
    expect(scopeOf(line, "solver")).toBe("keyword.other.mpcrl");
    expect(scopeOf(line, "sqp")).toBe("constant.language.solver.mpcrl");
    expect(scopeOf(line, "gauss_newton")).toBe("constant.language.hessian.mpcrl");
    expect(scopeOf("  dynamics der(x) = f using rk4(4)", "rk4")).toBe("constant.language.method.mpcrl");
  });

  it("scopes numbers in their forms, and inf", () => {
    const line = "  const c = [1, 0.25, 5e-2, .5, 1E+3] + inf";
    for (const n of ["1", "0.25", "5e-2", ".5", "1E+3"]) expect(scopeOf(line, n), n).toBe("constant.numeric.mpcrl");
    expect(scopeOf(line, "inf")).toBe("constant.numeric.infinity.mpcrl");
    // digits inside a name are not a number
    expect(scopeOf("  let rk4x = x2", "x2")).toBe("variable.other.mpcrl");
  });

  it("scopes line and block comments, also across lines", () => {
    expect(scopeOf("  horizon 10 // the horizon", "// the horizon")).toBeUndefined();
    const [line] = tokenize(["  horizon 10 // the horizon"]);
    expect(line?.find(([t]) => t.includes("the horizon"))?.[1]).toBe("comment.line.double-slash.mpcrl");
    const lines = tokenize(["/* first", "second state input", "end */ horizon"]);
    expect(lines[1]?.[0]).toEqual(["second state input", "comment.block.mpcrl"]);
    expect(lines[2]?.find(([t]) => t === "horizon")?.[1]).toBe("keyword.other.mpcrl");
  });

  it("scopes built-in calls, other calls, names and operators", () => {
    const line = "  minimize V0 + terminal quad(x, dlqr(A0, B0, 0.5*I, 0.25*I)) + stage f'*[x; u]";
    expect(scopeOf(line, "minimize")).toBe("keyword.control.section.mpcrl");
    expect(scopeOf(line, "terminal")).toBe("storage.modifier.mpcrl");
    expect(scopeOf(line, "stage")).toBe("storage.modifier.mpcrl");
    expect(scopeOf(line, "quad")).toBe("support.function.builtin.mpcrl");
    expect(scopeOf(line, "dlqr")).toBe("support.function.builtin.mpcrl");
    expect(scopeOf(line, "V0")).toBe("variable.other.mpcrl");
    expect(scopeOf(line, "I")).toBe("constant.language.mpcrl");
    expect(scopeOf(line, "'")).toBe("keyword.operator.transpose.mpcrl");
    expect(scopeOf("    optimizer newton(lr = 5e-2)", "newton")).toBe("entity.name.function.mpcrl");
  });

  it("scopes constraints, stage ranges and dynamics", () => {
    const line = "    soft [0, -1] + x_lb <= x <= [1, 1] + x_ub  for k in 1..N  penalty linear w";
    expect(scopeOf(line, "soft")).toBe("storage.modifier.mpcrl");
    expect(scopeOf(line, "<=")).toBe("keyword.operator.comparison.mpcrl");
    expect(scopeOf(line, "..")).toBe("keyword.operator.range.mpcrl");
    expect(scopeOf(line, "N")).toBe("constant.language.mpcrl");
    expect(scopeOf(line, "penalty")).toBe("keyword.other.mpcrl");
    expect(scopeOf(line, "linear")).toBe("keyword.other.penalty.mpcrl");
    expect(scopeOf("  subject to", "subject to")).toBe("keyword.control.section.mpcrl");
    const dyn = "  dynamics der(x) = Ac*x + Bc*u using zoh";
    expect(scopeOf(dyn, "dynamics")).toBe("keyword.other.dynamics.mpcrl");
    expect(scopeOf(dyn, "der")).toBe("support.function.builtin.mpcrl");
    expect(scopeOf(dyn, "zoh")).toBe("constant.language.method.mpcrl");
    expect(scopeOf("  dynamics x+ = A*x", "+")).toBe("keyword.operator.successor.mpcrl");
  });

  it("tokenizes every shipped example without unscoped words", () => {
    const text = readFileSync(new URL("../../examples/gros_zanon/linear_mpc.mpcrl", import.meta.url), "utf8");
    const lines = tokenize(text.split("\n"));
    for (const tokens of lines) {
      for (const [t, scope] of tokens) {
        if (/[A-Za-z0-9]/.test(t)) expect(scope, `token ${JSON.stringify(t)}`).not.toBe("source.mpcrl");
      }
    }
  });
});
