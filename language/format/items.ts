// Items -> output lines (before comments are attached): the canonical layout of each item.

import type * as A from "../ast.js";
import type { LineIndex } from "../span.js";
import { formatExpr } from "./expr.js";
import { Builder, planFromSource, printExpr, printFitting, type Plan } from "./print.js";

export const INDENT = "  ";

export type BlankPolicy = "keep" | "never" | "always";

export interface OutLine {
  depth: number;
  /** Text after the indentation of `depth` (continuation lines start with their extra indentation). */
  text: string;
  /** Source range this line stands for (comments inside it move before it). */
  anchorStart: number;
  anchorEnd: number;
  blank: BlankPolicy;
  /** Own-line comments before a closing brace are indented one level deeper. */
  close?: boolean;
  /** A continuation line of a multi-line item (a matrix row): no blank line before it. */
  cont?: boolean;
  /** A one-line declaration or `let` with ` = `: where ` = ` starts in `text`, and the column
   *  (in characters) of its `=` in the source (runs of `=` aligned in the source stay aligned). */
  eq?: { at: number; srcCol: number };
}

type Part = string | A.Expr;

export class Printer {
  readonly out: OutLine[] = [];

  constructor(
    private readonly li: LineIndex,
    private readonly plan: Plan,
  ) {}

  private line(depth: number, text: string, start: number, end: number, blank: BlankPolicy, close = false): void {
    this.out.push({ depth, text, anchorStart: start, anchorEnd: end, blank, close });
  }

  /** A line made of text and expressions: one output line, or several if it holds a matrix
   *  literal printed one row per line. */
  /** The source column (in characters) of the first `=` in [from, to). */
  private eqColumn(from: number, to: number): number | undefined {
    const text = this.li.text;
    const at = text.slice(from, to).indexOf("=");
    if (at < 0) return undefined;
    const lineStart = this.li.lineStarts[this.li.lineIndexOf(from + at)];
    let col = 0;
    for (const _ of text.slice(lineStart, from + at)) col++;
    return col;
  }

  private item(depth: number, parts: readonly Part[], start: number, end: number, blank: BlankPolicy, hugOnly = false, eq?: { at: number; from: number; to: number }): void {
    const exprs = parts.filter((p): p is A.Expr => typeof p !== "string");
    planFromSource(exprs, this.li, this.plan, hugOnly);
    const segs = printFitting(exprs, depth * INDENT.length, this.plan, () => {
      const b = new Builder(start);
      for (const p of parts) {
        if (typeof p === "string") b.add(p);
        else printExpr(b, p, this.plan);
      }
      return b.finish(end);
    });
    segs.forEach((s, i) => {
      if (i === 0) {
        this.line(depth, s.text, start, segs.length === 1 ? end : s.end, blank);
        const srcCol = eq && segs.length === 1 ? this.eqColumn(eq.from, eq.to) : undefined;
        if (eq && srcCol !== undefined) this.out[this.out.length - 1].eq = { at: eq.at, srcCol };
      }
      else this.out.push({ depth, text: s.text, anchorStart: s.start, anchorEnd: s.end, blank: "never", cont: true });
    });
  }

  /** Print a program; the top-level items in `flatItems` with every expression on one line. */
  program(p: A.Program, flatItems: ReadonlySet<number> | "all" = new Set()): void {
    let prevBlock = false;
    p.items.forEach((item, i) => {
      this.plan.flat = flatItems === "all" || flatItems.has(i);
      const isBlock = item.kind !== "Decl";
      const blank: BlankPolicy = i === 0 ? "never" : isBlock || prevBlock ? "always" : "keep";
      prevBlock = isBlock;
      this.topItem(item, blank);
    });
  }

