// Pass 1: declarations. Builds the scopes (top-level consts and block names; one scope per
// controller/plant block that also sees the top level), reports duplicates (MPC2002), shadowed
// top-level consts (MPC2003), declarations or settings in the wrong block (MPC2013, MPC2014), and
// lists every expression root with its role for the later passes.

import type { ControllerBlock, Decl, DeclKind, Expr, Identifier, LetDecl, PlantBlock, Program, TrainBlock } from "../ast.js";
import type { Root } from "./context.js";
import { Ctx, Sym, type BlockScope, type Role } from "./context.js";

const ALLOWED_DECLS: Record<"top" | "controller" | "plant", readonly DeclKind[]> = {
  top: ["const"],
  controller: ["state", "input", "param", "runtime", "disturbance", "const", "learnable"],
  plant: ["state", "input", "param", "disturbance", "const"],
};

const ALLOWED_SETTINGS: Record<"controller" | "plant", readonly string[]> = {
  controller: ["horizon", "discount", "timestep"],
  plant: ["timestep", "episode"],
};

function declare(ctx: Ctx, block: BlockScope, sym: Sym, nameId: Identifier): void {
  const prior = block.symbols.get(sym.name);
  if (prior) {
    ctx.report({
      severity: "error",
      code: "MPC2002",
      message: `\`${sym.name}\` is declared twice`,
      span: nameId.span,
      label: "declared again here",
      related: prior.nameSpan ? [{ span: prior.nameSpan, label: "first declared here" }] : undefined,
      help: "rename one of the two declarations",
    });
    ctx.resolution.set(nameId.id, prior);
    return;
  }
  block.symbols.set(sym.name, sym);
  ctx.allSymbols.push(sym);
  ctx.resolution.set(nameId.id, sym);
  if (block !== ctx.top) {
    const shadowed = ctx.top.symbols.get(sym.name);
    if (shadowed && shadowed.kind === "const") {
      ctx.report({
        severity: "warning",
        code: "MPC2003",
        message: `\`${sym.name}\` shadows the top-level constant of the same name`,
        span: nameId.span,
        label: `this ${sym.kind} hides the constant inside \`${block.name ?? ""}\``,
        related: shadowed.nameSpan ? [{ span: shadowed.nameSpan, label: "the top-level constant" }] : undefined,
        help: "rename one of them if you meant two different things",
      });
    }
  }
}

function addRoot(ctx: Ctx, expr: Expr | undefined, role: Role, block: BlockScope, extra: Partial<Pick<Root, "stageIndex" | "owner" | "stmt">> = {}): void {
  if (expr) ctx.roots.push({ expr, role, block, ...extra });
}

function declRoots(ctx: Ctx, d: Decl, block: BlockScope, owner: Sym): void {
  for (const dim of d.dims ?? []) addRoot(ctx, dim, "dim", block, { owner });
  addRoot(ctx, d.init, "init", block, { owner });
  if (d.bounds) {
    addRoot(ctx, d.bounds.lower, "bound", block, { owner });
    addRoot(ctx, d.bounds.upper, "bound", block, { owner });
  }
}

function declSym(ctx: Ctx, d: Decl, block: BlockScope): Sym {
  const allowed = ALLOWED_DECLS[block.kind === "top" ? "top" : block.kind === "plant" ? "plant" : "controller"];
  if (!allowed.includes(d.declKind)) {
    const where = block.kind === "top" ? "at the top level" : `in a ${block.kind} block`;
    const hint =
      block.kind === "top"
        ? "only `const` declarations are shared at the top level; move it into a controller or plant block"
        : d.declKind === "learnable"
          ? "the plant is the true system: it has no learnable parameters; declare them in the controller"
          : "a plant is simulated with its own values: use `param` or `disturbance`";
    ctx.report({
      severity: "error",
      code: "MPC2013",
      message: `a \`${d.declKind}\` declaration is not allowed ${where}`,
      span: d.keywordSpan,
      label: `\`${d.declKind}\` not allowed here`,
      help: hint,
    });
  }
  if (d.structure && d.declKind !== "learnable") {
    ctx.report({
      severity: "error",
      code: "MPC2013",
      message: `the structure \`${d.structure}\` applies only to learnable parameters`,
      span: d.keywordSpan,
      help: `declare it as \`learnable ${d.structure} ${d.name.name}\``,
    });
  }
  return new Sym(d.name.name, d.declKind, block.kind, block.name, d, d.name.span);
}

