// The emitted module: golden text for the shipped examples, strict type-checking, identical
// numbers to the in-process path, and inert output for hostile names and strings.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { check } from "../../language/index.js";
import { emitModule } from "../emit.js";
import { compile, compileToModule, lowerChecked } from "../index.js";
import type { MpcController } from "../../runtime/mpc/controller.js";
import type { Plant } from "../../runtime/plants/types.js";
import { RecordedDisturbance } from "../../runtime/plants/disturbance.js";
import { readRepo, repoRoot } from "./helpers.js";

// Every shipped example (the Gros & Zanon spec first: the equivalence test below uses it).
const examples = [
  "examples/gros_zanon/linear_mpc.mpcrl",
  ...readdirSync(`${repoRoot}examples`, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(`${repoRoot}examples/${d.name}`).filter((f) => f.endsWith(".mpcrl")).map((f) => `examples/${d.name}/${f}`))
    .filter((p) => p !== "examples/gros_zanon/linear_mpc.mpcrl")
    .sort(),
];
const goldenDir = `${repoRoot}compiler/test/golden/`;
const tmpDir = `${repoRoot}compiler/test/.tmp-${process.pid}/`;
mkdirSync(tmpDir, { recursive: true });
afterAll(() => rmSync(tmpDir, { recursive: true, force: true }));

function emitted(path: string): string {
  const r = compile(readRepo(path), { fileName: path.split("/").pop()! });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.code!;
}

