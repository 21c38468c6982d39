// Pass 2: name resolution. Resolves every NameRef of every expression root (block scope, then the
// top level, then the built-ins `N`, `k`, `I`, `inf`), checks calls of built-in functions (unknown
// function, arity, named arguments, where they may be used), the targets of dynamics and the block
// names of `train`, the names declarations may not take (reserved.ts), and what a statement reads
// that is not defined where the compiler evaluates it (`checkStageUses`: a let outside every stage;
// `k`, a disturbance or `prev` in dynamics evaluated once). Codes MPC2001, MPC2004-MPC2012,
// MPC2017-MPC2021.

import { children, type CallExpr, type ControllerBlock, type Expr, type Identifier, type NameRef } from "../ast.js";
import type { Diagnostic, Span } from "../diagnostics.js";
import { BUILTIN_FUNCTIONS, builtinFunction, signatureText } from "./builtins.js";
import { Ctx, Sym, type BlockScope, type Root } from "./context.js";
import { mostSimilar } from "./similar.js";
import { horizonOf } from "./const_eval.js";
import { checkDeclaredNames } from "./reserved.js";
import { dynamicsEvaluatedOnce, stageDependence } from "./stages.js";

export const article = (word: string): string => (/^[aeiou]/.test(word) ? "an" : "a");

/** Roles where a bare `k` is the stage index: per-stage statements, and the dynamics (evaluated at
 *  each stage k = 0..N-1 in a linear `x+ = ...`, `using euler|rk4`; where the compiler evaluates
 *  them once, `checkStageUses` reports `k` as it does `k` through a let, MPC2012). */
const STAGE_ROLES = new Set(["cost-stage", "constraint", "penalty", "let", "dynamics"]);

function visibleNames(ctx: Ctx, block: BlockScope, root: Root): string[] {
  const names = [...block.symbols.keys()];
  if (block !== ctx.top) names.push(...[...ctx.top.symbols.values()].filter((s) => s.kind === "const").map((s) => s.name));
  if (block.kind === "controller") names.push("N");
  if (root.stageIndex) names.push(root.stageIndex.name);
  names.push("I");
  return names;
}

function undefinedName(ctx: Ctx, span: Span, name: string, candidates: string[], what = "name"): void {
  const suggestion = mostSimilar(name, candidates);
  ctx.report({
    severity: "error",
    code: "MPC2001",
    message: `unknown ${what} \`${name}\``,
    span,
    label: "not declared",
    help: suggestion ? `a name with a similar spelling exists: \`${suggestion}\`` : undefined,
    edits: suggestion ? [{ span, newText: suggestion, title: `replace with \`${suggestion}\`` }] : undefined,
  });
}

function notHere(ctx: Ctx, span: Span, message: string, help?: string, notes?: string[]): void {
  ctx.report({ severity: "error", code: "MPC2012", message, span, label: "not allowed here", help, notes });
}

function use(ctx: Ctx, node: NameRef | Identifier, sym: Sym): void {
  ctx.resolution.set(node.id, sym);
  sym.used = true;
  sym.refs.push(node.span);
}

function resolveName(ctx: Ctx, ref: NameRef, root: Root): void {
  const block = root.block;
  const name = ref.name;
  if (root.stageIndex && name === root.stageIndex.name) {
    use(ctx, ref, root.stageIndex);
    return;
  }
  const sym = ctx.lookup(block, name);
  if (sym) {
    if (sym.kind === "controller" || sym.kind === "plant") {
      notHere(ctx, ref.span, `\`${name}\` is a ${sym.kind} block, not a value`);
      ctx.resolution.set(ref.id, sym);
      sym.refs.push(ref.span);
      return;
    }
    use(ctx, ref, sym);
    return;
  }
  switch (name) {
    case "N":
      if (block.kind === "controller") use(ctx, ref, ctx.builtin(block, "N", "builtin"));
      else notHere(ctx, ref.span, "the horizon `N` is only defined inside a controller block");
      return;
    case "I":
    case "inf":
      use(ctx, ref, ctx.builtin(block, name, "builtin"));
      return;
    case "k":
      if (block.kind === "controller" && !STAGE_ROLES.has(root.role) && root.role !== "range") {
        notHere(
          ctx,
          ref.span,
          "the stage index `k` is not defined here",
          "`k` is defined in stage cost terms, constraints, penalty weights and dynamics, or bound by `for k in a..b`",
        );
        return;
      }
      if (block.kind !== "controller") {
        notHere(ctx, ref.span, "the stage index `k` is only defined inside a controller block");
        return;
      }
      // In a stage role without an explicit index (e.g. in a let): the block's `k`.
      use(ctx, ref, ctx.builtin(block, "k", "stage-index"));
      return;
  }
  if (builtinFunction(name) && name !== "I") {
    notHere(ctx, ref.span, `\`${name}\` is a function; call it with arguments: \`${signatureText(builtinFunction(name)!)}\``);
    return;
  }
  undefinedName(ctx, ref.span, name, visibleNames(ctx, block, root));
}