function collectBlock(ctx: Ctx, node: ControllerBlock | PlantBlock, block: BlockScope): void {
  const kind = node.kind === "Controller" ? "controller" : "plant";
  const seenSettings = new Map<string, { span: typeof node.span }>();
  for (const item of node.items) {
    switch (item.kind) {
      case "Decl": {
        const sym = declSym(ctx, item, block);
        declare(ctx, block, sym, item.name);
        declRoots(ctx, item, block, sym);
        break;
      }
      case "Let": {
        const sym = new Sym(item.name.name, "let", block.kind, block.name, item, item.name.span);
        declare(ctx, block, sym, item.name);
        addRoot(ctx, item.value, "let", block, { owner: sym });
        break;
      }
      case "Dynamics":
        addRoot(ctx, item.rhs, "dynamics", block, { stmt: item });
        break;
      case "ScalarSetting": {
        if (!ALLOWED_SETTINGS[kind].includes(item.key)) {
          ctx.report({
            severity: "error",
            code: "MPC2014",
            message: `\`${item.key}\` is not a setting of a ${kind} block`,
            span: item.keywordSpan,
            label: `not allowed in a ${kind}`,
            help: `a ${kind} block accepts ${ALLOWED_SETTINGS[kind].map((s) => `\`${s}\``).join(", ")}`,
          });
        } else {
          const prior = seenSettings.get(item.key);
          if (prior) {
            ctx.report({
              severity: "error",
              code: "MPC2014",
              message: `\`${item.key}\` is given twice`,
              span: item.keywordSpan,
              label: "given again here",
              related: [{ span: prior.span, label: "first given here" }],
              help: "keep one of the two",
            });
          } else seenSettings.set(item.key, { span: item.keywordSpan });
        }
        addRoot(ctx, item.value, "setting", block, { stmt: item });
        break;
      }
      case "Objective":
        for (const term of item.terms) {
          const role: Role = term.costKind === "stage" ? "cost-stage" : term.costKind === "terminal" ? "cost-terminal" : "cost-initial";
          addRoot(ctx, term.expr, role, block, role === "cost-stage" ? { stageIndex: ctx.builtin(block, "k", "stage-index"), stmt: term } : { stmt: term });
        }
        break;
      case "PlantCost":
        addRoot(ctx, item.expr, "plant-cost", block, { stmt: item });
        break;
      case "Solver": {
        // options are literals validated by the parser (no expression roots)
        const prior = seenSettings.get("solver");
        if (prior) {
          ctx.report({
            severity: "error",
            code: "MPC2014",
            message: "`solver` is given twice",
            span: item.keywordSpan,
            label: "given again here",
            related: [{ span: prior.span, label: "first given here" }],
            help: "keep one of the two",
          });
        } else seenSettings.set("solver", { span: item.keywordSpan });
        break;
      }
      case "SubjectTo":
        for (const c of item.constraints) {
          let stageIndex: Sym | undefined;
          if (c.range) {
            stageIndex = new Sym(c.range.index.name, "stage-index", block.kind, block.name, undefined, c.range.index.span);
            ctx.stageSyms.push(stageIndex);
            ctx.resolution.set(c.range.index.id, stageIndex);
            addRoot(ctx, c.range.from, "range", block, { stmt: c });
            addRoot(ctx, c.range.to, "range", block, { stmt: c });
          } else if (kind === "controller" && !c.terminal) {
            stageIndex = ctx.builtin(block, "k", "stage-index");
          }
          for (const op of c.operands) addRoot(ctx, op, "constraint", block, { stageIndex, stmt: c });
          addRoot(ctx, c.penalty?.linear, "penalty", block, { stageIndex, stmt: c });
          addRoot(ctx, c.penalty?.quadratic, "penalty", block, { stageIndex, stmt: c });
        }
        break;
    }
  }
}

function trainRoots(ctx: Ctx, t: TrainBlock, block: BlockScope): void {
  const visit = (settings: TrainBlock["settings"]): void => {
    for (const s of settings) {
      if (s.key.name === "study") {
        // study entries (check/study.ts): targets are words; only values are analysed, array elements one by one
        for (const e of s.block ?? []) for (const a of e.args.filter((a) => a.kind !== "Index")) for (const x of a.kind === "Array" ? a.rows.flat() : [a]) addRoot(ctx, x, "train", block);
        continue;
      }
      for (const a of s.args) addRoot(ctx, a, "train", block);
      if (s.block) visit(s.block);
    }
  };
  visit(t.settings);
}

/** Builds all scopes and roots. */
export function collectScopes(ctx: Ctx): void {
  const program: Program = ctx.program;
  // Block names first, so that consts cannot silently collide with them.
  for (const item of program.items) {
    if (item.kind === "Controller" || item.kind === "Plant") {
      const kind = item.kind === "Controller" ? "controller" : "plant";
      const block: BlockScope = { name: item.name.name, kind, node: item, symbols: new Map(), builtins: new Map() };
      ctx.blocks.push(block);
      declare(ctx, ctx.top, new Sym(item.name.name, kind, "top", undefined, item, item.name.span), item.name);
    }
  }
  for (const item of program.items) {
    if (item.kind === "Decl") {
      const sym = declSym(ctx, item, ctx.top);
      declare(ctx, ctx.top, sym, item.name);
      declRoots(ctx, item, ctx.top, sym);
    }
  }
  let trainIndex = 0;
  for (const item of program.items) {
    if (item.kind === "Controller" || item.kind === "Plant") {
      const block = ctx.blocks.find((b) => b.node === item);
      if (block) collectBlock(ctx, item, block);
    } else if (item.kind === "Train") {
      const block: BlockScope = { name: `train#${trainIndex++}`, kind: "train", node: item, symbols: new Map(), builtins: new Map() };
      ctx.blocks.push(block);
      trainRoots(ctx, item, block);
    }
  }
}

/** The declaration of a symbol, when it is a `Decl`. */
export function declOf(sym: Sym): Decl | undefined {
  return sym.decl && sym.decl.kind === "Decl" ? sym.decl : undefined;
}

export function letOf(sym: Sym): LetDecl | undefined {
  return sym.decl && sym.decl.kind === "Let" ? sym.decl : undefined;
}
