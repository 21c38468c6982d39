// Terminal rendering of diagnostics in the style of rustc:
//
//   error[MPC3001]: cannot add shapes 2x1 and 3x1
//     --> linear_mpc.mpcrl:12:18
//      |
//   12 |   dynamics x+ = A*x + f
//      |                 ---   ^ 3x1
//      |                 |
//      |                 2x1
//      |
//      = help: ...
//
// Primary ranges get `^`, related ranges `-`; each annotated line is shown once with all of its
// annotations; gaps between shown lines are elided with `...`; tabs are expanded to 4 columns.

import type { Diagnostic, Severity, Span } from "./diagnostics.js";
import { LineIndex } from "./span.js";

export interface RenderOptions {
  /** ANSI colors (default false; the CLI turns them on for a TTY without NO_COLOR). */
  color?: boolean;
}

const TAB = 4;
/** A multi-line span longer than this shows only its first and last lines. */
const MAX_SPAN_LINES = 4;

interface Style {
  bold(s: string): string;
  sev(sev: Severity, s: string): string;
  secondary(s: string): string;
}

function makeStyle(color: boolean): Style {
  const wrap = (code: string) => (s: string) => (color && s.length > 0 ? `\u001b[${code}m${s}\u001b[0m` : s);
  const sevCode: Record<Severity, string> = { error: "1;31", warning: "1;33", info: "1;36", hint: "1;32" };
  return {
    bold: wrap("1"),
    sev: (sev, s) => wrap(sevCode[sev])(s),
    secondary: wrap("1;34"),
  };
}

interface Annotation {
  line: number; // 0-based line index
  start: number; // display column, 0-based
  end: number; // display column, exclusive (>= start + 1)
  label: string;
  primary: boolean;
}

/** Display column (0-based) of a UTF-16 column offset within a line, with tabs expanded. */
function displayColumn(line: string, utf16Col: number): number {
  let col = 0;
  for (let i = 0; i < Math.min(utf16Col, line.length); i++) {
    const c = line.charCodeAt(i);
    if (c === 9) col += TAB - (col % TAB);
    else if (c >= 0xdc00 && c <= 0xdfff) continue; // low surrogate: same character
    else col += 1;
  }
  return col + Math.max(0, utf16Col - line.length);
}

function expandTabs(line: string): string {
  let out = "";
  let col = 0;
  for (const ch of line) {
    if (ch === "\t") {
      const n = TAB - (col % TAB);
      out += " ".repeat(n);
      col += n;
    } else {
      // control characters would garble the terminal
      out += ch.charCodeAt(0) < 32 || ch === "\u007f" ? "\ufffd" : ch;
      col += 1;
    }
  }
  return out;
}

function annotationsOf(lines: LineIndex, span: Span, label: string, primary: boolean): Annotation[] {
  const first = lines.lineIndexOf(span.start);
  const last = lines.lineIndexOf(Math.max(span.start, span.end - 1));
  const firstText = lines.lineText(first);
  const startCol = displayColumn(firstText, span.start - lines.lineStarts[first]);
  if (first === last || span.end <= span.start) {
    const endCol = displayColumn(firstText, span.end - lines.lineStarts[first]);
    return [{ line: first, start: startCol, end: Math.max(endCol, startCol + 1), label, primary }];
  }
  // Multi-line: underline the rest of the first line and the start of the last line (label there).
  const firstEnd = Math.max(displayColumn(firstText, firstText.length), startCol + 1);
  const lastText = lines.lineText(last);
  const indent = lastText.length - lastText.trimStart().length;
  const lastStart = displayColumn(lastText, indent);
  const lastEnd = Math.max(displayColumn(lastText, span.end - lines.lineStarts[last]), lastStart + 1);
  return [
    { line: first, start: startCol, end: firstEnd, label: "", primary },
    { line: last, start: lastStart, end: lastEnd, label, primary },
  ];
}

function renderLineAnnotations(anns: Annotation[], style: Style, sev: Severity): string[] {
  const sorted = [...anns].sort((a, b) => a.start - b.start || a.end - b.end);
  const paint = (a: Annotation, s: string): string => (a.primary ? style.sev(sev, s) : style.secondary(s));
  // Row 1: all underlines (secondary first so primary carets win where they overlap).
  const width = Math.max(...sorted.map((a) => a.end));
  const cells: { ch: string; ann: Annotation | undefined }[] = Array.from({ length: width }, () => ({ ch: " ", ann: undefined }));
  for (const a of [...sorted.filter((x) => !x.primary), ...sorted.filter((x) => x.primary)]) {
    for (let c = a.start; c < a.end; c++) cells[c] = { ch: a.primary ? "^" : "-", ann: a };
  }
  let row1 = "";
  for (let c = 0; c < cells.length; ) {
    const cell = cells[c];
    let run = "";
    const ann = cell.ann;
    while (c < cells.length && cells[c].ann === ann) run += cells[c++].ch;
    row1 += ann ? paint(ann, run) : run;
  }
  const labelled = sorted.filter((a) => a.label.length > 0);
  const rows: string[] = [];
  // The rightmost labelled annotation gets its label inline if nothing starts after it.
  const last = labelled[labelled.length - 1];
  const pending = [...labelled];
  if (last !== undefined && sorted.every((a) => a === last || a.start < last.start || a.end <= last.start)) {
    const trailing = sorted.filter((a) => a.start >= last.start && a !== last).length === 0;
    if (trailing) {
      row1 += " " + paint(last, last.label);
      pending.pop();
    }
  }
  rows.push(row1.trimEnd());
  // The others, right to left, hang below their start column.
  while (pending.length > 0) {
    const a = pending[pending.length - 1];
    let connector = "";
    let labelRow = "";
    for (const p of pending) {
      connector = connector.padEnd(p.start) + paint(p, "|");
      if (p !== a) labelRow = labelRow.padEnd(p.start) + paint(p, "|");
    }
    rows.push(padVisible(connector));
    rows.push(padTo(labelRow, a.start) + paint(a, a.label));
    pending.pop();
  }
  return rows;
}

