// The canonical formatter (docs/language.md, "Formatting"). It prints the AST (so the layout is
// canonical) and re-attaches every comment by position:
//  - a comment on the line where a printed line's source ends stays at the end of that line;
//  - any other comment goes on its own line before the next printed line (comments that were
//    inside a one-line construct move just before it);
//  - one blank line is kept where the source had one or more (never right after `{` or before `}`),
//    and top-level blocks are always separated by one blank line.
// A file with syntax errors is returned unchanged, with its diagnostics.

import type * as A from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { parse } from "./parser/index.js";
import { LineIndex } from "./span.js";

const INDENT = "  ";

type BlankPolicy = "keep" | "never" | "always";

interface OutLine {
  depth: number;
  text: string;
  /** Source range this line stands for (comments inside it move before it). */
  anchorStart: number;
  anchorEnd: number;
  blank: BlankPolicy;
  /** Own-line comments before a closing brace are indented one level deeper. */
  close?: boolean;
}

// ---------------------------------------------------------------- expressions

const PREC: Record<A.BinaryOp, number> = { "+": 1, "-": 1, "*": 2, "/": 2, ".*": 2, "./": 2, "^": 4 };

/** Print an expression. The AST mirrors the source grammar (parentheses are ParenExpr nodes), so
 *  no parentheses are added except to keep a hand-built tree unambiguous. */
export function formatExpr(e: A.Expr): string {
  switch (e.kind) {
    case "Number":
      return e.text;
    case "Name":
      return e.name;
    case "ErrorExpr":
      return "<error>";
    case "Paren":
      return `(${formatExpr(e.inner)})`;
    case "Array":
      return `[${e.rows.map((r) => r.map(formatExpr).join(", ")).join("; ")}]`;
    case "Unary": {
      const inner = formatExpr(e.operand);
      const needs = e.operand.kind === "Binary" && e.operand.op !== "^";
      return `${e.op}${needs ? `(${inner})` : inner}`;
    }
    case "Binary": {
      const p = PREC[e.op];
      const left = wrapIf(e.left, (x) => (x.kind === "Binary" && (PREC[x.op] < p || (e.op === "^" && x.op === "^"))) || (e.op === "^" && x.kind === "Unary"));
      const right = wrapIf(e.right, (x) => x.kind === "Binary" && (PREC[x.op] < p || (PREC[x.op] === p && e.op !== "^")));
      return e.op === "+" || e.op === "-" ? `${left} ${e.op} ${right}` : `${left}${e.op}${right}`;
    }
    case "Transpose":
      return `${wrapIf(e.operand, isCompound)}'`;
    case "Index":
      return `${wrapIf(e.target, isCompound)}[${e.indices.map(formatIndexArg).join(", ")}]`;
    case "Call":
      return `${e.callee.name}(${e.args.map((a) => (a.name ? `${a.name.name} = ` : "") + formatExpr(a.value)).join(", ")})`;
  }
}

function isCompound(x: A.Expr): boolean {
  return x.kind === "Binary" || x.kind === "Unary";
}

function wrapIf(x: A.Expr, cond: (x: A.Expr) => boolean): string {
  const s = formatExpr(x);
  return cond(x) ? `(${s})` : s;
}

function formatIndexArg(a: A.IndexArg): string {
  if (a.kind === "At") return formatExpr(a.index);
  return `${a.start ? formatExpr(a.start) : ""}:${a.end ? formatExpr(a.end) : ""}`;
}

// ---------------------------------------------------------------- items

function declText(d: A.Decl): string {
  let s = d.declKind;
  if (d.structure) s += ` ${d.structure}`;
  s += ` ${d.name.name}`;
  if (d.dims) s += `[${d.dims.map(formatExpr).join(", ")}]`;
  if (d.init) s += ` = ${formatExpr(d.init)}`;
  if (d.bounds) s += ` in [${formatExpr(d.bounds.lower)}, ${formatExpr(d.bounds.upper)}]`;
  return s;
}

function constraintText(c: A.Constraint): string {
  let s = "";
  if (c.soft) s += "soft ";
  if (c.terminal) s += "terminal ";
  s += formatExpr(c.operands[0]);
  for (let i = 0; i < c.ops.length; i++) s += ` ${c.ops[i]} ${formatExpr(c.operands[i + 1])}`;
  if (c.range) s += ` for ${c.range.index.name} in ${formatExpr(c.range.from)}..${formatExpr(c.range.to)}`;
  if (c.penalty) {
    s += " penalty";
    if (c.penalty.linear) s += ` linear ${formatExpr(c.penalty.linear)}`;
    if (c.penalty.quadratic) s += ` quadratic ${formatExpr(c.penalty.quadratic)}`;
  }
  return s;
}

