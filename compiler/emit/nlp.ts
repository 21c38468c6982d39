// Emits the OcpModel (runtime/nmpc/types.ts) of a nonlinear controller as straight-line TypeScript:
// one function per distinct stage body (stages with identical node lists share it; a table maps
// k to its body), values and Jacobians from compiler/ir/derive.ts, Hessians of w'rows with only
// their nonzero terms. The in-process model (compiler/ocp.ts) evaluates the same nodes, so both
// give identical numbers (compiler/test/nlp.test.ts).

import type { ExprPool } from "../ir/expr.js";
import { hardLower, type NlpIr, type NlpStageIr } from "../ir/nlp.js";
import { rowDerivatives, rowHessians } from "../ir/derive.js";
import { neededNodes } from "../template.js";
import { NodeCode } from "./code.js";
import { commentText, numElem, numLit, specHash, str } from "./safe.js";
import { COMPILER_VERSION, emitParams, emitPlant, trainLiteral } from "../emit.js";
import type { PlantIr } from "../lower/plant.js";
import { trainSpecOf, type TrainConfigIr } from "../lower/train.js";

type Push = (...lines: string[]) => void;

const SIG = "x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array";
const VOIDS = ["  void x;", "  void u;", "  void theta;", "  void rt;"];
const floats = (a: readonly number[]): string => a.map((v) => numElem(v)).join(", ");
/** The OcpModel's states: the declared ones and the carried previous inputs. */
const nxOf = (ir: NlpIr): number => ir.nx + ir.carriedInputs.length;

/** Fewest constant zeros of an output for which it is cleared with one `fill(0, ...)` and only its
 *  other entries are written. Below that every entry is written: a fill is a call into a builtin
 *  (Node 20: about 20 ns for 16 entries, against 3 to 6 ns for 16 plain stores; 35 ns against 76 ns
 *  for 100), so small Jacobians stay plain stores and the zero-dominated Hessians get the fill. */
const FILL_ZEROS = 32;

/** Body of `fn(x, u, theta, rt, out)` writing values and Jacobians of `rows` into out.{names}: an
 *  output with FILL_ZEROS or more constant zeros is cleared first and only its other entries follow
 *  (a large Jacobian of a few affine rows reads as its nonzeros, not as a column of `= 0` lines). */
function rowsFunction(pool: ExprPool, name: string, rows: readonly number[], nx: number, nu: number, nTheta: number, outType: string, names: readonly [string, string, string, string], push: Push): void {
  const d = rowDerivatives(pool, rows, nx, nu, nTheta);
  const code = new NodeCode(pool, { theta: "theta", rt: "rt", x: "x", u: "u" });
  const all = [...d.value, ...d.jx, ...d.ju, ...d.jtheta];
  push(`function ${name}(${SIG}, out: ${outType}): void {`, ...VOIDS);
  push(...code.define(neededNodes({ pool }, all)).map((s) => `  ${s}`));
  const parts = [d.value, d.jx, d.ju, d.jtheta];
  parts.forEach((list, p) => {
    const zeros = list.filter((node) => pool.constValue(node) === 0).length;
    const fill = zeros >= FILL_ZEROS;
    if (fill) push(`  out.${names[p]}.fill(0, 0, ${list.length});`);
    list.forEach((node, i) => {
      if (!fill || pool.constValue(node) !== 0) push(`  out.${names[p]}[${i}] = ${code.ref(node)};`);
    });
  });
  push("}", "");
}

/** Body of `fn(x, u, theta, rt, w, out)`: the Hessian of w'rows (w a vector, or a scalar weight),
 *  nv x nv row-major in out[0, nv^2); with FILL_ZEROS or more zero entries, cleared first and then
 *  only the nonzero entries written, each with its mirror in one assignment. */
