// `check` is the one verdict (compiler/verify.ts, what `mpcrl check` and the language server report):
// for every fixture, every example and generated and mutated specs, every error `compile` reports
// was already reported by `verify`, and a spec that verifies without errors compiles. The generated
// specs are drawn by fast-check with a fixed seed (printed by fast-check on failure).
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../language/diagnostics.js";
import { check } from "../../language/index.js";
import { compile, lower, verify } from "../index.js";
import { repoRoot } from "./helpers.js";
import { specFiles } from "../../language/test/spec_files.js";

const rel = (p: string): string => p.slice(repoRoot.length);
const fixtures = specFiles(`${repoRoot}language/test/fixtures`).map(rel);
const examples = specFiles(`${repoRoot}examples`).map(rel);
const read = (p: string): string => readFileSync(repoRoot + p, "utf8");

const key = (d: Diagnostic): string => `${d.code}@${d.span.start}-${d.span.end}: ${d.message}`;
const errorsOf = (ds: readonly Diagnostic[]): Diagnostic[] => ds.filter((d) => d.severity === "error");

/** The property: compile (default target and every controller as target) reports no error that
 *  verify did not; a spec verify accepts compiles to code. Returns whether verify accepted it. */
function agree(source: string, label: string): boolean {
  const verdict = verify(source);
  const known = new Set(errorsOf(verdict.diagnostics).map(key));
  const compiled = compile(source);
  const unreported = errorsOf(compiled.diagnostics).filter((d) => !known.has(key(d)));
  expect(unreported.map(key), `${label}: compile reports errors check did not`).toEqual([]);
  const controllers = check(source).program.items.filter((i) => i.kind === "Controller");
  for (const c of controllers) {
    if (c.kind !== "Controller") continue;
    const low = lower(source, { target: c.name.name });
    const extra = errorsOf(low.diagnostics).filter((d) => !known.has(key(d)));
    expect(extra.map(key), `${label}: compiling controller ${c.name.name} reports errors check did not`).toEqual([]);
  }
  const ok = known.size === 0;
  if (ok && controllers.length > 0) expect(compiled.code, `${label}: checks clean but does not compile`).toBeDefined();
  return ok;
}