function checkCall(ctx: Ctx, call: CallExpr, root: Root): void {
  const name = call.callee.name;
  const f = builtinFunction(name);
  if (!f) {
    const user = ctx.lookup(root.block, name);
    if (user) {
      ctx.report({
        severity: "error",
        code: "MPC2005",
        message: `\`${name}\` is ${article(user.kind)} ${user.kind}, not a function`,
        span: call.callee.span,
        label: "called here",
        help: "index with square brackets: `x[0]`, `M[0, 1]`",
      });
      return;
    }
    // The edit renames the call only to a function that takes this many arguments and may be
    // called here (a plant-only sampler outside a plant, `der` on the right, would be new errors);
    // a similar name that does not fit is still named in the help.
    const n = call.args.length;
    const fits = (b: (typeof BUILTIN_FUNCTIONS)[number]): boolean =>
      n >= b.minArgs && n <= b.params.length && (b.place === "anywhere" || (b.place === "plant" && root.block.kind === "plant"));
    const suggestion = mostSimilar(name, BUILTIN_FUNCTIONS.filter(fits).map((b) => b.name)) ?? mostSimilar(name, BUILTIN_FUNCTIONS.map((b) => b.name));
    const fix = suggestion !== undefined && fits(builtinFunction(suggestion)!);
    ctx.report({
      severity: "error",
      code: "MPC2005",
      message: `unknown function \`${name}\``,
      span: call.callee.span,
      label: "not a built-in function",
      help: suggestion ? `a function with a similar name exists: \`${signatureText(builtinFunction(suggestion)!)}\`` : "see docs/language.md for the built-in functions",
      edits: fix ? [{ span: call.callee.span, newText: suggestion, title: `replace with \`${suggestion}\`` }] : undefined,
    });
    return;
  }
  const n = call.args.length;
  const max = f.params.length;
  if (n < f.minArgs || n > max) {
    const expected = f.minArgs === max ? `${max}` : `${f.minArgs} to ${max}`;
    ctx.report({
      severity: "error",
      code: "MPC2006",
      message: `\`${name}\` takes ${expected} argument${max === 1 ? "" : "s"} but ${n} ${n === 1 ? "was" : "were"} given`,
      span: n > max ? call.args[max].span : call.span,
      label: n > max ? "unexpected argument" : "missing arguments",
      help: `the signature is \`${signatureText(f)}\``,
    });
  }
  let positional = true;
  call.args.forEach((a, i) => {
    if (!a.name) {
      if (!positional) {
        ctx.report({
          severity: "error",
          code: "MPC2007",
          message: "a positional argument cannot follow a named argument",
          span: a.span,
          help: `the signature is \`${signatureText(f)}\``,
        });
      }
      return;
    }
    positional = false;
    const pi = f.params.findIndex((p) => p.name === a.name!.name);
    if (pi < 0) {
      // Named arguments come in the order of the signature: only the parameter at this position
      // is a fix (another one would be out of order, or given twice).
      const suggestion = mostSimilar(a.name.name, f.params[i] ? [f.params[i].name] : []);
      ctx.report({
        severity: "error",
        code: "MPC2007",
        message: `\`${name}\` has no argument named \`${a.name.name}\``,
        span: a.name.span,
        label: "unknown argument name",
        help: suggestion ? `did you mean \`${suggestion}\`? the signature is \`${signatureText(f)}\`` : `the signature is \`${signatureText(f)}\``,
        edits: suggestion ? [{ span: a.name.span, newText: suggestion, title: `replace with \`${suggestion}\`` }] : undefined,
      });
    } else if (pi !== i) {
      ctx.report({
        severity: "error",
        code: "MPC2007",
        message: `argument \`${a.name.name}\` is given out of order`,
        span: a.name.span,
        help: `the signature is \`${signatureText(f)}\`; give the arguments in this order`,
      });
    }
  });
  const block = root.block;
  if (f.place === "plant" && block.kind !== "plant") {
    notHere(
      ctx,
      call.callee.span,
      `random sampling \`${name}(...)\` is only allowed in a plant block`,
      "the controller must be deterministic: declare a `disturbance` or a `runtime` parameter and sample it in the plant",
    );
  }
  if (f.place === "dynamics-lhs") {
    notHere(ctx, call.callee.span, "`der(x)` is only allowed on the left of continuous dynamics", "write `dynamics der(x) = ... using zoh`");
  }
  if (name === "prev") {
    if (block.kind === "top" || root.role === "init" || root.role === "dim" || root.role === "bound") {
      notHere(ctx, call.callee.span, "`prev(u)` is only defined in dynamics, costs and constraints of a controller or plant");
    }
    const arg = call.args[0]?.value;
    const target = arg && arg.kind === "Name" ? ctx.lookup(block, arg.name) : undefined;
    if (arg && arg.kind !== "ErrorExpr" && (!target || target.kind !== "input")) {
      if (arg.kind !== "Name" || target) {
        ctx.report({
          severity: "error",
          code: "MPC2017",
          message: "`prev` takes an input of the block",
          span: arg.span,
          label: target ? `\`${arg.kind === "Name" ? arg.name : ""}\` is ${article(target.kind)} ${target.kind}` : "not an input",
          help: "write `prev(u)` with an input `u`; index the result if needed: `prev(u)[0]`",
        });
      }
    }
  }
}