function hessianFunction(pool: ExprPool, name: string, rows: readonly number[], nx: number, nu: number, nTheta: number, scalarWeight: boolean, push: Push): void {
  const H = rowHessians(pool, rows, nx, nu, nTheta);
  const nv = nx + nu + nTheta;
  const code = new NodeCode(pool, { theta: "theta", rt: "rt", x: "x", u: "u" });
  push(`function ${name}(${SIG}, w: ${scalarWeight ? "number" : "Float64Array"}, out: Float64Array): void {`, ...VOIDS);
  push(...code.define(neededNodes({ pool }, H.flat())).map((s) => `  ${s}`));
  const entries: { a: number; b: number; terms: string[] }[] = [];
  let zeros = 0;
  for (let a = 0; a < nv; a++) {
    for (let b = a; b < nv; b++) {
      const terms: string[] = [];
      H.forEach((h, i) => {
        const node = h[a * nv + b];
        const c = pool.constValue(node);
        if (c === 0) return;
        const weight = scalarWeight ? "w" : `w[${i}]`;
        terms.push(c === 1 ? weight : `${weight} * ${code.ref(node)}`);
      });
      if (terms.length === 0) zeros += a === b ? 1 : 2;
      entries.push({ a, b, terms });
    }
  }
  const fill = zeros >= FILL_ZEROS;
  if (fill) push(`  out.fill(0, 0, ${nv * nv});`);
  for (const { a, b, terms } of entries) {
    if (fill && terms.length === 0) continue;
    const value = terms.length === 0 ? "0" : terms.join(" + ");
    push(b === a ? `  out[${a * nv + b}] = ${value};` : `  out[${a * nv + b}] = out[${b * nv + a}] = ${value};`);
  }
  push("}", "");
}

/** Distinct lists and the group of every stage. */
function groups(lists: readonly (readonly number[])[]): { readonly bodies: (readonly number[])[]; readonly of: number[] } {
  const keys = new Map<string, number>();
  const bodies: (readonly number[])[] = [];
  const of = lists.map((l) => {
    const key = l.join(",");
    let g = keys.get(key);
    if (g === undefined) {
      g = bodies.length;
      bodies.push(l);
      keys.set(key, g);
    }
    return g;
  });
  return { bodies, of };
}

/** A StageFunction literal over stage lists (one body per distinct list). Returns the field text or undefined. */
function stageFunction(ir: NlpIr, base: string, lists: readonly (readonly number[])[], terminal: boolean, push: Push): string | undefined {
  if (lists.length === 0 || lists[0].length === 0) return undefined;
  const nu = terminal ? 0 : ir.nu;
  const { bodies, of } = groups(lists);
  bodies.forEach((rows, g) => {
    rowsFunction(ir.pool, `${base}${g}`, rows, nxOf(ir), nu, ir.nTheta, "StageOut", ["value", "jx", "ju", "jtheta"], push);
    hessianFunction(ir.pool, `${base}Hessian${g}`, rows, nxOf(ir), nu, ir.nTheta, false, push);
  });
  return dispatch(base, bodies.length, of, lists[0].length, "StageOut", "w: Float64Array", push);
}

function dispatch(base: string, count: number, of: readonly number[], size: number | undefined, outType: string, weight: string, push: Push): string {
  const evalRet = size === undefined ? "number" : "void";
  const ret = size === undefined ? "return " : "";
  if (count > 1) push(`const ${base}Group = Int32Array.from([${of.join(", ")}]);`, "");
  const call = (fn: string, args: string): string[] => {
    if (count === 1) return [`      ${ret}${fn}0(${args});`];
    const lines = [`      switch (${base}Group[k]) {`];
    for (let g = 0; g < count; g++) lines.push(`        case ${g}:`, `          ${ret}${fn}${g}(${args});${size === undefined ? "" : "\n          return;"}`);
    lines.push(`        default:`, `          throw new RangeError(\`stage \${k} is outside the horizon\`);`, "      }");
    return lines;
  };
  const wName = weight.split(":")[0];
  const fields = [
    "{",
    ...(size === undefined ? [] : [`    size: ${size},`]),
    `    eval(k: number, ${SIG}, out: ${outType}): ${evalRet} {`,
    ...(count === 1 ? ["      void k;"] : []),
    ...call(base, "x, u, theta, rt, out"),
    "    },",
    `    hessian(k: number, ${SIG}, ${weight}, out: Float64Array): void {`,
    ...(count === 1 ? ["      void k;"] : []),
    ...call(`${base}Hessian`, `x, u, theta, rt, ${wName}, out`),
    "    },",
    "  }",
  ];
  return fields.join("\n");
}

