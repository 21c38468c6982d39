// CST -> AST. Tolerant of partial nodes left by Chevrotain's error recovery: a missing expression
// becomes an ErrorExpr, a missing name an Identifier with an empty name, a broken item is dropped.
// Also reports the syntax errors that the grammar accepts on purpose (misplaced items, `<`, ...).

import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as A from "../ast.js";
import type { Diagnostic, Span } from "../diagnostics.js";
import { numberValue, Lt, Gt } from "../lexer.js";
import { joinSpans, type LineIndex } from "../span.js";
import { keywordFix } from "./keyword_fix.js";
import { closest } from "./suggest.js";

/** Deepest AST allowed (walkers downstream recurse over it). */
export const MAX_TREE_DEPTH = 400;

/** Keywords that start an item in a controller or plant block (for "did you mean" help). */
export const BLOCK_ITEM_KEYWORDS = [
  "state", "input", "param", "runtime", "disturbance", "const", "learnable", "let", "horizon", "discount",
  "timestep", "episode", "dynamics", "minimize", "subject", "cost", "reward", "solver",
];

type Children = Record<string, CstElement[] | undefined>;

/** Shared result for an absent CST child list (read only). */
const NO_NODES: readonly CstNode[] = Object.freeze([]);

function isToken(e: CstElement | undefined): e is IToken {
  return e !== undefined && (e as IToken).image !== undefined;
}