function visit(ctx: Ctx, e: Expr, root: Root): void {
  ctx.exprBlock.set(e.id, root.block);
  switch (e.kind) {
    case "Name":
      resolveName(ctx, e, root);
      return;
    case "Number":
    case "ErrorExpr":
      return;
    case "Array":
      for (const row of e.rows) for (const x of row) visit(ctx, x, root);
      return;
    case "Unary":
    case "Transpose":
      visit(ctx, e.operand, root);
      return;
    case "Paren":
      visit(ctx, e.inner, root);
      return;
    case "Binary":
      visit(ctx, e.left, root);
      visit(ctx, e.right, root);
      return;
    case "Index":
      visit(ctx, e.target, root);
      for (const ix of e.indices) {
        if (ix.kind === "At") visit(ctx, ix.index, root);
        else {
          if (ix.start) visit(ctx, ix.start, root);
          if (ix.end) visit(ctx, ix.end, root);
        }
      }
      return;
    case "Call":
      checkCall(ctx, e, root);
      for (const a of e.args) visit(ctx, a.value, root);
      return;
  }
}

/** Train-block settings: bare words are keywords (checked by train.ts); names of top-level consts resolve. */
function visitTrainArg(ctx: Ctx, e: Expr, root: Root): void {
  ctx.exprBlock.set(e.id, root.block);
  if (e.kind === "Name") {
    const sym = ctx.top.symbols.get(e.name);
    if (sym && sym.kind === "const") use(ctx, e, sym);
    return;
  }
  if (e.kind === "Call") {
    for (const a of e.args) visitTrainArg(ctx, a.value, root);
    return;
  }
  if (e.kind === "Number" || e.kind === "ErrorExpr") return;
  visit(ctx, e, { ...root, block: ctx.top });
}