class Printer {
  readonly out: OutLine[] = [];

  line(depth: number, text: string, start: number, end: number, blank: BlankPolicy, close = false): void {
    this.out.push({ depth, text, anchorStart: start, anchorEnd: end, blank, close });
  }

  program(p: A.Program): void {
    let prevBlock = false;
    p.items.forEach((item, i) => {
      const isBlock = item.kind !== "Decl";
      const blank: BlankPolicy = i === 0 ? "never" : isBlock || prevBlock ? "always" : "keep";
      prevBlock = isBlock;
      this.topItem(item, blank);
    });
  }

  private topItem(item: A.TopItem, blank: BlankPolicy): void {
    switch (item.kind) {
      case "Decl":
        this.line(0, declText(item), item.span.start, item.span.end, blank);
        return;
      case "Controller":
      case "Plant": {
        const kw = item.kind === "Controller" ? "controller" : "plant";
        this.openClose(0, `${kw} ${item.name.name}`, item.span.start, item.name.span.end, item.span, blank, item.items.length, () =>
          item.items.forEach((it, i) => this.blockItem(it, i === 0 ? "never" : "keep")),
        );
        return;
      }
      case "Train":
        this.openClose(
          0,
          `train ${item.controller.name} on ${item.plant.name}`,
          item.span.start,
          item.plant.span.end,
          item.span,
          blank,
          item.settings.length,
          () => item.settings.forEach((s, i) => this.setting(1, s, i === 0 ? "never" : "keep")),
        );
        return;
    }
  }

  private openClose(depth: number, head: string, start: number, headEnd: number, span: A.Program["span"], blank: BlankPolicy, count: number, body: () => void): void {
    if (count === 0) {
      this.line(depth, `${head} {}`, start, span.end, blank);
      return;
    }
    this.line(depth, `${head} {`, start, headEnd, blank);
    body();
    this.line(depth, "}", span.end - 1, span.end, "never", true);
  }

  private blockItem(it: A.ControllerItem | A.PlantItem, blank: BlankPolicy): void {
    const d = 1;
    switch (it.kind) {
      case "Decl":
        this.line(d, declText(it), it.span.start, it.span.end, blank);
        return;
      case "Let":
        this.line(d, `let ${it.name.name} = ${formatExpr(it.value)}`, it.span.start, it.span.end, blank);
        return;
      case "Dynamics": {
        const lhs = it.form === "continuous" ? `der(${it.target.name})` : `${it.target.name}+`;
        const using = it.method ? ` using ${it.method}` : "";
        this.line(d, `dynamics ${lhs} = ${formatExpr(it.rhs)}${using}`, it.span.start, it.span.end, blank);
        return;
      }
      case "ScalarSetting":
        this.line(d, `${it.key} ${formatExpr(it.value)}`, it.span.start, it.span.end, blank);
        return;
      case "PlantCost":
        this.line(d, `${it.sense} ${formatExpr(it.expr)}`, it.span.start, it.span.end, blank);
        return;
      case "Objective": {
        it.terms.forEach((t, i) => {
          const kw = t.keywordSpan !== undefined || i > 0 ? `${t.costKind} ` : "";
          if (i === 0) this.line(d, `minimize ${kw}${formatExpr(t.expr)}`, it.span.start, t.span.end, blank);
          else this.line(d + 1, `+ ${kw}${formatExpr(t.expr)}`, t.span.start, t.span.end, "never");
        });
        return;
      }
      case "SubjectTo":
        this.line(d, "subject to", it.span.start, it.span.start + "subject".length, blank);
        it.constraints.forEach((c, i) => this.line(d + 1, constraintText(c), c.span.start, c.span.end, i === 0 ? "never" : "keep"));
        return;
    }
  }

  private setting(depth: number, s: A.Setting, blank: BlankPolicy): void {
    const head = [s.key.name, ...s.args.map(formatExpr)].join(" ");
    if (s.block === undefined) {
      this.line(depth, head, s.span.start, s.span.end, blank);
      return;
    }
    const headEnd = s.args.length > 0 ? s.args[s.args.length - 1].span.end : s.key.span.end;
    this.openClose(depth, head, s.span.start, headEnd, s.span, blank, s.block.length, () =>
      (s.block ?? []).forEach((c, i) => this.setting(depth + 1, c, i === 0 ? "never" : "keep")),
    );
  }
}

const BLANK_LINE = /\n[ \t\f\v\u00a0\ufeff]*\n/;
const BLANK_GAP = { test: (gap: string): boolean => BLANK_LINE.test(gap.replace(/\r\n?/g, "\n")) };