/** Type-checks files with tsc --strict (mpcrl/runtime mapped to the repo's runtime); returns the errors in them. */
function typeErrors(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ["node"],
    baseUrl: repoRoot,
    paths: { "mpcrl/runtime": ["./runtime/index.ts"] },
    allowImportingTsExtensions: false,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && files.includes(d.file.fileName))
    .map((d) => `${d.file!.fileName}:${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

/** TypeScript's own formatter (2 spaces) applied to a module text, as an editor's "Format Document" would. */
function tsFormat(text: string): string {
  const name = "controller.ts";
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [name],
    getScriptVersion: () => "1",
    getScriptSnapshot: (f) => (f === name ? ts.ScriptSnapshot.fromString(text) : undefined),
    getCurrentDirectory: () => "/",
    getCompilationSettings: () => ({ target: ts.ScriptTarget.ES2022 }),
    getDefaultLibFileName: () => "lib.d.ts",
    fileExists: (f) => f === name,
    readFile: (f) => (f === name ? text : undefined),
  };
  const service = ts.createLanguageService(host);
  const settings = ts.getDefaultFormatCodeSettings("\n");
  const edits = service.getFormattingEditsForDocument(name, { ...settings, indentSize: 2, tabSize: 2, convertTabsToSpaces: true });
  let out = text;
  for (const e of [...edits].sort((a, b) => b.span.start - a.span.start)) out = out.slice(0, e.span.start) + e.newText + out.slice(e.span.start + e.span.length);
  return out;
}

describe("emitted code", () => {
  // The emitter lays out its text itself (compile loads no TypeScript); this pins that the layout
  // is what TypeScript's formatter would produce, so a generated module reads like hand-written code.
  it.each(examples)("%s is a fixed point of TypeScript's formatter", (path) => {
    const code = emitted(path);
    expect(tsFormat(code)).toBe(code);
  });

  it("the formatter check has teeth", () => {
    expect(tsFormat("const a   =  [1,2];\nfunction f( ) {\nreturn a }\n")).toBe("const a = [1, 2];\nfunction f() {\n  return a\n}\n");
  });

  it.each(examples)("%s matches its golden file", (path) => {
    const code = emitted(path);
    const golden = `${goldenDir}${path.split("/").pop()!.replace(".mpcrl", ".ts")}`;
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(goldenDir, { recursive: true });
      writeFileSync(golden, code);
    }
    if (!existsSync(golden)) throw new Error(`missing golden ${golden}: run with UPDATE_GOLDEN=1 to create it`);
    expect(code).toBe(readFileSync(golden, "utf8"));
  });

  it("type-checks under tsc --strict with no `any`", () => {
    const files = examples.map((p, i) => {
      const f = `${tmpDir}m${i}.ts`;
      const code = emitted(p);
      expect(code).not.toMatch(/\bany\b/);
      writeFileSync(f, code);
      return f;
    });
    expect(typeErrors(files)).toEqual([]);
  });

  it("computes the same numbers as the in-process controller and plant (Gros & Zanon)", async () => {
    const path = examples[0];
    const f = `${tmpDir}gz.ts`;
    writeFileSync(f, emitted(path));
    const mod = (await import(f)) as {
      createController: () => MpcController;
      createPlant: (o?: { disturbance?: RecordedDisturbance }) => Plant;
      template: MpcController["template"];
    };
    const live = compileToModule(readRepo(path)).module!;
    const a = mod.createController();
    const b = live.createController();
    // identical QP data for random theta
    const dA = new Float64Array(a.currentData().length);
    const dB = new Float64Array(dA.length);
    const rt = new Float64Array(0);
    for (let trial = 0; trial < 5; trial++) {
      const theta = Float64Array.from(a.getTheta(), (v, i) => v + 0.1 * Math.sin(trial * 7 + i));
      mod.template.fill(theta, rt, dA);
      live.template.fill(theta, rt, dB);
      expect(Array.from(dA)).toEqual(Array.from(dB));
      const jA = new Float64Array(mod.template.jacRow.length);
      const jB = new Float64Array(jA.length);
      mod.template.jacValues(theta, rt, jA);
      live.template.jacValues(theta, rt, jB);
      expect(Array.from(jA)).toEqual(Array.from(jB));
    }
    for (const s of [[0, 0.15], [0.3, -0.2]]) {
      expect(a.act(s).u).toEqual(b.act(s).u);
      expect(a.gradQvalue(s, [0.1]).grad).toEqual(b.gradQvalue(s, [0.1]).grad);
    }
    const noise = new RecordedDisturbance([[-0.05, 0], [-0.01, 0], [-0.07, 0]]);
    const pA = mod.createPlant({ disturbance: noise });
    const pB = live.createPlant!({ disturbance: noise });
    expect(pA.reset(1)).toEqual(pB.reset(1));
    for (let t = 0; t < 3; t++) {
      const u = [0.3 * t - 0.2];
      const sa = pA.step(u);
      const sb = pB.step(u);
      expect(sa.observation).toEqual(sb.observation);
      expect(sa.cost).toBe(sb.cost);
      expect(sa.info.violations).toBe(sb.info.violations);
    }
  });

  it("refuses a misspelt or wrongly typed parameter (setParams, paramsToTheta) and keeps the old ones", async () => {
    const f = `${tmpDir}gz_params.ts`;
    writeFileSync(f, emitted(examples[0]));
    const mod = (await import(f)) as {
      createController: () => MpcController & { setParams: (p: object) => void };
      paramsToTheta: (p: object) => Float64Array;
    };
    const c = mod.createController();
    const before = Array.from(c.getTheta());
    expect(() => c.setParams({ Vo: 1 })).toThrow(new TypeError("unknown parameter `Vo`: the learnables are `V0`, `x_lb`, `x_ub`, `b`, `f`, `A`, `B`"));
    expect(() => c.setParams({ V0: null })).toThrow(new TypeError("parameter V0 must be a number, got null"));
    expect(() => c.setParams({ b: "00" })).toThrow(new TypeError("parameter b must be an array of 2 numbers, got string"));
    expect(() => c.setParams({ A: [1, 2] })).toThrow(new TypeError("parameter A must be an array of 2 rows, got object"));
    expect(() => c.setParams({ b: [0, 0, 0] })).toThrow(RangeError);
    expect(Array.from(c.getTheta())).toEqual(before);
    c.setParams({ V0: 0.5, b: Float64Array.from([0.01, -0.02]) });
    expect(Array.from(mod.paramsToTheta({ V0: 0.5, b: [0.01, -0.02] }))).toEqual(Array.from(c.getTheta()));
  });
});

/** Emits past the checker (which now rejects names colliding with Object.prototype members, MPC2021):
 *  the emitter must stay safe on its own, as defense in depth. */
function emitUnchecked(source: string, fileName = "spec.mpcrl"): { code?: string; errors: unknown[] } {
  const low = lowerChecked(check(source).program, source, { fileName });
  const errors = low.diagnostics.filter((d) => d.severity === "error");
  if (low.ir === undefined || errors.length > 0) return { errors };
  return { code: emitModule({ ir: low.ir, plant: low.plant, train: low.train, source, fileName }), errors };
}

describe("hostile names and strings", () => {
  // Names the language accepts as identifiers but that are JS keywords or prototype properties,
  // and a file name carrying code and line terminators.
  const spec = `
controller constructor {
  state __proto__[1]
  input toString[1] in [-1, 1]
  horizon 3
  learnable prototype = 1
  learnable hasOwnProperty[1] = [0.5]
  learnable __defineGetter__ = 0
  dynamics __proto__+ = prototype*__proto__ + hasOwnProperty*toString + __defineGetter__
  minimize stage __proto__'*__proto__ + toString'*toString
}
`;
  const fileName = 'evil*/\u2028");process.exit(7);//\n.mpcrl';

  it("emits an inert module that type-checks and runs", async () => {
    const r = emitUnchecked(spec, fileName);
    expect(r.errors).toEqual([]);
    const code = r.code!;
    expect(code).not.toContain("process.exit(7);//\n");
    expect(code).not.toContain("\u2028");
    const f = `${tmpDir}hostile.ts`;
    writeFileSync(f, code);
    expect(typeErrors([f])).toEqual([]);
    const mod = (await import(f)) as { createController: () => MpcController; defaultParams: Record<string, unknown> };
    expect(Object.keys(mod.defaultParams)).toEqual(["prototype", "hasOwnProperty", "__defineGetter__"]);
    const c = mod.createController();
    const act = c.act([1]);
    expect(act.status).toBe("solved");
    expect(c.getTheta()).toEqual(Float64Array.from([1, 0.5, 0]));
  });

  it("keeps a learnable named __proto__ an own property (not the prototype)", async () => {
    const r = emitUnchecked(`
controller C {
  state x[1]
  input u[1] in [-1, 1]
  horizon 2
  learnable __proto__ = 0.7
  dynamics x+ = __proto__*x + u
  minimize stage x'*x + u'*u
}
`);
    expect(r.code).toContain('["__proto__"]: 0.7');
    const f = `${tmpDir}proto.ts`;
    writeFileSync(f, r.code!);
    expect(typeErrors([f])).toEqual([]);
    const mod = (await import(f)) as { defaultParams: Record<string, unknown>; paramsToTheta: (p: object) => Float64Array };
    expect(Object.getOwnPropertyNames(mod.defaultParams)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(mod.defaultParams)).toBe(Object.prototype);
    expect(Array.from(mod.paramsToTheta({}))).toEqual([0.7]);
  });
});