function checkDynamicsTargets(ctx: Ctx): void {
  for (const block of ctx.blocks) {
    if (block.kind !== "controller" && block.kind !== "plant") continue;
    const node = block.node;
    if (node.kind !== "Controller" && node.kind !== "Plant") continue;
    const seen = new Map<Sym, Span>();
    for (const item of node.items) {
      if (item.kind !== "Dynamics") continue;
      const t = item.target;
      const sym = block.symbols.get(t.name) ?? ctx.top.symbols.get(t.name);
      if (!sym) {
        undefinedName(
          ctx,
          t.span,
          t.name,
          [...block.symbols.values()].filter((s) => s.kind === "state").map((s) => s.name),
          "state",
        );
        continue;
      }
      ctx.resolution.set(t.id, sym);
      sym.refs.push(t.span);
      if (sym.kind !== "state") {
        ctx.report({
          severity: "error",
          code: "MPC2009",
          message: `dynamics given for \`${t.name}\`, which is ${article(sym.kind)} ${sym.kind}, not a state`,
          span: t.span,
          label: "not a state",
          related: sym.nameSpan ? [{ span: sym.nameSpan, label: `declared as ${article(sym.kind)} ${sym.kind} here` }] : undefined,
          help: `declare it with \`state ${t.name}\` if it evolves over time`,
        });
        continue;
      }
      const prior = seen.get(sym);
      if (prior) {
        ctx.report({
          severity: "error",
          code: "MPC2011",
          message: `the state \`${t.name}\` has two dynamics equations`,
          span: t.span,
          label: "second equation",
          related: [{ span: prior, label: "first equation" }],
          help: "keep one equation per state",
        });
      } else seen.set(sym, t.span);
    }
    if (blockHasSyntaxErrors(block)) continue; // the dynamics may be the item that did not parse
    for (const sym of block.symbols.values()) {
      if (sym.kind === "state" && !seen.has(sym) && sym.nameSpan) {
        ctx.report({
          severity: "error",
          code: "MPC2008",
          message: `the state \`${sym.name}\` has no dynamics`,
          span: sym.nameSpan,
          label: "declared here",
          help: `add \`dynamics ${sym.name}+ = ...\` (or \`dynamics der(${sym.name}) = ... using zoh\`), or declare it as a \`runtime\` parameter if it is measured`,
        });
      }
    }
  }
}

function checkTrainNames(ctx: Ctx): void {
  for (const item of ctx.program.items) {
    if (item.kind !== "Train") continue;
    const pairs: [Identifier, "controller" | "plant"][] = [
      [item.controller, "controller"],
      [item.plant, "plant"],
    ];
    for (const [id, want] of pairs) {
      if (!id.name) continue;
      const sym = ctx.top.symbols.get(id.name);
      if (sym && sym.kind === want) {
        ctx.resolution.set(id.id, sym);
        sym.used = true;
        sym.refs.push(id.span);
        continue;
      }
      const candidates = [...ctx.top.symbols.values()].filter((s) => s.kind === want).map((s) => s.name);
      const suggestion = mostSimilar(id.name, candidates);
      ctx.report({
        severity: "error",
        code: "MPC2010",
        message: sym ? `\`${id.name}\` is ${article(sym.kind)} ${sym.kind}, not a ${want}` : `\`train\` names a ${want} \`${id.name}\` that does not exist`,
        span: id.span,
        label: `expected a ${want}`,
        related: sym?.nameSpan ? [{ span: sym.nameSpan, label: `\`${id.name}\` is declared here` }] : undefined,
        help: suggestion
          ? `a ${want} with a similar name exists: \`${suggestion}\``
          : candidates.length > 0
            ? `the ${want}s in this file: ${candidates.map((c) => `\`${c}\``).join(", ")}`
            : `declare \`${want} ${id.name} { ... }\``,
        edits: suggestion ? [{ span: id.span, newText: suggestion, title: `replace with \`${suggestion}\`` }] : undefined,
      });
    }
  }
}

/** The controller or plant block of a symbol had a syntax error: an item may be missing or partial. */
export function inBrokenBlock(ctx: Ctx, sym: Sym): boolean {
  if (sym.blockKind !== "controller" && sym.blockKind !== "plant") return false;
  const block = sym.scope === undefined ? undefined : ctx.blockByName(sym.scope);
  return block !== undefined && blockHasSyntaxErrors(block);
}

export function blockHasSyntaxErrors(block: BlockScope): boolean {
  const node = block.node;
  return (node.kind === "Controller" || node.kind === "Plant") && node.hasSyntaxErrors === true;
}