/** A GeneralCost literal (value and gradient; Hessian times a scalar weight), or undefined when zero. */
function generalCost(ir: NlpIr, base: string, nodes: readonly number[], terminal: boolean, push: Push): string | undefined {
  if (nodes.every((n) => ir.pool.constValue(n) === 0)) return undefined;
  const nu = terminal ? 0 : ir.nu;
  const { bodies, of } = groups(nodes.map((n) => [n]));
  bodies.forEach((rows, g) => {
    const d = rowDerivatives(ir.pool, rows, nxOf(ir), nu, ir.nTheta);
    const code = new NodeCode(ir.pool, { theta: "theta", rt: "rt", x: "x", u: "u" });
    push(`function ${base}${g}(${SIG}, out: GeneralCostOut): number {`, ...VOIDS);
    push(...code.define(neededNodes({ pool: ir.pool }, [...d.value, ...d.jx, ...d.ju, ...d.jtheta])).map((s) => `  ${s}`));
    d.jx.forEach((n, i) => push(`  out.gx[${i}] = ${code.ref(n)};`));
    d.ju.forEach((n, i) => push(`  out.gu[${i}] = ${code.ref(n)};`));
    d.jtheta.forEach((n, i) => push(`  out.gtheta[${i}] = ${code.ref(n)};`));
    push(`  return ${code.ref(d.value[0])};`, "}", "");
    hessianFunction(ir.pool, `${base}Hessian${g}`, rows, nxOf(ir), nu, ir.nTheta, true, push);
  });
  return dispatch(base, bodies.length, of, undefined, "GeneralCostOut", "w: number", push);
}