/** Pad a string that may contain ANSI escapes to a visible width. */
function padTo(s: string, width: number): string {
  const visible = s.replace(/\u001b\[[0-9;]*m/g, "").length;
  return s + " ".repeat(Math.max(0, width - visible));
}
function padVisible(s: string): string {
  return s;
}

function severityWord(sev: Severity): string {
  return sev === "hint" ? "help" : sev;
}

export function renderDiagnostic(text: string, d: Diagnostic, fileName: string, options: RenderOptions = {}, lines = new LineIndex(text)): string {
  const style = makeStyle(options.color === true);
  const sev = d.severity;
  const out: string[] = [];
  out.push(`${style.sev(sev, `${severityWord(sev)}[${d.code}]`)}${style.bold(`: ${d.message}`)}`);

  const anns: Annotation[] = [...annotationsOf(lines, d.span, d.label ?? "", true)];
  for (const r of d.related ?? []) anns.push(...annotationsOf(lines, r.span, r.label, false));
  const byLine = new Map<number, Annotation[]>();
  for (const a of anns) {
    const list = byLine.get(a.line) ?? [];
    list.push(a);
    byLine.set(a.line, list);
  }
  // Lines of multi-line primary spans in between first and last (up to MAX_SPAN_LINES) are shown too.
  const shown = new Set<number>(byLine.keys());
  const pFirst = lines.lineIndexOf(d.span.start);
  const pLast = lines.lineIndexOf(Math.max(d.span.start, d.span.end - 1));
  if (pLast > pFirst && pLast - pFirst < MAX_SPAN_LINES) for (let l = pFirst; l <= pLast; l++) shown.add(l);
  const lineNos = [...shown].sort((a, b) => a - b);
  const gutter = String(Math.max(...lineNos) + 1).length;
  const pad = " ".repeat(gutter);
  const bar = style.secondary("|");
  out.push(`${pad}${style.secondary("-->")} ${fileName}:${d.span.startLine}:${d.span.startColumn}`);
  out.push(`${pad} ${bar}`);
  let prev = -2;
  for (const l of lineNos) {
    if (prev >= 0 && l > prev + 1) out.push(style.secondary("..."));
    prev = l;
    const src = expandTabs(lines.lineText(l));
    out.push(`${style.secondary(String(l + 1).padStart(gutter))} ${bar}${src.length > 0 ? " " + src : ""}`);
    const la = byLine.get(l);
    if (la === undefined) continue;
    for (const row of renderLineAnnotations(la, style, sev)) out.push(`${pad} ${bar} ${row}`.trimEnd());
  }
  const notes = d.notes ?? [];
  const help = d.help ?? (d.edits && d.edits.length > 0 ? d.edits[0].title : undefined);
  if (notes.length > 0 || help !== undefined) {
    out.push(`${pad} ${bar}`);
    for (const n of notes) out.push(`${pad} ${style.secondary("=")} ${style.bold("note")}: ${n}`);
    if (help !== undefined) out.push(`${pad} ${style.secondary("=")} ${style.bold("help")}: ${help}`);
  }
  return out.join("\n");
}

/** Every diagnostic, separated by blank lines, then a summary line (nothing at all if clean). */
export function renderDiagnostics(text: string, diagnostics: readonly Diagnostic[], fileName: string, options: RenderOptions = {}): string {
  if (diagnostics.length === 0) return "";
  const lines = new LineIndex(text);
  const style = makeStyle(options.color === true);
  const parts = diagnostics.map((d) => renderDiagnostic(text, d, fileName, options, lines));
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  const counts: string[] = [];
  if (errors > 0) counts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings > 0) counts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  const summary = counts.length > 0 ? `${style.sev(errors > 0 ? "error" : "warning", errors > 0 ? "error" : "warning")}${style.bold(`: ${counts.join(", ")} emitted`)}` : "";
  return parts.join("\n\n") + "\n" + (summary ? "\n" + summary + "\n" : "");
}