function reportUnusedLearnables(ctx: Ctx): void {
  for (const sym of ctx.allSymbols) {
    // a skipped or partial item may have been the use: say nothing until the syntax is fixed
    if (sym.kind === "learnable" && !sym.used && sym.nameSpan && !inBrokenBlock(ctx, sym)) {
      ctx.report({
        severity: "warning",
        code: "MPC2004",
        message: `the learnable parameter \`${sym.name}\` is never used`,
        span: sym.nameSpan,
        label: "declared here, never used",
        help: "use it in the model, cost or constraints, or remove it: an unused parameter has zero gradient",
        tags: ["unnecessary"],
      });
    }
  }
}

export function resolveNames(ctx: Ctx): void {
  for (const root of ctx.roots) {
    if (root.role === "train") visitTrainArg(ctx, root.expr, root);
    else visit(ctx, root.expr, root);
  }
  checkStageUses(ctx);
  checkDynamicsTargets(ctx);
  checkTrainNames(ctx);
  checkDeclaredNames(ctx);
  reportUnusedLearnables(ctx);
}

/** Roles of a controller evaluated once, outside every stage: the compiler evaluates them in the
 *  block's scope, where a `let` (an expression evaluated per stage) has no value. */
const NO_STAGE_ROLES = new Set(["dim", "init", "bound", "setting", "range"]);

/** The Names of an expression that refer to a `let` (not entering the lets' definitions). */
function letUses(ctx: Ctx, e: Expr, out: { ref: NameRef; sym: Sym }[] = []): { ref: NameRef; sym: Sym }[] {
  if (e.kind === "Name") {
    const sym = ctx.resolution.get(e.id);
    if (sym?.kind === "let" && sym.decl?.kind === "Let") out.push({ ref: e, sym });
    return out;
  }
  for (const c of children(e)) letUses(ctx, c, out);
  return out;
}

/**
 * MPC2012 for what is not defined where a controller's statement is evaluated (the rule of `k` in
 * `resolveName`, carried through lets, whose value is taken at the stage of each use):
 * - a `let` in a dimension, a declaration's value or bounds, a setting or a stage range: these are
 *   evaluated once, outside every stage, where a let has no value (the compiler refused it as an
 *   unsupported construct; with `k` inside it could not even be folded);
 * - in dynamics the compiler evaluates once for every stage (stages.ts, `dynamicsEvaluatedOnce`: a
 *   nonlinear MPC's model f(x, u), a linear `using zoh`), what differs between stages: `k` (itself or
 *   through a let), a disturbance (a forecast per stage), and under zoh `prev(u)`. These were
 *   accepted and silently taken at stage 0 for every stage. Dynamics a linear controller evaluates
 *   per stage (`x+ = ...`, `using euler|rk4`) may use them, `k` itself as well as through lets.
 */
function checkStageUses(ctx: Ctx): void {
  for (const root of ctx.roots) {
    if (root.block.kind !== "controller") continue;
    if (NO_STAGE_ROLES.has(root.role)) {
      for (const { ref, sym } of letUses(ctx, root.expr)) letOutsideStages(ctx, ref, sym, root);
      continue;
    }
    if (root.role !== "dynamics" || root.stmt?.kind !== "Dynamics") continue;
    const block = root.block.node as ControllerBlock;
    const once = dynamicsEvaluatedOnce(block, root.stmt);
    if (once) stageDependentDynamics(ctx, root.expr, once);
  }
}

const WHERE_NO_STAGE: Record<string, string> = {
  dim: "a dimension is",
  init: "the value of a declaration is",
  bound: "the bounds of a declaration are",
  setting: "a setting is",
  range: "a stage range is",
};