function realToken(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

export class AstBuilder {
  private nextId: number;
  readonly diagnostics: Diagnostic[] = [];
  /** Tree depth of each built expression node, indexed by node id (ids are sequential). */
  private depthOf: number[] = [];
  private tooDeepReported = false;

  constructor(
    private readonly lines: LineIndex,
    firstId = 1,
    /** Misspelled item keywords re-typed by the driver (start offset -> the keyword they stand for). */
    private readonly retyped: ReadonlyMap<number, string> = new Map(),
  ) {
    this.nextId = firstId;
  }

  /** The keyword a keyword token stands for (its text, or the keyword a misspelling was read as). */
  private keywordText(t: IToken): string {
    return this.retyped.get(t.startOffset) ?? t.image;
  }

  id(): number {
    return this.nextId++;
  }

  tokSpan(t: IToken): Span {
    return this.lines.span(t.startOffset, t.startOffset + t.image.length);
  }

  // Children keys are either token labels or subrule labels, never mixed.
  private tokens(c: Children, key: string): IToken[] {
    const arr = c[key];
    if (arr === undefined) return [];
    const out: IToken[] = [];
    for (const e of arr) if (isToken(e) && realToken(e)) out.push(e);
    return out;
  }
  private tok(c: Children, key: string, i = 0): IToken | undefined {
    const arr = c[key];
    if (arr === undefined) return undefined;
    let k = 0;
    for (const e of arr) if (isToken(e) && realToken(e) && k++ === i) return e;
    return undefined;
  }
  private nodes(c: Children, key: string): readonly CstNode[] {
    return (c[key] ?? NO_NODES) as readonly CstNode[];
  }
  private node(c: Children, key: string, i = 0): CstNode | undefined {
    return c[key]?.[i] as CstNode | undefined;
  }

  /** Span covering all real tokens under a CST node (undefined if it has none). */
  cstSpan(n: CstNode): Span | undefined {
    const loc = n.location;
    if (loc !== undefined && Number.isFinite(loc.startOffset) && Number.isFinite(loc.endOffset) && !n.recoveredNode) {
      return this.lines.span(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
    }
    let first: IToken | undefined;
    let last: IToken | undefined;
    const visit = (e: CstElement): void => {
      if (isToken(e)) {
        if (!realToken(e)) return;
        if (first === undefined || e.startOffset < first.startOffset) first = e;
        if (last === undefined || e.startOffset > last.startOffset) last = e;
      } else for (const list of Object.values(e.children)) for (const x of list ?? []) visit(x);
    };
    visit(n);
    if (first === undefined || last === undefined) return undefined;
    return this.lines.span(first.startOffset, last.startOffset + last.image.length);
  }

  private errorExpr(span: Span): A.ErrorExpr {
    return { kind: "ErrorExpr", id: this.id(), span };
  }

  private identifier(t: IToken | undefined, fallback: Span): A.Identifier {
    if (t === undefined) return { kind: "Identifier", id: this.id(), name: "", span: fallback };
    return { kind: "Identifier", id: this.id(), name: t.image, span: this.tokSpan(t) };
  }

  private emptySpanAfter(s: Span): Span {
    return this.lines.span(s.end, s.end);
  }

  // ------------------------------------------------------------ depth guard

  /** `e` with up to two children (no rest-argument array on the hot path). */
  private track<T extends A.Expr>(e: T, a?: A.Expr, b?: A.Expr): A.Expr {
    let d = 0;
    if (a !== undefined) d = this.depthOf[a.id] ?? 1;
    if (b !== undefined) d = Math.max(d, this.depthOf[b.id] ?? 1);
    return this.trackDepth(e, d + 1);
  }

  private trackAll<T extends A.Expr>(e: T, children: readonly A.Expr[]): A.Expr {
    let d = 0;
    for (const c of children) d = Math.max(d, this.depthOf[c.id] ?? 1);
    return this.trackDepth(e, d + 1);
  }

  private trackDepth<T extends A.Expr>(e: T, depth: number): A.Expr {
    if (depth > MAX_TREE_DEPTH) {
      if (!this.tooDeepReported) {
        this.tooDeepReported = true;
        this.diagnostics.push({
          severity: "error",
          code: "MPC1008",
          message: "expression nested too deeply",
          span: e.span,
          label: `more than ${MAX_TREE_DEPTH} levels of operators or brackets`,
          help: "split it into several `let` definitions",
        });
      }
      // the whole enclosing expression becomes an error: parents of this node overflow too
      const err = this.errorExpr(e.span);
      this.depthOf[err.id] = MAX_TREE_DEPTH;
      return err;
    }
    this.depthOf[e.id] = depth;
    return e;
  }

  // ------------------------------------------------------------ expressions

  expr(n: CstNode | undefined, fallback: Span): A.Expr {
    if (n === undefined) return this.errorExpr(fallback);
    const c = n.children as Children;
    const operands = this.nodes(c, "operands");
    if (operands.length === 0) return this.errorExpr(this.cstSpan(n) ?? fallback);
    if (operands.length === 1) return this.unary(operands[0], fallback); // no operator: the common case
    const ops = (c["ops"] ?? []).filter(isToken);
    // Two precedence levels, both left-associative: a sum of products.
    let sum: A.Expr | undefined;
    let sumOp: IToken | undefined;
    let prod = this.unary(operands[0], fallback);
    for (let i = 1; i < operands.length; i++) {
      const op = ops[i - 1];
      const right = this.unary(operands[i], this.emptySpanAfter(prod.span));
      const image = op?.image ?? "+";
      if (image === "+" || image === "-") {
        sum = sum === undefined ? prod : this.binary(sum, sumOp, prod, sumOp?.image === "-" ? "-" : "+");
        sumOp = op;
        prod = right;
      } else {
        const bop: A.BinaryOp = image === "/" || image === ".*" || image === "./" ? image : "*";
        prod = this.binary(prod, op, right, bop);
      }
    }
    return sum === undefined ? prod : this.binary(sum, sumOp, prod, sumOp?.image === "-" ? "-" : "+");
  }

  private binary(left: A.Expr, opTok: IToken | undefined, right: A.Expr, op: A.BinaryOp): A.Expr {
    const opSpan = opTok !== undefined && realToken(opTok) ? this.tokSpan(opTok) : this.emptySpanAfter(left.span);
    const e: A.BinaryExpr = { kind: "Binary", id: this.id(), op, left, right, opSpan, span: joinSpans(left.span, right.span) };
    return this.track(e, left, right);
  }

  /** signs atom (^ signs atom)*: right-associative `^`, signs binding looser than `^`. */
  unary(n: CstNode, fallback: Span): A.Expr {
    const c = n.children as Children;
    // the common case, a lone atom: no sign or power arrays to build
    if (c["signs"] === undefined && c["carets"] === undefined && c["expSigns"] === undefined) {
      const only = c["atoms"];
      if (only !== undefined && only.length === 1) return this.atom(only[0] as CstNode, fallback);
    }
    const signs = this.tokens(c, "signs");
    const carets = (c["carets"] ?? []).filter(isToken);
    const atomNodes = this.nodes(c, "atoms");
    if (atomNodes.length === 0) return this.applySigns(signs, this.errorExpr(this.cstSpan(n) ?? fallback));
    const atoms = atomNodes.map((a) => this.atom(a, fallback));
    // exponent signs belong to the `^` that precedes them
    const expSigns: IToken[][] = carets.map(() => []);
    for (const t of this.tokens(c, "expSigns")) {
      let k = carets.length - 1;
      while (k > 0 && !(carets[k].startOffset < t.startOffset)) k--;
      expSigns[k]?.push(t);
    }
    // fold from the right: a0 ^ s1 a1 ^ s2 a2 = a0 ^ (s1 (a1 ^ (s2 a2)))
    let acc: A.Expr | undefined;
    for (let i = atoms.length - 1; i >= 1; i--) {
      let operand = atoms[i];
      if (acc !== undefined) operand = this.binary(operand, carets[i], acc, "^");
      acc = this.applySigns(expSigns[i - 1] ?? [], operand);
    }
    const powered = acc === undefined ? atoms[0] : this.binary(atoms[0], carets[0], acc, "^");
    return this.applySigns(signs, powered);
  }

  private applySigns(signs: IToken[], operand: A.Expr): A.Expr {
    let acc = operand;
    for (let i = signs.length - 1; i >= 0; i--) {
      const s = signs[i];
      const e: A.UnaryExpr = {
        kind: "Unary",
        id: this.id(),
        op: s.image === "-" ? "-" : "+",
        operand: acc,
        span: joinSpans(this.tokSpan(s), acc.span),
      };
      acc = this.track(e, acc);
    }
    return acc;
  }

  private atom(n: CstNode, fallback: Span): A.Expr {
    let acc = this.primary(n, fallback);
    const c = n.children as Children;
    for (const op of this.nodes(c, "postfixOp")) {
      const oc = op.children as Children;
      const quote = this.tok(oc, "Quote");
      const opSpan = this.cstSpan(op) ?? this.emptySpanAfter(acc.span);
      if (quote !== undefined) {
        const e: A.TransposeExpr = { kind: "Transpose", id: this.id(), operand: acc, span: joinSpans(acc.span, opSpan) };
        acc = this.track(e, acc);
        continue;
      }
      const indices: A.IndexArg[] = [];
      const children: A.Expr[] = [acc];
      for (const ia of this.nodes(oc, "indices")) {
        const arg = this.indexArg(ia, opSpan);
        indices.push(arg);
        if (arg.kind === "At") children.push(arg.index);
        else {
          if (arg.start) children.push(arg.start);
          if (arg.end) children.push(arg.end);
        }
      }
      if (indices.length === 0) indices.push({ kind: "At", index: this.errorExpr(opSpan), span: opSpan });
      const e: A.IndexExpr = { kind: "Index", id: this.id(), target: acc, indices, span: joinSpans(acc.span, opSpan) };
      acc = this.trackAll(e, children);
    }
    return acc;
  }

  private indexArg(n: CstNode, fallback: Span): A.IndexArg {
    const c = n.children as Children;
    const span = this.cstSpan(n) ?? fallback;
    const colon = (c["Colon"] ?? []).length > 0;
    const startNode = this.node(c, "start");
    const endNode = this.node(c, "end");
    if (!colon) return { kind: "At", index: this.expr(startNode, span), span };
    return {
      kind: "Slice",
      start: startNode ? this.expr(startNode, span) : undefined,
      end: endNode ? this.expr(endNode, span) : undefined,
      span,
    };
  }

  /** The primary part of an atom node (without its postfix operators). */
  private primary(n: CstNode, fallback: Span): A.Expr {
    const c = n.children as Children;
    const num = this.tok(c, "Number") ?? this.tok(c, "Inf");
    if (num !== undefined) {
      const e: A.NumberLit = { kind: "Number", id: this.id(), value: numberValue(num.image), text: num.image, span: this.tokSpan(num) };
      return this.track(e);
    }
    const name = this.tok(c, "name");
    if (name !== undefined) return this.nameOrCall(n, name);
    const p = this.node(c, "paren");
    if (p !== undefined) {
      const span = this.cstSpan(p) ?? fallback;
      const inner = this.expr(this.node(p.children as Children, "inner"), span);
      const e: A.ParenExpr = { kind: "Paren", id: this.id(), inner, span };
      return this.track(e, inner);
    }
    const arr = this.node(c, "array");
    if (arr !== undefined) {
      const span = this.cstSpan(arr) ?? fallback;
      const rows: A.Expr[][] = [];
      const all: A.Expr[] = [];
      for (const r of this.nodes(arr.children as Children, "rows")) {
        const row = this.nodes(r.children as Children, "elements").map((el) => this.expr(el, span));
        rows.push(row);
        all.push(...row);
      }
      const e: A.ArrayLit = { kind: "Array", id: this.id(), rows, span };
      return this.trackAll(e, all);
    }
    return this.errorExpr(this.cstSpan(n) ?? fallback);
  }

  private nameOrCall(n: CstNode, name: IToken): A.Expr {
    const c = n.children as Children;
    const open = this.tok(c, "callOpen");
    if (open === undefined) {
      const e: A.NameRef = { kind: "Name", id: this.id(), name: name.image, span: this.tokSpan(name) };
      return this.track(e);
    }
    const close = this.tok(c, "callClose");
    const span = this.lines.span(name.startOffset, close !== undefined ? close.startOffset + 1 : (this.cstSpan(n)?.end ?? open.startOffset + 1));
    const args: A.CallArg[] = [];
    const values: A.Expr[] = [];
    for (const a of this.nodes(c, "args")) {
      const ac = a.children as Children;
      const aSpan = this.cstSpan(a) ?? span;
      const argName = this.tok(ac, "name");
      const value = this.expr(this.node(ac, "value"), aSpan);
      values.push(value);
      args.push({ name: argName ? this.identifier(argName, aSpan) : undefined, value, span: aSpan });
    }
    const e: A.CallExpr = { kind: "Call", id: this.id(), callee: this.identifier(name, span), args, span };
    return this.trackAll(e, values);
  }

  // ------------------------------------------------------------ items

  topItem(n: CstNode): A.TopItem | undefined {
    const c = n.children as Children;
    const b = this.node(c, "block");
    if (b !== undefined) return this.block(b);
    const t = this.node(c, "trainBlock");
    if (t !== undefined) return this.trainBlock(t);
    const d = this.node(c, "declaration");
    if (d !== undefined) return this.declaration(d);
    return undefined;
  }

  private block(n: CstNode): A.ControllerBlock | A.PlantBlock | undefined {
    const c = n.children as Children;
    const kw = this.tok(c, "keyword");
    if (kw === undefined) return undefined;
    const span = this.cstSpan(n) ?? this.tokSpan(kw);
    const isController = this.keywordText(kw) === "controller";
    const name = this.identifier(this.tok(c, "name"), this.emptySpanAfter(this.tokSpan(kw)));
    const items: (A.ControllerItem | A.PlantItem)[] = [];
    for (const itemNode of this.nodes(c, "blockItem")) {
      const item = this.blockItem(itemNode);
      if (item === undefined) continue;
      if (isController && item.kind === "PlantCost") {
        this.misplaced(item.span, `\`${item.sense}\``, "controller", "a controller states its objective with `minimize`");
        continue;
      }
      if (!isController && item.kind === "Objective") {
        this.misplaced(item.span, "`minimize`", "plant", "a plant states its per-step `cost` or `reward`");
        continue;
      }
      if (!isController && item.kind === "ScalarSetting" && (item.key === "horizon" || item.key === "discount")) {
        this.misplaced(item.keywordSpan, `\`${item.key}\``, "plant", `\`${item.key}\` belongs to a controller`);
        continue;
      }
      if (!isController && item.kind === "Solver") {
        this.misplaced(item.keywordSpan, "`solver`", "plant", "a plant is simulated: `solver` chooses how a controller's optimal control problem is solved");
        continue;
      }
      if (isController && item.kind === "ScalarSetting" && item.key === "episode") {
        this.misplaced(item.keywordSpan, "`episode`", "controller", "the episode length belongs to the plant");
        continue;
      }
      items.push(item);
    }
    if (isController) {
      return { kind: "Controller", id: this.id(), keywordSpan: this.tokSpan(kw), name, items: items as A.ControllerItem[], span };
    }
    return { kind: "Plant", id: this.id(), keywordSpan: this.tokSpan(kw), name, items: items as A.PlantItem[], span };
  }

  private misplaced(span: Span, what: string, block: "controller" | "plant", note: string): void {
    this.diagnostics.push({
      severity: "error",
      code: "MPC1009",
      message: `${what} is not allowed in a ${block} block`,
      span,
      label: `not allowed in a ${block}`,
      notes: [note],
    });
  }

  private blockItem(n: CstNode): A.ControllerItem | A.PlantItem | A.PlantCost | A.SolverItem | undefined {
    const c = n.children as Children;
    const d = this.node(c, "declaration");
    if (d) return this.declaration(d);
    const l = this.node(c, "letDecl");
    if (l) return this.letDecl(l);
    const dy = this.node(c, "dynamics");
    if (dy) return this.dynamics(dy);
    const s = this.node(c, "scalarSetting");
    if (s) return this.scalarSetting(s);
    const o = this.node(c, "objective");
    if (o) return this.objective(o);
    const p = this.node(c, "plantCost");
    if (p) return this.plantCost(p);
    const st = this.node(c, "subjectTo");
    if (st) return this.subjectTo(st);
    const so = this.node(c, "solver");
    if (so) return this.solver(so);
    const u = this.node(c, "unknownItem");
    if (u) this.unknownItem(u);
    return undefined;
  }

  private unknownItem(n: CstNode): void {
    const word = this.tok(n.children as Children, "word");
    if (word === undefined) return;
    const span = this.tokSpan(word);
    const guess = closest(word.image, BLOCK_ITEM_KEYWORDS);
    const rest = ((n.children as Children)["AnyToken"] ?? []).filter((e): e is IToken => isToken(e) && realToken(e));
    const next = rest.find((t) => t.startOffset > word.startOffset);
    const fix = guess ? keywordFix(guess, next && next.startLine === word.endLine ? next : undefined) : undefined;
    this.diagnostics.push({
      severity: "error",
      code: "MPC1007",
      message: `expected an item, found \`${word.image}\``,
      span,
      label: guess ? "unknown keyword" : "not an item keyword",
      help: guess ? `did you mean \`${fix ?? guess}\`?` : undefined,
      edits: fix ? [{ span, newText: fix, title: `replace with \`${fix}\`` }] : undefined,
      notes: guess ? undefined : [`items start with a keyword: ${BLOCK_ITEM_KEYWORDS.map((k) => "`" + k + "`").join(", ")}`],
    });
  }

  declaration(n: CstNode): A.Decl | undefined {
    const c = n.children as Children;
    const kw = this.tok(c, "keyword");
    if (kw === undefined) return undefined;
    const span = this.cstSpan(n) ?? this.tokSpan(kw);
    const declKind = this.keywordText(kw) as A.DeclKind;
    const structTok = this.tok(c, "structure");
    let structure: A.LearnableStructure | undefined;
    if (structTok !== undefined) {
      if (declKind === "learnable") structure = structTok.image as A.LearnableStructure;
      else {
        this.diagnostics.push({
          severity: "error",
          code: "MPC1016",
          message: `a structure \`${structTok.image}\` applies only to \`learnable\` parameters`,
          span: this.tokSpan(structTok),
          label: `\`${declKind}\` declarations have no structure`,
          help: `remove \`${structTok.image}\``,
          edits: [{ span: this.lines.span(structTok.startOffset, structTok.startOffset + structTok.image.length + 1), newText: "", title: `remove \`${structTok.image}\`` }],
        });
      }
    }
    const nameTok = this.tok(c, "name");
    if (nameTok === undefined) return undefined; // already reported; a nameless declaration would only cascade
    const name = this.identifier(nameTok, span);
    const dimsNodes = this.nodes(c, "dims");
    const dims = (c["dimsOpen"] ?? []).length > 0 ? dimsNodes.map((d) => this.expr(d, span)) : undefined;
    const initNode = this.node(c, "init");
    const init = (c["Equals"] ?? []).length > 0 ? this.expr(initNode, span) : undefined;
    const b = this.node(c, "bounds");
    let bounds: A.Bounds | undefined;
    if (b !== undefined) {
      const bc = b.children as Children;
      const bSpan = this.cstSpan(b) ?? span;
      bounds = { lower: this.expr(this.node(bc, "lower"), bSpan), upper: this.expr(this.node(bc, "upper"), bSpan), span: bSpan };
    }
    return {
      kind: "Decl",
      id: this.id(),
      declKind,
      keywordSpan: this.tokSpan(kw),
      structure,
      name,
      dims,
      init,
      bounds,
      span,
    };
  }

  private letDecl(n: CstNode): A.LetDecl | undefined {
    const c = n.children as Children;
    const span = this.cstSpan(n);
    if (span === undefined) return undefined;
    const name = this.identifier(this.tok(c, "name"), span);
    return { kind: "Let", id: this.id(), name, value: this.expr(this.node(c, "value"), this.emptySpanAfter(span)), span };
  }

  private dynamics(n: CstNode): A.Dynamics | undefined {
    const c = n.children as Children;
    const span = this.cstSpan(n);
    if (span === undefined) return undefined;
    const der = this.tok(c, "der");
    const form = der !== undefined ? "continuous" : "discrete";
    const noPlus = this.tok(c, "targetNoPlus");
    if (noPlus !== undefined) {
      const at = this.lines.span(noPlus.startOffset + noPlus.image.length, noPlus.startOffset + noPlus.image.length);
      this.diagnostics.push({
        severity: "error",
        code: "MPC1013",
        message: `expected \`+\` after \`${noPlus.image}\` in discrete dynamics`,
        span: this.tokSpan(noPlus),
        label: `write \`${noPlus.image}+\``,
        notes: ["discrete dynamics are written `dynamics x+ = ...`, continuous ones `dynamics der(x) = ...`"],
        help: `insert \`+\`: \`dynamics ${noPlus.image}+ = ...\``,
        edits: [{ span: at, newText: "+", title: "insert `+`" }],
      });
    }
    if (der !== undefined && der.image !== "der") {
      this.diagnostics.push({
        severity: "error",
        code: "MPC1013",
        message: `expected \`der\` or \`x+\` on the left of dynamics, found \`${der.image}(...)\``,
        span: this.tokSpan(der),
        label: "not a dynamics target",
        notes: ["discrete dynamics are written `dynamics x+ = ...`, continuous ones `dynamics der(x) = ...`"],
        help: "replace with `der`",
        edits: [{ span: this.tokSpan(der), newText: "der", title: "replace with `der`" }],
      });
    }
    const targetTok = this.tok(c, "target") ?? noPlus;
    if (targetTok === undefined) return undefined; // already reported
    const target = this.identifier(targetTok, span);
    const rhs = this.expr(this.node(c, "rhs"), this.emptySpanAfter(span));
    const methodTok = this.tok(c, "method");
    let method: A.DiscretizationMethod | undefined;
    let methodSpan: Span | undefined;
    if (methodTok !== undefined) {
      methodSpan = this.tokSpan(methodTok);
      const m = methodTok.image;
      if (m === "zoh" || m === "rk4" || m === "euler") method = m;
      else {
        // with a substep count `(n)`, only the integrators that take one
        const guess = closest(m, this.tok(c, "substepsOpen") !== undefined ? ["rk4", "euler"] : ["zoh", "rk4", "euler"]);
        this.diagnostics.push({
          severity: "error",
          code: "MPC1018",
          message: `unknown discretization method \`${m}\``,
          span: methodSpan,
          label: "expected `zoh`, `rk4` or `euler`",
          help: guess ? `did you mean \`${guess}\`?` : undefined,
          edits: guess ? [{ span: methodSpan, newText: guess, title: `replace with \`${guess}\`` }] : undefined,
        });
      }
    }
    // `using rk4(4)`: a positive integer literal, for the integrators that take steps
    let substeps: number | undefined;
    let substepsExpr: A.NumberLit | undefined;
    if (this.tok(c, "substepsOpen") !== undefined) {
      const e = this.expr(this.node(c, "substeps"), methodSpan ?? span);
      const open = this.tok(c, "substepsOpen")!;
      const close = (c["RParen"] ?? []).filter(isToken).find((t) => t.startOffset > open.startOffset);
      const whole = this.lines.span(methodTok!.startOffset, close && realToken(close) ? close.startOffset + 1 : e.span.end);
      if (method === "zoh") {
        this.diagnostics.push({
          severity: "error",
          code: "MPC1018",
          message: "`zoh` takes no substep count",
          span: e.span,
          label: "`zoh` is exact over the whole timestep",
          help: "remove the count, or integrate with `rk4(n)` / `euler(n)`",
          edits: [{ span: whole, newText: "zoh", title: "remove the substep count" }],
        });
      } else if (e.kind === "Number" && Number.isInteger(e.value) && e.value >= 1 && e.value <= 1000) {
        substeps = e.value;
        substepsExpr = e;
      } else if (e.kind !== "ErrorExpr") {
        this.diagnostics.push({
          severity: "error",
          code: "MPC1018",
          message: `the substep count must be an integer literal from 1 to 1000, found \`${this.lines.text.slice(e.span.start, e.span.end)}\``,
          span: e.span,
          label: "not a positive integer literal",
          notes: ["`using rk4(n)` integrates each timestep with n steps of length timestep/n"],
          help: method ? `write e.g. \`${method}(4)\`` : undefined,
        });
      }
    }
    return { kind: "Dynamics", id: this.id(), form, target, rhs, method, methodSpan, substeps, substepsExpr, span };
  }

  private solver(n: CstNode): A.SolverItem | undefined {
    const c = n.children as Children;
    const kw = this.tok(c, "keyword");
    const methodTok = this.tok(c, "method");
    if (kw === undefined || methodTok === undefined) return undefined; // already reported
    const span = this.cstSpan(n) ?? this.tokSpan(kw);
    const methodSpan = this.tokSpan(methodTok);
    const m = methodTok.image;
    const report = (d: Omit<Diagnostic, "severity" | "code">): void => {
      this.diagnostics.push({ severity: "error", code: "MPC1019", ...d });
    };
    if (m !== "qp" && m !== "sqp" && m !== "rti") {
      // with options `(...)`, only the nonlinear solvers (`qp` takes none)
      const guess = closest(m, this.nodes(c, "args").length > 0 ? ["sqp", "rti"] : ["sqp", "rti", "qp"]);
      report({
        message: `unknown solver \`${m}\``,
        span: methodSpan,
        label: "expected `qp`, `sqp` or `rti`",
        notes: ["`qp` (the default): one convex QP (linear MPC); `sqp`: nonlinear MPC by sequential quadratic programming; `rti`: nonlinear MPC by the real-time iteration (one QP per step)"],
        help: guess ? `did you mean \`${guess}\`?` : undefined,
        edits: guess ? [{ span: methodSpan, newText: guess, title: `replace with \`${guess}\`` }] : undefined,
      });
      return undefined;
    }
    const method: A.SolverMethod = m;
    const options: A.SolverOption[] = [];
    let hessian: A.HessianKind | undefined;
    let maxIterations: number | undefined;
    let tolerance: number | undefined;
    const seen = new Set<string>();
    const known = ["hessian", "max_iterations", "tolerance"];
    for (const a of this.nodes(c, "args")) {
      const ac = a.children as Children;
      const aSpan = this.cstSpan(a) ?? span;
      const nameTok = this.tok(ac, "name");
      const value = this.expr(this.node(ac, "value"), aSpan);
      if (nameTok === undefined) {
        report({
          message: "solver options are named: `name = value`",
          span: aSpan,
          label: "a positional argument",
          help: "write `hessian = exact`, `max_iterations = 50` or `tolerance = 1e-8`",
        });
        continue;
      }
      const name = this.identifier(nameTok, aSpan);
      options.push({ name, value, span: aSpan });
      if (value.kind === "ErrorExpr") continue;
      const key = nameTok.image;
      if (!known.includes(key)) {
        // not an option given elsewhere in the list (it would be given twice)
        const others = this.nodes(c, "args").map((o) => this.tok(o.children as Children, "name")?.image);
        const guess = closest(key, known.filter((k) => !others.includes(k)));
        report({
          message: `unknown solver option \`${key}\``,
          span: name.span,
          label: "expected `hessian`, `max_iterations` or `tolerance`",
          help: guess ? `did you mean \`${guess}\`?` : undefined,
          edits: guess ? [{ span: name.span, newText: guess, title: `replace with \`${guess}\`` }] : undefined,
        });
        continue;
      }
      if (seen.has(key)) {
        report({ message: `the solver option \`${key}\` is given twice`, span: aSpan, label: "given again here", help: "remove one of them" });
        continue;
      }
      seen.add(key);
      if (method === "qp") {
        report({
          message: `the solver \`qp\` takes no option \`${key}\``,
          span: aSpan,
          label: "options apply to a nonlinear MPC (`sqp`, `rti`)",
          help: "remove the option, or declare `solver sqp` for a nonlinear MPC",
        });
        continue;
      }
      const text = this.lines.text.slice(value.span.start, value.span.end);
      if (key === "hessian") {
        const v = value.kind === "Name" ? value.name : "";
        if (v === "exact" || v === "gauss_newton") hessian = v;
        else {
          const guess = closest(text, ["exact", "gauss_newton"]);
          report({
            message: `unknown Hessian \`${text}\``,
            span: value.span,
            label: "expected `gauss_newton` or `exact`",
            notes: ["`gauss_newton` (the default): 2 J'J for `sumsq` residuals, PSD by construction; `exact`: the Lagrangian's Hessian, convexified per stage (allows general smooth cost terms)"],
            help: guess ? `did you mean \`${guess}\`?` : undefined,
            edits: guess ? [{ span: value.span, newText: guess, title: `replace with \`${guess}\`` }] : undefined,
          });
        }
      } else if (key === "max_iterations") {
        if (value.kind === "Number" && Number.isInteger(value.value) && value.value >= 1 && value.value <= 1e6) maxIterations = value.value;
        else report({ message: `\`max_iterations\` must be an integer literal from 1 to 1000000, found \`${text}\``, span: value.span, label: "not a positive integer literal" });
      } else {
        if (value.kind === "Number" && value.value > 0 && Number.isFinite(value.value)) tolerance = value.value;
        else report({ message: `\`tolerance\` must be a positive number literal, found \`${text}\``, span: value.span, label: "not a positive number", help: "e.g. `tolerance = 1e-6`" });
      }
    }
    return { kind: "Solver", id: this.id(), keywordSpan: this.tokSpan(kw), method, methodSpan, hessian, maxIterations, tolerance, options, span };
  }

  private scalarSetting(n: CstNode): A.ScalarSetting | undefined {
    const c = n.children as Children;
    const kw = this.tok(c, "keyword");
    if (kw === undefined) return undefined;
    const span = this.cstSpan(n) ?? this.tokSpan(kw);
    return {
      kind: "ScalarSetting",
      id: this.id(),
      key: this.keywordText(kw) as A.ScalarSetting["key"],
      keywordSpan: this.tokSpan(kw),
      value: this.expr(this.node(c, "value"), this.emptySpanAfter(this.tokSpan(kw))),
      span,
    };
  }

  private objective(n: CstNode): A.Objective | undefined {
    const c = n.children as Children;
    const span = this.cstSpan(n);
    if (span === undefined) return undefined;
    const terms: A.CostTerm[] = [];
    for (const t of this.nodes(c, "costTerm")) {
      const tc = t.children as Children;
      const kw = this.tok(tc, "keyword");
      const tSpan = this.cstSpan(t) ?? span;
      terms.push({
        kind: "CostTerm",
        id: this.id(),
        costKind: kw ? (kw.image as A.CostKind) : "initial",
        keywordSpan: kw ? this.tokSpan(kw) : undefined,
        expr: this.expr(this.node(tc, "expr"), tSpan),
        span: tSpan,
      });
    }
    return { kind: "Objective", id: this.id(), sense: "minimize", terms, span };
  }

  private plantCost(n: CstNode): A.PlantCost | undefined {
    const c = n.children as Children;
    const kw = this.tok(c, "keyword");
    if (kw === undefined) return undefined;
    const span = this.cstSpan(n) ?? this.tokSpan(kw);
    return {
      kind: "PlantCost",
      id: this.id(),
      sense: this.keywordText(kw) === "reward" ? "reward" : "cost",
      expr: this.expr(this.node(c, "expr"), this.emptySpanAfter(this.tokSpan(kw))),
      span,
    };
  }

  private subjectTo(n: CstNode): A.SubjectTo | undefined {
    const c = n.children as Children;
    const span = this.cstSpan(n);
    if (span === undefined) return undefined;
    const constraints: A.Constraint[] = [];
    for (const k of this.nodes(c, "constraint")) {
      const con = this.constraint(k);
      if (con !== undefined) constraints.push(con);
    }
    return { kind: "SubjectTo", id: this.id(), constraints, span };
  }

  private constraint(n: CstNode): A.Constraint | undefined {
    // A constraint broken by a syntax error is dropped (already reported): nothing refers to it, and
    // a partial one would only produce follow-up diagnostics.
    if (n.recoveredNode) return undefined;
    const c = n.children as Children;
    const span = this.cstSpan(n);
    if (span === undefined) return undefined;
    const opToks = this.tokens(c, "ops");
    const operandNodes = this.nodes(c, "operands");
    const operands = operandNodes.map((o) => this.expr(o, span));
    const ops: A.RelOp[] = [];
    const opSpans: Span[] = [];
    for (const t of opToks) {
      let op: A.RelOp;
      if (t.tokenType === Lt || t.tokenType === Gt) {
        op = t.tokenType === Lt ? "<=" : ">=";
        this.diagnostics.push({
          severity: "error",
          code: "MPC1011",
          message: `strict inequality \`${t.image}\` is not supported`,
          span: this.tokSpan(t),
          label: "constraints of a QP are closed sets",
          help: `use \`${op}\``,
          edits: [{ span: this.tokSpan(t), newText: op, title: `replace with \`${op}\`` }],
        });
      } else op = t.image as A.RelOp;
      ops.push(op);
      opSpans.push(this.tokSpan(t));
    }
    while (operands.length < ops.length + 1) operands.push(this.errorExpr(this.emptySpanAfter(span)));
    if (operands.length > ops.length + 1) operands.length = ops.length + 1;
    const r = this.node(c, "stageRange");
    let range: A.StageRange | undefined;
    if (r !== undefined) {
      const rc = r.children as Children;
      const rSpan = this.cstSpan(r) ?? span;
      range = {
        index: this.identifier(this.tok(rc, "index"), rSpan),
        from: this.expr(this.node(rc, "from"), rSpan),
        to: this.expr(this.node(rc, "to"), rSpan),
        span: rSpan,
      };
    }
    const p = this.node(c, "penalty");
    let penalty: A.SoftPenalty | undefined;
    if (p !== undefined) {
      const pc = p.children as Children;
      const pSpan = this.cstSpan(p) ?? span;
      const lin = (pc["Kw_linear"] ?? []).length > 0 ? this.expr(this.node(pc, "linear"), pSpan) : undefined;
      const quad = (pc["Kw_quadratic"] ?? []).length > 0 ? this.expr(this.node(pc, "quadratic"), pSpan) : undefined;
      if (lin === undefined && quad === undefined) {
        this.diagnostics.push({
          severity: "error",
          code: "MPC1014",
          message: "`penalty` needs a `linear` or a `quadratic` weight",
          span: pSpan,
          label: "no weight given",
          help: "write e.g. `penalty linear 1 quadratic 10`",
        });
      }
      penalty = { linear: lin, quadratic: quad, span: pSpan };
    }
    return {
      kind: "Constraint",
      id: this.id(),
      soft: this.tokens(c, "modifiers").some((t) => t.image === "soft"),
      terminal: this.tokens(c, "modifiers").some((t) => t.image === "terminal"),
      operands,
      ops,
      opSpans,
      range,
      penalty,
      span,
    };
  }

  private trainBlock(n: CstNode): A.TrainBlock | undefined {
    const c = n.children as Children;
    const kw = this.tok(c, "Kw_train");
    if (kw === undefined) return undefined;
    const span = this.cstSpan(n) ?? this.tokSpan(kw);
    const on = this.tok(c, "on");
    if (on !== undefined && on.image !== "on") {
      const onSpan = this.tokSpan(on);
      this.diagnostics.push({
        severity: "error",
        code: "MPC1004",
        message: `expected \`on\`, found \`${on.image}\``,
        span: onSpan,
        label: "expected `on`",
        notes: ["a train block is written `train Controller on Plant { ... }`"],
        help: "replace with `on`",
        edits: [{ span: onSpan, newText: "on", title: "replace with `on`" }],
      });
    }
    return {
      kind: "Train",
      id: this.id(),
      keywordSpan: this.tokSpan(kw),
      controller: this.identifier(this.tok(c, "controller"), this.emptySpanAfter(this.tokSpan(kw))),
      plant: this.identifier(this.tok(c, "plant"), span),
      settings: this.settings(this.nodes(c, "setting")),
      span,
    };
  }

  /** The edit removing a setting's `=` with one space after it; between two words with no space
   *  (`episodes=2`) it becomes a space, or the key and the value would run together. */
  private removeEquals(eq: IToken): { span: Span; newText: string; title: string } {
    const text = this.lines.text;
    const spaced = (c: string | undefined): boolean => c === undefined || /\s/.test(c);
    const before = text[eq.startOffset - 1];
    const after = text[eq.startOffset + 1];
    if (!spaced(before) && !spaced(after)) return { span: this.lines.span(eq.startOffset, eq.startOffset + 1), newText: " ", title: "remove `=`" };
    return { span: this.lines.span(eq.startOffset, eq.startOffset + 1 + (after === " " && spaced(before) ? 1 : 0)), newText: "", title: "remove `=`" };
  }

  private settings(nodes: readonly CstNode[]): A.Setting[] {
    const out: A.Setting[] = [];
    for (const s of nodes) {
      const c = s.children as Children;
      const key = this.tok(c, "key");
      if (key === undefined) continue;
      const span = this.cstSpan(s) ?? this.tokSpan(key);
      const args: A.Expr[] = [];
      for (const a of this.nodes(c, "settingArg")) {
        const ac = a.children as Children;
        const word = this.tok(ac, "word");
        if (word !== undefined) {
          args.push({ kind: "Name", id: this.id(), name: word.image, span: this.tokSpan(word) });
          continue;
        }
        const u = this.node(ac, "unary");
        args.push(u !== undefined ? this.unary(u, this.cstSpan(a) ?? span) : this.errorExpr(this.cstSpan(a) ?? span));
      }
      const eq = this.tok(c, "equals");
      if (eq !== undefined) {
        const eqSpan = this.tokSpan(eq);
        this.diagnostics.push({
          severity: "error",
          code: "MPC1004",
          message: "expected a setting value, found `=`",
          span: eqSpan,
          label: "settings take no `=`",
          help: `settings are written \`key value\`: remove the \`=\``,
          edits: [this.removeEquals(eq)],
        });
      }
      const hasBlock = (c["LBrace"] ?? []).length > 0;
      out.push({
        kind: "Setting",
        id: this.id(),
        key: this.identifier(key, span),
        args,
        block: hasBlock ? this.settings(this.nodes(c, "setting")) : undefined,
        span,
      });
    }
    return out;
  }
}