/** Lay out printed lines and comments (see the header comment). */
function layout(text: string, lines: OutLine[], comments: readonly A.Comment[], eol: string): string {
  const li = new LineIndex(text);
  const out: string[] = [];
  let ci = 0;
  let lastEnd = 0; // source offset of the end of what was emitted last
  let afterOpen = true; // nothing emitted yet, or the last line opened a block
  const pushBlankIf = (gapStart: number, gapEnd: number, policy: BlankPolicy): void => {
    if (out.length === 0 || afterOpen) return;
    if (policy === "always" || (policy === "keep" && BLANK_GAP.test(text.slice(gapStart, gapEnd)))) {
      if (out[out.length - 1] !== "") out.push("");
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const indent = INDENT.repeat(l.close ? l.depth + 1 : l.depth);
    // own-line comments before (or inside) this line
    let firstLeading = true;
    while (ci < comments.length && comments[ci].span.start < l.anchorEnd) {
      const c = comments[ci++];
      pushBlankIf(lastEnd, c.span.start, firstLeading && l.blank === "always" ? "always" : l.blank === "never" && firstLeading ? "never" : "keep");
      out.push(indent + c.text);
      afterOpen = false;
      firstLeading = false;
      lastEnd = Math.max(lastEnd, c.span.end);
    }
    const policy: BlankPolicy = firstLeading ? l.blank : l.blank === "always" ? "keep" : l.blank === "never" && l.close ? "never" : "keep";
    pushBlankIf(lastEnd, l.anchorStart, l.close ? "never" : policy);
    let textLine = INDENT.repeat(l.depth) + l.text;
    lastEnd = Math.max(lastEnd, l.anchorEnd);
    // trailing comments: start on the line where this line's source ends, before the next line's source
    const endLine = li.lineIndexOf(Math.max(l.anchorStart, l.anchorEnd - 1));
    const nextStart = i + 1 < lines.length ? lines[i + 1].anchorStart : Infinity;
    while (ci < comments.length && comments[ci].span.start < nextStart && li.lineIndexOf(comments[ci].span.start) === endLine) {
      const c = comments[ci++];
      textLine += "  " + c.text;
      lastEnd = Math.max(lastEnd, c.span.end);
    }
    out.push(textLine);
    afterOpen = l.text.endsWith("{");
  }
  // comments after the last item
  while (ci < comments.length) {
    const c = comments[ci++];
    pushBlankIf(lastEnd, c.span.start, "keep");
    out.push(c.text);
    afterOpen = false;
    lastEnd = c.span.end;
  }
  return out.length === 0 ? "" : out.map((s) => s.trimEnd()).join(eol) + eol;
}

function detectEol(text: string): string {
  const m = /\r\n|\n|\r/.exec(text);
  return m ? m[0] : "\n";
}

/** Format a whole file. Unchanged text (and the diagnostics) if it has syntax errors. */
export function format(text: string): { text: string; diagnostics: Diagnostic[] } {
  const { program, diagnostics } = parse(text);
  if (diagnostics.some((d) => d.severity === "error")) return { text, diagnostics };
  const printer = new Printer();
  printer.program(program);
  return { text: layout(text, printer.out, program.comments, detectEol(text)), diagnostics };
}

export interface RangeEdit {
  /** Offsets in the original text: replace [start, end) with newText. */
  start: number;
  end: number;
  newText: string;
}

/** Format only the top-level items overlapping [start, end): at most one edit replacing them. */
export function formatRange(text: string, start: number, end: number): { edits: RangeEdit[]; diagnostics: Diagnostic[] } {
  const formatted = format(text);
  if (formatted.diagnostics.some((d) => d.severity === "error")) return { edits: [], diagnostics: formatted.diagnostics };
  const before = parse(text).program.items;
  const after = parse(formatted.text).program.items;
  if (before.length !== after.length) return { edits: [], diagnostics: formatted.diagnostics };
  let first = -1;
  let last = -1;
  before.forEach((it, i) => {
    const overlaps = it.span.start < Math.max(end, start + 1) && it.span.end > start;
    if (overlaps) {
      if (first < 0) first = i;
      last = i;
    }
  });
  if (first < 0) return { edits: [], diagnostics: formatted.diagnostics };
  const oStart = before[first].span.start;
  const oEnd = before[last].span.end;
  const newText = formatted.text.slice(after[first].span.start, after[last].span.end);
  if (text.slice(oStart, oEnd) === newText) return { edits: [], diagnostics: formatted.diagnostics };
  return { edits: [{ start: oStart, end: oEnd, newText }], diagnostics: formatted.diagnostics };
}