function letOutsideStages(ctx: Ctx, ref: NameRef, sym: Sym, root: Root): void {
  const let_ = sym.decl?.kind === "Let" ? sym.decl : undefined;
  if (!let_) return;
  const where = WHERE_NO_STAGE[root.role] ?? "this is";
  const k = stageDependence(ctx, let_.value, "k");
  const note = `${where} evaluated once, outside every stage, from numbers, \`const\`s and \`param\`s; a \`let\` is an expression evaluated at the stage of each use`;
  if (k) {
    ctx.report({
      severity: "error",
      code: "MPC2012",
      message: `the stage index \`k\` is not defined here: \`${ref.name}\` depends on it`,
      span: ref.span,
      label: "depends on the stage index `k`",
      related: [{ span: k.span, label: `\`k\` is used in the definition of \`${ref.name}\`` }],
      notes: [note],
      help: "give a value that does not depend on the stage: a number, a `const` or a `param`",
    });
    return;
  }
  // a let of numbers, `const`s, `param`s, `N` and `inf` can be a `const` of the same name and value:
  // `let` -> `const` (not when a top-level const of the name exists: it would shadow it)
  const text = ctx.text.slice(let_.span.start, let_.span.start + 3);
  const foldable = text === "let" && constantText(ctx, let_.value) && !ctx.top.symbols.has(sym.name);
  const kw = { ...let_.span, end: let_.span.start + 3, endLine: let_.span.startLine, endColumn: let_.span.startColumn + 3 };
  ctx.report({
    severity: "error",
    code: "MPC2012",
    message: `the \`let\` \`${ref.name}\` is not defined here: ${where} evaluated outside every stage`,
    span: ref.span,
    label: "a `let` has a value only at a stage",
    related: [{ span: let_.name.span, label: `\`${ref.name}\` is declared here` }],
    notes: [note],
    help: foldable ? `declare it as a constant: \`const ${ref.name} = ...\`` : "use numbers, `const`s and `param`s here",
    edits: foldable ? [{ span: kw, newText: "const", title: `declare \`${ref.name}\` as a \`const\`` }] : undefined,
  });
}

/** Whether an expression reads only numbers, `const`s, `param`s, `N`, `I` and `inf` (so it may be
 *  the value of a `const`), judged on the names alone (the passes that fold values run later). */
function constantText(ctx: Ctx, e: Expr): boolean {
  if (e.kind === "ErrorExpr") return false;
  if (e.kind === "Name") {
    const s = ctx.resolution.get(e.id);
    return s !== undefined && (s.kind === "const" || s.kind === "param" || (s.kind === "builtin" && (s.name === "N" || s.name === "I" || s.name === "inf")));
  }
  if (e.kind === "Call" && (e.callee.name === "prev" || builtinFunction(e.callee.name)?.place !== "anywhere")) return false;
  return children(e).every((c) => constantText(ctx, c));
}

function stageDependentDynamics(ctx: Ctx, e: Expr, once: "nlp" | "zoh"): void {
  const notes = [
    once === "nlp"
      ? "a nonlinear MPC integrates one model f(x, u) over every stage of the horizon: its dynamics are evaluated once, not at each stage k"
      : "`using zoh` discretizes the dynamics once for every stage (one matrix exponential), not at each stage k",
  ];
  const help =
    once === "nlp"
      ? "make the model the same at every stage; a value given at each call is a `runtime` value (one value for the whole horizon)"
      : "integrate at each stage with `using euler` or `using rk4`, or write discrete dynamics `x+ = ...` (both are evaluated at every stage k)";
  const walk = (x: Expr): void => {
    if (x.kind === "Name" || (x.kind === "Call" && x.callee.name === "prev")) {
      const sym = x.kind === "Name" ? ctx.resolution.get(x.id) : undefined;
      // `k` itself, or through a let (a bare `k` resolves here in dynamics: `resolveName`)
      const k = sym?.kind === "let" || sym?.kind === "stage-index" ? stageDependence(ctx, x, "k") : undefined;
      const dist = k ? undefined : stageDependence(ctx, x, "disturbance");
      const prev = k || dist || once !== "zoh" ? undefined : stageDependence(ctx, x, "prev");
      const name = x.kind === "Name" ? x.name : ctx.src(x.span);
      const related = (hit: Expr, label: string) => (hit !== x ? [{ span: hit.span, label }] : undefined);
      if (k) {
        ctx.report({
          severity: "error",
          code: "MPC2012",
          message: k === x ? "the stage index `k` is not defined here" : `the stage index \`k\` is not defined here: \`${name}\` depends on it`,
          span: x.span,
          label: k === x ? "one value per stage" : "depends on the stage index `k`",
          related: related(k, `\`k\` is used in the definition of \`${name}\``),
          notes,
          help,
        });
      } else if (dist) {
        const d = ctx.src(dist.span);
        ctx.report({
          severity: "error",
          code: "MPC2012",
          message: `the disturbance \`${d}\` is not defined here: it is a forecast with a value per stage${dist !== x ? `, and \`${name}\` depends on it` : ""}`,
          span: x.span,
          label: dist !== x ? `depends on the disturbance \`${d}\`` : "a forecast, one value per stage",
          related: related(dist, `the disturbance \`${d}\` is used in the definition of \`${name}\``),
          notes,
          help: once === "nlp" ? "make the model the same at every stage: a value given at each call for the whole horizon is a `runtime` value" : help,
        });
      } else if (prev) {
        const p = ctx.src(prev.span);
        const arg = prev.kind === "Call" ? prev.args[0]?.value : undefined;
        const u = arg?.kind === "Name" ? arg.name : "u";
        ctx.report({
          severity: "error",
          code: "MPC2012",
          message: `\`${p}\` is not defined in \`using zoh\` dynamics: it is the input of the stage before${prev !== x ? `, and \`${name}\` depends on it` : ""}`,
          span: x.span,
          label: prev !== x ? `depends on \`${p}\`` : `${u}_{k-1} at stage k (at stage 0 the runtime value \`prev_${u}\`)`,
          related: related(prev, `\`${p}\` is used in the definition of \`${name}\``),
          notes,
          help,
        });
      }
      if (x.kind === "Name") return;
      // a `prev` call already reported: its argument is the input itself
      if (k || dist || prev) return;
    }
    for (const c of children(x)) walk(c);
  };
  walk(e);
}

