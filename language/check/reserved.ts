// Names a declaration may not take (part of pass 2, after resolution so that a rename can cover
// every reference):
//   MPC2018  a declaration (const, param, state, input, runtime, disturbance, learnable, let, block
//            name, `for` index) named like a built-in: `N`, `k`, `I`, `inf` or a built-in function.
//            The checker would read the declaration, the compiler the built-in (the horizon, the
//            stage index), so such a spec has two meanings.
//   MPC2019  a `for j in a..b` index named like a declaration in scope: inside the constraint the
//            name would mean the stage, elsewhere the declaration.
//   MPC2020  a runtime value or disturbance named `prev_<input>`: the compiler gives `prev(<input>)`
//            at stage 0 a runtime slot of that name, and the two would share it.
//   MPC2021  a learnable, runtime value or disturbance named like a member of `Object.prototype`
//            (`constructor`, `toString`, `__proto__`, ...): these names become property keys of
//            the parameter and runtime-value objects of the generated controller, where a lookup of
//            a missing key would find the prototype's member.

import type { Diagnostic, Span } from "../diagnostics.js";
import { BUILTIN_FUNCTIONS, BUILTIN_NAMES } from "./builtins.js";
import { Ctx, Sym } from "./context.js";

const BUILTIN_MEANING = new Map<string, string>([
  ["N", "the horizon of the enclosing controller"],
  ["k", "the stage index"],
  ["I", "the identity matrix"],
  ["inf", "infinity"],
]);

/** Every name a declaration may not take, with what it means. */
const RESERVED = new Map<string, string>([
  ...BUILTIN_NAMES.map((b): [string, string] => [b.name, BUILTIN_MEANING.get(b.name) ?? "a built-in name"]),
  ...BUILTIN_FUNCTIONS.filter((f) => !BUILTIN_MEANING.has(f.name)).map((f): [string, string] => [f.name, `the built-in function \`${f.name}(...)\``]),
]);

/** Members of `Object.prototype` (own property names), which a plain object lookup would find. */
const PROTOTYPE_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));

const KEY_KINDS = new Set(["learnable", "runtime", "disturbance"]);

/** The prefix of the runtime slot the compiler creates for `prev(u)` at stage 0 (compiler/lower/controller.ts). */
export const PREV_SLOT_PREFIX = "prev_";

export function isReservedName(name: string): boolean {
  return RESERVED.has(name);
}

function spanBetween(a: Span, b: Span): Span {
  return { start: a.start, end: b.end, startLine: a.startLine, startColumn: a.startColumn, endLine: b.endLine, endColumn: b.endColumn };
}

/** Every name declared anywhere (to pick a new name that is free). */
function takenNames(ctx: Ctx): Set<string> {
  const taken = new Set<string>(RESERVED.keys());
  for (const s of ctx.allSymbols) taken.add(s.name);
  for (const s of ctx.stageSyms) taken.add(s.name);
  return taken;
}

function freshName(base: string, taken: Set<string>, suffix = "_"): string {
  const first = `${base}${suffix}`;
  if (!taken.has(first)) return first;
  for (let i = 2; ; i++) {
    const c = `${first}${i}`;
    if (!taken.has(c)) return c;
  }
}

/**
 * One edit renaming a symbol: its declaration and every reference. A single edit (the text between
 * the first and the last occurrence, with each occurrence replaced), so that the quick fix renames
 * all of them at once and the meaning of every use is kept.
 */
function renameEdit(ctx: Ctx, sym: Sym, newName: string): Diagnostic["edits"] {
  if (!sym.nameSpan) return undefined;
  const seen = new Set<number>();
  const spans = [sym.nameSpan, ...sym.refs]
    .filter((s) => s.end - s.start === sym.name.length && ctx.text.slice(s.start, s.end) === sym.name)
    .sort((a, b) => a.start - b.start)
    .filter((s) => (seen.has(s.start) ? false : (seen.add(s.start), true)));
  if (spans.length === 0) return undefined;
  const first = spans[0];
  const last = spans[spans.length - 1];
  let text = "";
  let at = first.start;
  for (const s of spans) {
    text += ctx.text.slice(at, s.start) + newName;
    at = s.end;
  }
  const uses = spans.length - 1;
  return [
    {
      span: spanBetween(first, last),
      newText: text,
      title: uses === 0 ? `rename to \`${newName}\`` : `rename to \`${newName}\` (and its ${uses} use${uses === 1 ? "" : "s"})`,
    },
  ];
}

const KIND_WORDS: Partial<Record<Sym["kind"], string>> = {
  "stage-index": "stage index",
  controller: "controller block",
  plant: "plant block",
  const: "constant",
  param: "parameter",
  learnable: "learnable parameter",
  runtime: "runtime value",
  disturbance: "disturbance",
  let: "named expression",
};

function what(sym: Sym): string {
  return KIND_WORDS[sym.kind] ?? sym.kind;
}