  private topItem(item: A.TopItem, blank: BlankPolicy): void {
    switch (item.kind) {
      case "Decl":
        this.decl(0, item, blank);
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

  private decl(depth: number, d: A.Decl, blank: BlankPolicy): void {
    let head = d.declKind;
    if (d.structure) head += ` ${d.structure}`;
    head += ` ${d.name.name}`;
    if (d.dims) head += `[${d.dims.map(formatExpr).join(", ")}]`;
    const parts: Part[] = [head];
    if (d.init) parts.push(" = ", d.init);
    if (d.bounds) parts.push(" in [", d.bounds.lower, ", ", d.bounds.upper, "]");
    const headEnd = d.dims && d.dims.length > 0 ? d.dims[d.dims.length - 1].span.end : d.name.span.end;
    const eq = d.init ? { at: head.length, from: headEnd, to: d.init.span.start } : undefined;
    this.item(depth, parts, d.span.start, d.span.end, blank, false, eq);
  }

  private blockItem(it: A.ControllerItem | A.PlantItem, blank: BlankPolicy): void {
    const d = 1;
    switch (it.kind) {
      case "Decl":
        this.decl(d, it, blank);
        return;
      case "Let":
        this.item(d, [`let ${it.name.name} = `, it.value], it.span.start, it.span.end, blank, false, {
          at: `let ${it.name.name}`.length,
          from: it.name.span.end,
          to: it.value.span.start,
        });
        return;
      case "Dynamics": {
        const lhs = it.form === "continuous" ? `der(${it.target.name})` : `${it.target.name}+`;
        const using = it.method ? ` using ${it.method}` : "";
        const parts: Part[] = [`dynamics ${lhs} = `, it.rhs, using];
        if (it.method && it.substepsExpr) parts.push("(", it.substepsExpr, ")");
        this.item(d, parts, it.span.start, it.span.end, blank);
        return;
      }
      case "Solver": {
        const parts: Part[] = [`solver ${it.method}`];
        if (it.options.length > 0) {
          parts.push("(");
          it.options.forEach((o, i) => parts.push(i === 0 ? "" : ", ", `${o.name.name} = `, o.value));
          parts.push(")");
        }
        this.item(d, parts, it.span.start, it.span.end, blank);
        return;
      }
      case "ScalarSetting":
        this.item(d, [`${it.key} `, it.value], it.span.start, it.span.end, blank);
        return;
      case "PlantCost":
        this.item(d, [`${it.sense} `, it.expr], it.span.start, it.span.end, blank);
        return;
      case "Objective": {
        it.terms.forEach((t, i) => {
          const kw = t.keywordSpan !== undefined || i > 0 ? `${t.costKind} ` : "";
          if (i === 0) this.item(d, [`minimize ${kw}`, t.expr], it.span.start, t.span.end, blank);
          else this.item(d + 1, [`+ ${kw}`, t.expr], t.span.start, t.span.end, "never");
        });
        return;
      }
      case "SubjectTo":
        this.line(d, "subject to", it.span.start, it.span.start + "subject".length, blank);
        it.constraints.forEach((c, i) => this.constraint(d + 1, c, i === 0 ? "never" : "keep"));
        return;
    }
  }

  private constraint(depth: number, c: A.Constraint, blank: BlankPolicy): void {
    const parts: Part[] = [];
    if (c.soft) parts.push("soft ");
    if (c.terminal) parts.push("terminal ");
    parts.push(c.operands[0]);
    for (let i = 0; i < c.ops.length; i++) parts.push(` ${c.ops[i]} `, c.operands[i + 1]);
    if (c.range) parts.push(` for ${c.range.index.name} in `, c.range.from, "..", c.range.to);
    if (c.penalty) {
      parts.push(" penalty");
      if (c.penalty.linear) parts.push(" linear ", c.penalty.linear);
      if (c.penalty.quadratic) parts.push(" quadratic ", c.penalty.quadratic);
    }
    this.item(depth, parts, c.span.start, c.span.end, blank, true);
  }

  private setting(depth: number, s: A.Setting, blank: BlankPolicy): void {
    if (s.block === undefined) {
      const parts: Part[] = [s.key.name];
      for (const a of s.args) parts.push(" ", a);
      this.item(depth, parts, s.span.start, s.span.end, blank);
      return;
    }
    const head = [s.key.name, ...s.args.map(formatExpr)].join(" ");
    const headEnd = s.args.length > 0 ? s.args[s.args.length - 1].span.end : s.key.span.end;
    this.openClose(depth, head, s.span.start, headEnd, s.span, blank, s.block.length, () =>
      (s.block ?? []).forEach((c, i) => this.setting(depth + 1, c, i === 0 ? "never" : "keep")),
    );
  }
}
