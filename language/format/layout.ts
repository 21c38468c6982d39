// Printed lines + comments -> text. Every comment is re-attached by position:
//  - a comment on the line where a printed line's source ends stays at the end of that line;
//  - any other comment goes on its own line before the next printed line (comments that were
//    inside a one-line construct move just before it);
//  - one blank line is kept where the source had one or more (never right after `{`, before `}`
//    or inside a multi-line item), and top-level blocks are always separated by one blank line;
//  - trailing comments of consecutive lines are aligned to one column (two spaces after the
//    longest line of the run); a blank line, an own-line comment, a line without a trailing
//    comment or a line that opens or closes a block ends a run.

import type * as A from "../ast.js";
import { LineIndex } from "../span.js";
import { INDENT, type BlankPolicy, type OutLine } from "./items.js";

const BLANK_LINE = /\n[ \t\f\v\u00a0\ufeff]*\n/;
const BLANK_GAP = { test: (gap: string): boolean => BLANK_LINE.test(gap.replace(/\r\n?/g, "\n")) };

interface Emitted {
  /** The line without its trailing comments ("" for a blank line). */
  code: string;
  /** Trailing comments, joined by two spaces. */
  trailing: string;
  /** Whether a run of aligned trailing comments may go through this line. */
  alignable: boolean;
  /** A one-line declaration or `let`: where ` = ` starts in `code`, and its source column. */
  eq?: { at: number; srcCol: number };
}

export function layout(text: string, lines: readonly OutLine[], comments: readonly A.Comment[], eol: string): string {
  const li = new LineIndex(text);
  const out: Emitted[] = [];
  const push = (code: string, trailing = "", alignable = false): void => {
    out.push({ code: code.trimEnd(), trailing, alignable });
  };
  let ci = 0;
  let lastEnd = 0; // source offset of the end of what was emitted last
  let afterOpen = true; // nothing emitted yet, or the last line opened a block
  const pushBlankIf = (gapStart: number, gapEnd: number, policy: BlankPolicy): void => {
    if (out.length === 0 || afterOpen) return;
    if (policy === "always" || (policy === "keep" && BLANK_GAP.test(text.slice(gapStart, gapEnd)))) {
      if (out[out.length - 1].code !== "" || out[out.length - 1].trailing !== "") push("");
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const base = INDENT.repeat(l.depth);
    const commentIndent = l.close ? INDENT.repeat(l.depth + 1) : base + (l.cont ? (/^ */.exec(l.text)?.[0] ?? "") : "");
    // own-line comments before (or inside) this line
    let firstLeading = true;
    while (ci < comments.length && comments[ci].span.start < l.anchorEnd) {
      const c = comments[ci++];
      const policy: BlankPolicy = l.cont ? "never" : firstLeading && l.blank === "always" ? "always" : l.blank === "never" && firstLeading ? "never" : "keep";
      pushBlankIf(lastEnd, c.span.start, policy);
      push(commentIndent + c.text);
      afterOpen = false;
      firstLeading = false;
      lastEnd = Math.max(lastEnd, c.span.end);
    }
    const policy: BlankPolicy = firstLeading ? l.blank : l.blank === "always" ? "keep" : l.blank === "never" && l.close ? "never" : "keep";
    pushBlankIf(lastEnd, l.anchorStart, l.close || l.cont ? "never" : policy);
    const code = base + l.text;
    lastEnd = Math.max(lastEnd, l.anchorEnd);
    // trailing comments: start on the line where this line's source ends, before the next line's source
    const endLine = li.lineIndexOf(Math.max(l.anchorStart, l.anchorEnd - 1));
    const nextStart = i + 1 < lines.length ? lines[i + 1].anchorStart : Infinity;
    const trailing: string[] = [];
    while (ci < comments.length && comments[ci].span.start < nextStart && li.lineIndexOf(comments[ci].span.start) === endLine) {
      const c = comments[ci++];
      trailing.push(c.text);
      lastEnd = Math.max(lastEnd, c.span.end);
    }
    afterOpen = l.text.endsWith("{");
    push(code, trailing.join("  "), !afterOpen && !l.close);
    if (l.eq) out[out.length - 1].eq = { at: base.length + l.eq.at, srcCol: l.eq.srcCol };
  }
  // comments after the last item
  while (ci < comments.length) {
    const c = comments[ci++];
    pushBlankIf(lastEnd, c.span.start, "keep");
    push(c.text);
    afterOpen = false;
    lastEnd = c.span.end;
  }
  alignEquals(out);
  alignTrailing(out);
  return out.length === 0 ? "" : out.map((e) => (e.trailing === "" ? e.code : e.code + e.trailing)).join(eol) + eol;
}

/** Declarations whose `=` were aligned in the source stay aligned: a run of consecutive one-line
 *  declarations or `let`s with the same indentation whose `=` were in one source column gets its
 *  `=` in one column, one space after the longest name. */
function alignEquals(out: Emitted[]): void {
  const indent = (e: Emitted): number => /^ */.exec(e.code)![0].length;
  let i = 0;
  while (i < out.length) {
    const first = out[i].eq;
    if (first === undefined) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < out.length && out[j].eq?.srcCol === first.srcCol && indent(out[j]) === indent(out[i])) j++;
    if (j - i >= 2) {
      const run = out.slice(i, j);
      const col = Math.max(...run.map((e) => width(e.code.slice(0, e.eq!.at))));
      for (const e of run) {
        const head = e.code.slice(0, e.eq!.at);
        e.code = head + " ".repeat(col - width(head)) + e.code.slice(e.eq!.at);
      }
    }
    i = j;
  }
}

/** Pad the code of each line with a trailing comment so that the comments of a run of consecutive
 *  lines start in one column. */
function alignTrailing(out: Emitted[]): void {
  let i = 0;
  while (i < out.length) {
    if (out[i].trailing === "") {
      i++;
      continue;
    }
    let j = i + 1;
    if (out[i].alignable) while (j < out.length && out[j].trailing !== "" && out[j].alignable) j++;
    const col = Math.max(...out.slice(i, j).map((e) => width(e.code))) + 2;
    for (let k = i; k < j; k++) out[k].code += " ".repeat(col - width(out[k].code));
    i = j;
  }
}

/** Width of a line in characters (code points, not UTF-16 units). */
export function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