describe("check is the one verdict", () => {
  it.each(fixtures)("fixture %s", (p) => {
    agree(read(p), p);
  });

  it.each(examples)("example %s (checks clean and compiles)", (p) => {
    expect(agree(read(p), p)).toBe(true);
  });

  // ---- generated specs: controllers with learnables in every position, every discretization,
  // structured initial values, constraints that may be infeasible, constant or random plant states
  const genSpec = fc.record({
    method: fc.constantFrom("discrete", "zoh", "rk4", "euler"),
    aLearn: fc.boolean(),
    bLearn: fc.boolean(),
    offsetLearn: fc.boolean(),
    a12: fc.constantFrom("0.1", "1", "-0.5", "2"),
    structure: fc.constantFrom("psd", "factor", "diag", "plain"),
    init: fc.constantFrom("3", "0", "-1", "[[2, 0], [0, 2]]", "[[1, 2], [2, 1]]", "[[1, 1], [1, 1]]", "[2, 1]", "[[1, 0], [0.5, 1]]"),
    ub: fc.constantFrom("0.01", "0.5", "1", "10"),
    horizon: fc.integer({ min: 1, max: 6 }),
    terminal: fc.constantFrom("none", "dlqr_ok", "dlqr_bad", "P"),
    plantInit: fc.constantFrom("[0.9, 0]", "[uniform(-2, 2), 0]", "[normal(3, 1), 0]", "[0, 0]"),
    hardX: fc.boolean(),
    seedText: fc.integer({ min: 0, max: 3 }),
  });

  type Gen = typeof genSpec extends fc.Arbitrary<infer T> ? T : never;

  function render(g: Gen): string {
    const kind = g.structure === "plain" ? "" : `${g.structure} `;
    const decl = g.structure === "diag" ? `learnable diag W[2] = ${g.init} in [0, 10]` : g.structure === "plain" ? `learnable W[2,2] = ${g.init}` : `learnable ${kind}W[2] = ${g.init}`;
    const A = g.aLearn ? `[[1, a], [0, 1]]` : `[[1, ${g.a12}], [0, 1]]`;
    const B = g.bLearn ? "b" : "[[0], [1]]";
    const off = g.offsetLearn ? " + c" : "";
    const dyn = g.method === "discrete" ? `dynamics x+ = ${A}*x + ${B}*u${off}` : `dynamics der(x) = [[0, ${g.aLearn ? "a" : g.a12}], [0, -0.1]]*x + ${B}*u${off} using ${g.method}`;
    const term =
      g.terminal === "none" ? "" : g.terminal === "dlqr_ok" ? " + terminal quad(x, dlqr([[1, 0.1], [0, 1]], [[0], [1]], I, I))" : g.terminal === "dlqr_bad" ? " + terminal quad(x, dlqr([[2, 0], [0, 0.5]], [[0], [1]], I, I))" : " + terminal quad(x, W)";
    return `controller C {
  state x[2]${g.hardX ? ` in [-${g.ub}, ${g.ub}]` : ""}
  input u[1] in [-${g.ub}, ${g.ub}]
  horizon ${g.horizon}
  timestep 0.1
  learnable a = 0.1 in [0, 1]
  learnable b[2,1] = [[0], [1]]
  learnable c[2] = [0, 0] in [-0.1, 0.1]
  ${decl}
  ${dyn}
  minimize stage x'*x + u'*u${term}
  subject to
    -${g.ub} <= x[0] + ${g.seedText}*u <= ${g.ub}
}

plant P {
  state s[2] = ${g.plantInit}
  input f[1]
  dynamics s+ = [[1, 0.1], [0, 1]]*s + [[0], [1]]*f
  cost s'*s
}
`;
  }

  it("generated specs (fast-check, fixed seed)", () => {
    let clean = 0;
    let rejected = 0;
    fc.assert(
      fc.property(genSpec, (g) => {
        const src = render(g);
        if (agree(src, src)) clean++;
        else rejected++;
      }),
      { seed: 20261205, numRuns: 150 },
    );
    // the generator reaches both verdicts
    expect(clean).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(10);
  });

  // ---- mutated specs: examples and valid fixtures with a number, a method or a structure changed
  const sources = [...examples, ...fixtures.filter((p) => p.includes("/valid/"))];
  const mutation = fc.record({
    file: fc.integer({ min: 0, max: sources.length - 1 }),
    at: fc.nat(),
    kind: fc.constantFrom("number", "method", "structure", "scalarInit"),
    pick: fc.nat(),
  });

  function mutate(src: string, m: { at: number; kind: string; pick: number }): string {
    const patterns: Record<string, RegExp> = {
      number: /-?\b\d+(\.\d+)?\b/g,
      method: /using (zoh|rk4|euler)/g,
      structure: /learnable (psd|factor|diag) /g,
      scalarInit: /(learnable (?:psd|factor|diag) \w+\[\d+\]) = (\[[^\n]*?\]\])/g,
    };
    const hits = [...src.matchAll(patterns[m.kind])];
    if (hits.length === 0) return src;
    const h = hits[m.at % hits.length];
    const choices: Record<string, string[]> = {
      number: ["0", "-1", "1e3", "0.5", "7", "-0.001"],
      method: ["using zoh", "using rk4", "using euler"],
      structure: ["learnable psd ", "learnable factor ", "learnable diag "],
      scalarInit: [`${h[1]} = 2`, `${h[1]} = 0`, `${h[1]} = -3`],
    };
    const c = choices[m.kind];
    return src.slice(0, h.index) + c[m.pick % c.length] + src.slice(h.index! + h[0].length);
  }

  it("mutated examples and fixtures (fast-check, fixed seed)", () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const src = mutate(read(sources[m.file]), m);
        agree(src, `${sources[m.file]} mutated (${m.kind} #${m.at})`);
      }),
      { seed: 4242, numRuns: 120 },
    );
  });
});