function checkBuiltinShadowing(ctx: Ctx, sym: Sym, taken: Set<string>): boolean {
  const meaning = RESERVED.get(sym.name);
  if (meaning === undefined || !sym.nameSpan) return false;
  if (sym.kind === "stage-index" && sym.name === "k") return false; // `for k in a..b` binds the stage index itself
  const newName = freshName(sym.name, taken);
  const notes: string[] = [];
  if (sym.name === "N") notes.push("the horizon is set with `horizon 10` in the controller; `N` then reads it");
  else if (sym.name === "k") notes.push("`k` is defined in stage cost terms, constraints, penalty weights and `let`s; `for j in a..b` binds another name");
  ctx.report({
    severity: "error",
    code: "MPC2018",
    message: `the ${what(sym)} \`${sym.name}\` has the name of a built-in`,
    span: sym.nameSpan,
    label: `\`${sym.name}\` is ${meaning}`,
    notes: notes.length > 0 ? notes : undefined,
    help: `rename it, e.g. \`${newName}\``,
    edits: renameEdit(ctx, sym, newName),
  });
  return true;
}

function checkStageIndex(ctx: Ctx, sym: Sym, taken: Set<string>): void {
  if (!sym.nameSpan || sym.scope === undefined) return;
  const block = ctx.blockByName(sym.scope);
  if (!block) return;
  const hidden = ctx.lookup(block, sym.name);
  if (!hidden || hidden.kind === "controller" || hidden.kind === "plant" || RESERVED.has(hidden.name)) return;
  const newName = sym.name === "j" || taken.has("j") ? freshName(sym.name, taken) : "j";
  const kind = what(hidden);
  ctx.report({
    severity: "error",
    code: "MPC2019",
    message: `the stage index \`${sym.name}\` has the name of ${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind} in scope`,
    span: sym.nameSpan,
    label: `inside this constraint \`${sym.name}\` would mean the stage, not the ${kind}`,
    related: hidden.nameSpan ? [{ span: hidden.nameSpan, label: `the ${kind} \`${sym.name}\`` }] : undefined,
    help: `name the stage index differently, e.g. \`for ${newName} in ...\` (or \`for k in ...\`)`,
    edits: renameEdit(ctx, sym, newName),
  });
}

function checkPrevSlot(ctx: Ctx, sym: Sym, taken: Set<string>): void {
  if (sym.blockKind !== "controller" || (sym.kind !== "runtime" && sym.kind !== "disturbance") || !sym.nameSpan) return;
  if (!sym.name.startsWith(PREV_SLOT_PREFIX) || sym.scope === undefined) return;
  const block = ctx.blockByName(sym.scope);
  const input = block?.symbols.get(sym.name.slice(PREV_SLOT_PREFIX.length));
  if (!input || input.kind !== "input") return;
  const newName = freshName(`last_${input.name}`, taken, "");
  ctx.report({
    severity: "error",
    code: "MPC2020",
    message: `the ${what(sym)} \`${sym.name}\` has the name of the runtime slot of \`prev(${input.name})\``,
    span: sym.nameSpan,
    label: `\`prev(${input.name})\` at stage 0 is a runtime value named \`${sym.name}\``,
    related: input.nameSpan ? [{ span: input.nameSpan, label: `the input \`${input.name}\`` }] : undefined,
    help: `write \`prev(${input.name})\` for the previously applied input, or rename this one, e.g. \`${newName}\``,
    edits: renameEdit(ctx, sym, newName),
  });
}

function checkPrototypeMember(ctx: Ctx, sym: Sym, taken: Set<string>): void {
  if (!KEY_KINDS.has(sym.kind) || !PROTOTYPE_MEMBERS.has(sym.name) || !sym.nameSpan) return;
  const newName = freshName(sym.name.replace(/^_+|_+$/g, "") || "value", taken);
  ctx.report({
    severity: "error",
    code: "MPC2021",
    message: `the ${what(sym)} \`${sym.name}\` has the name of a member of \`Object.prototype\``,
    span: sym.nameSpan,
    label: "reserved in the generated controller",
    notes: [`${sym.kind === "learnable" ? "parameters" : "runtime values"} are passed to the controller as an object keyed by name, where \`${sym.name}\` is inherited by every object`],
    help: `rename it, e.g. \`${newName}\``,
    edits: renameEdit(ctx, sym, newName),
  });
}

/** MPC2018-MPC2021 for every declaration and `for` index. */
export function checkDeclaredNames(ctx: Ctx): void {
  const taken = takenNames(ctx);
  for (const sym of ctx.allSymbols) {
    if (checkBuiltinShadowing(ctx, sym, taken)) continue;
    checkPrevSlot(ctx, sym, taken);
    checkPrototypeMember(ctx, sym, taken);
  }
  for (const sym of ctx.stageSyms) {
    if (checkBuiltinShadowing(ctx, sym, taken)) continue;
    checkStageIndex(ctx, sym, taken);
  }
}