/** The `ocp` constant (an OcpModel) and its functions; returns the runtime type names it uses. */
export function emitOcpModel(ir: NlpIr, push: Push): string[] {
  const stages = ir.stages;
  // the dynamics of the declared states (the carried previous inputs are the runtime's)
  // (of all states, the carried previous inputs included, when the dynamics read them: an input delay)
  const nxDyn = ir.dynamicsReadsCarried ? nxOf(ir) : ir.nx;
  rowsFunction(ir.pool, "dynamics", ir.dynamics, nxDyn, ir.nu, ir.nTheta, "DynamicsOut", ["f", "fx", "fu", "ftheta"], push);
  hessianFunction(ir.pool, "dynamicsHessian", ir.dynamics, nxDyn, ir.nu, ir.nTheta, false, push);
  const fields: string[] = [];
  const field = (name: string, lit: string | undefined): void => {
    if (lit !== undefined) fields.push(`  ${name}: ${lit},`);
  };
  field("residual", stageFunction(ir, "residual", stages.map((s) => s.residual), false, push));
  field("terminalResidual", stageFunction(ir, "terminalResidual", [ir.terminal.residual], true, push));
  field("general", generalCost(ir, "general", stages.map((s) => s.general), false, push));
  field("terminalGeneral", generalCost(ir, "terminalGeneral", [ir.terminal.general], true, push));
  // hard rows, and the lower bounds of those that are equalities (h = 0 where they apply)
  for (const [name, st, terminal] of [
    ["constraint", stages, false],
    ["terminalConstraint", [ir.terminal], true],
  ] as const) {
    const fn = stageFunction(ir, name, st.map((s) => s.hard), terminal, push);
    field(name, fn);
    if (fn !== undefined && st.some((s) => s.hardEquality.includes(true))) field(`${name}Lower`, `Float64Array.from([${floats(hardLower(st))}])`);
  }
  const soft = stageFunction(ir, "softConstraint", stages.map((s) => s.soft), false, push);
  // a SoftConstraint literal, one member per line (the layout TypeScript's formatter keeps); `weight`:
  // the learnable quadratic penalty weights (compiler/ir/nlp.ts softWeight)
  const softField = (name: string, fn: string, l1: readonly number[], l2: readonly number[], weight: string | undefined): string =>
    [
      `  ${name}: {`,
      `    fn: ${fn.replace(/\n/g, "\n  ")},`,
      `    l1: Float64Array.from([${floats(l1)}]),`,
      `    l2: Float64Array.from([${floats(l2)}]),`,
      ...(weight !== undefined ? [`    weight: ${weight.replace(/\n/g, "\n  ")},`] : []),
      "  },",
    ].join("\n");
  const softWeight = stages.length > 0 && stages[0].softWeight !== undefined ? stageFunction(ir, "softWeight", stages.map((s) => s.softWeight ?? []), false, push) : undefined;
  if (soft !== undefined) fields.push(softField("softConstraint", soft, ir.softL1, ir.softL2, softWeight));
  const terminalSoft = stageFunction(ir, "terminalSoftConstraint", [ir.terminal.soft], true, push);
  const terminalSoftWeight = ir.terminal.softWeight !== undefined ? stageFunction(ir, "terminalSoftWeight", [ir.terminal.softWeight], true, push) : undefined;
  if (terminalSoft !== undefined) fields.push(softField("terminalSoftConstraint", terminalSoft, ir.terminalSoftL1, ir.terminalSoftL2, terminalSoftWeight));
  if (ir.carriedInputs.length > 0) fields.push(`  carriedInputs: Int32Array.from([${ir.carriedInputs.join(", ")}]),`);
  if (ir.dynamicsReadsCarried) fields.push("  dynamicsReadsCarried: true,");
  const integ = ir.integrator.kind === "discrete" ? `{ kind: "discrete" }` : `{ kind: "${ir.integrator.kind}", dt: ${numLit(ir.integrator.dt)}, substeps: ${ir.integrator.substeps} }`;
  push("/** The optimal control problem of this controller (runtime/nmpc/types.ts). */");
  push("export const ocp: OcpModel = {");
  push(`  nx: ${nxOf(ir)},`, `  nu: ${ir.nu},`, `  N: ${ir.horizon},`, `  nTheta: ${ir.nTheta},`, `  nRuntime: ${ir.nRuntime},`);
  push("  dynamics,", "  dynamicsHessian,", `  integrator: ${integ},`);
  push(`  xLower: Float64Array.from([${floats(ir.xLower)}]),`, `  xUpper: Float64Array.from([${floats(ir.xUpper)}]),`);
  push(`  uLower: Float64Array.from([${floats(ir.uLower)}]),`, `  uUpper: Float64Array.from([${floats(ir.uUpper)}]),`);
  push(...fields, "};", "");
  const types = ["type OcpModel", "type DynamicsOut"];
  if (fields.some((f) => /^ {2}(residual|terminalResidual|constraint|terminalConstraint|softConstraint|terminalSoftConstraint):/.test(f))) types.push("type StageOut");
  if (fields.some((f) => /^ {2}(general|terminalGeneral):/.test(f))) types.push("type GeneralCostOut");
  return types;
}

export interface NlpEmitInput {
  readonly nlp: NlpIr;
  readonly plant?: PlantIr;
  readonly train?: TrainConfigIr;
  readonly source: string;
  readonly fileName: string;
}

/** The module of a nonlinear controller: parameters, the OcpModel, `nlpTemplate`, the Controller
 *  (runtime NonlinearMpc), the plant and the training configuration, as for a linear one. */