/** Codes reported at the block name for an item a controller or plant lacks (horizon, objective,
 *  input, plant cost): in a block with a syntax error the item may be the one that did not parse. */
const MISSING_ITEM_CODES = new Set(["MPC4010", "MPC4013", "MPC4016", "MPC5010"]);

/**
 * Drops the diagnostics that a skipped or partial item causes in a block with a syntax error (run
 * after all passes): "no horizon", "no objective", "no input", "no cost" at the block name, and
 * stage ranges that cannot be evaluated because the horizon is unknown. The syntax error itself is
 * the one thing to fix. Likewise the MPC4xxx findings inside a constraint whose `for` index hides a
 * declaration (MPC2019).
 */
export function dropRecoveryCascades(ctx: Ctx): void {
  const broken = ctx.blocks.filter(blockHasSyntaxErrors);
  const hidingRanges = constraintsWithHidingIndex(ctx);
  if (broken.length === 0 && hidingRanges.length === 0) return;
  const drop = (d: Diagnostic): boolean =>
    // a `for` index named like a declaration (MPC2019) changes what the constraint means: its
    // convexity and consistency findings follow from that one error
    (/^MPC4/.test(d.code) && hidingRanges.some((c) => d.span.start >= c.start && d.span.end <= c.end)) ||
    broken.some((b) => {
      const node = b.node;
      if (node.kind !== "Controller" && node.kind !== "Plant") return false;
      if (MISSING_ITEM_CODES.has(d.code) && d.span.start === node.name.span.start) return true;
      if (d.code !== "MPC4015" || d.span.start < node.span.start || d.span.end > node.span.end) return false;
      return node.kind === "Controller" && horizonOf(ctx, b.name) === undefined && /constant integer/.test(d.message);
    });
  const kept = ctx.diagnostics.filter((d) => !drop(d));
  ctx.diagnostics.length = 0;
  ctx.diagnostics.push(...kept);
}

/** Spans of the constraints whose `for` index was reported by MPC2019. */
function constraintsWithHidingIndex(ctx: Ctx): Span[] {
  const at = new Set(ctx.diagnostics.filter((d) => d.code === "MPC2019").map((d) => d.span.start));
  if (at.size === 0) return [];
  const out: Span[] = [];
  for (const b of ctx.blocks) {
    const node = b.node;
    if (node.kind !== "Controller" && node.kind !== "Plant") continue;
    for (const item of node.items) {
      if (item.kind !== "SubjectTo") continue;
      for (const c of item.constraints) if (c.range && at.has(c.range.index.span.start)) out.push(c.span);
    }
  }
  return out;
}