export function emitNlpModule(input: NlpEmitInput): string {
  const { nlp: ir, plant, train } = input;
  const out: string[] = [];
  const push: Push = (...lines) => void out.push(...lines);
  const body: string[] = [];
  const pushBody: Push = (...lines) => void body.push(...lines);
  const types = emitOcpModel(ir, pushBody);
  const uses = new Set(["NonlinearMpc", "type NonlinearMpcOptions", "type NlpTemplate", ...types]);
  if (plant) ["FunctionPlant", "RandomDisturbance", "type DisturbanceSource", "type Distribution"].forEach((u) => uses.add(u));
  uses.add("type TrainSpec");
  const integ = ir.integrator.kind === "discrete" ? "discrete dynamics" : `${ir.integrator.kind} x${ir.integrator.substeps} over ${numLit(ir.integrator.dt)}`;
  push(
    `// Generated by the mpcrl compiler ${COMPILER_VERSION} from ${commentText(input.fileName)} (controller ${commentText(ir.name)}). Do not edit.`,
    `// Spec hash (FNV-1a 64): ${specHash(input.source)}`,
    `// Nonlinear MPC (${ir.method === "sqp" ? "SQP" : "real-time iteration"}, ${ir.hessian === "exact" ? "exact" : "Gauss-Newton"} Hessian): ${ir.nx} states${ir.carriedInputs.length > 0 ? ` (+ ${ir.carriedInputs.length} carried previous inputs)` : ""}, ${ir.nu} inputs, horizon ${ir.horizon}, ${integ}.`,
    "",
    `import { ${[...uses].join(", ")} } from "mpcrl/runtime";`,
    "",
  );
  emitParams(ir, input, push);
  push(...body);
  const theta0 = new Array<number>(ir.nTheta).fill(0);
  for (const p of ir.params) p.initial.forEach((v, i) => (theta0[p.offset + i] = v));
  push("/** The controller's problem and declarations (runtime/nmpc/learnable.ts). */");
  push("export const nlpTemplate: NlpTemplate = {");
  push(`  name: ${str(ir.name)},`, "  model: ocp,", `  discount: ${numLit(ir.discount)},`, `  method: ${str(ir.method)},`, `  hessian: ${str(ir.hessian)},`);
  if (ir.maxIterations !== undefined) push(`  maxIterations: ${ir.maxIterations},`);
  if (ir.tolerance !== undefined) push(`  tolerance: ${numLit(ir.tolerance)},`);
  push("  params: [");
  for (const p of ir.params) {
    push(
      `    { name: ${str(p.name)}, rows: ${p.rows}, cols: ${p.cols}, offset: ${p.offset}, size: ${p.size}, structure: ${str(p.structure)}, lower: paramBounds.lower.slice(${p.offset}, ${p.offset + p.size}), upper: paramBounds.upper.slice(${p.offset}, ${p.offset + p.size}) },`,
    );
  }
  push("  ],", `  theta0: Float64Array.from([${floats(theta0)}]),`, "  runtime: [");
  for (const r of ir.runtime) {
    const range = r.lower !== undefined && r.upper !== undefined ? `, lower: Float64Array.from([${floats(r.lower)}]), upper: Float64Array.from([${floats(r.upper)}])` : "";
    const prev = r.previousInput !== undefined ? `, previousInput: ${r.previousInput}` : "";
    push(`    { name: ${str(r.name)}, size: ${r.size}, offset: ${r.offset}, defaultValue: Float64Array.from([${floats(r.defaultValue)}])${range}${prev} },`);
  }
  push("  ],", "};", "");
  push("/** The controller: the runtime NonlinearMpc over this problem, with typed parameters. */");
  push("export class Controller extends NonlinearMpc {");
  push("  constructor(params: Partial<Params> = {}, options: NonlinearMpcOptions = {}) {");
  push("    super(nlpTemplate, { ...options, theta: paramsToTheta(params) });");
  push("  }", "  setParams(params: Partial<Params>): void {", "    this.setTheta(paramsToTheta({ ...this.getParams(), ...params }));", "  }");
  push("  getParams(): Params {", "    return thetaToParams(this.getTheta());", "  }", "}", "");
  push("export function createController(params: Partial<Params> = {}, options: NonlinearMpcOptions = {}): Controller {");
  push("  return new Controller(params, options);", "}", "");
  if (plant) emitPlant(plant, input, push);
  push("/** The training settings: the `train` block interpreted over the defaults, exactly as `mpcrl train` uses them. */");
  push(`export const trainConfig: TrainSpec = ${trainLiteral(trainSpecOf(train, plant))};`, "");
  return out.join("\n");
}
