// Offset <-> line/column helpers. Offsets are UTF-16 code units (JavaScript string indices);
// lines and columns are 1-based; a line break is `\n`, `\r\n` or a lone `\r`.

import type { Span } from "./diagnostics.js";

/** Start offsets of every line of a text, for O(log n) offset -> line/column lookups. */
export class LineIndex {
  readonly lineStarts: number[];
  constructor(readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      }
    }
    this.lineStarts = starts;
  }

  /** Line of the previous lookup: lookups come mostly in source order, so it or the next line is
   *  usually the answer (no binary search). Only a hint: results never depend on it. */
  private lastLine = 0;

  /** 0-based line index containing `offset` (clamped to the text). */
  lineIndexOf(offset: number): number {
    const starts = this.lineStarts;
    const h = this.lastLine;
    if (starts[h] <= offset) {
      if (h + 1 >= starts.length || offset < starts[h + 1]) return h;
      if (h + 2 >= starts.length || offset < starts[h + 2]) return (this.lastLine = h + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    this.lastLine = lo;
    return lo;
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const li = this.lineIndexOf(o);
    return { line: li + 1, column: o - this.lineStarts[li] + 1 };
  }

  /** Offset of a 1-based line/column (clamped). */
  offsetAt(line: number, column: number): number {
    const li = Math.max(0, Math.min(line - 1, this.lineStarts.length - 1));
    return Math.min(this.text.length, this.lineStarts[li] + Math.max(0, column - 1));
  }

  span(start: number, end: number): Span {
    const s = Math.max(0, Math.min(start, this.text.length));
    const e = Math.max(s, Math.min(end, this.text.length));
    const la = this.lineIndexOf(s);
    // most spans are on one line: search the end's line from the start's
    let lb = la;
    const starts = this.lineStarts;
    for (let steps = 0; lb + 1 < starts.length && starts[lb + 1] <= e; steps++) {
      if (steps === 16) {
        lb = this.lineIndexOf(e);
        break;
      }
      lb++;
    }
    return { start: s, end: e, startLine: la + 1, startColumn: s - starts[la] + 1, endLine: lb + 1, endColumn: e - starts[lb] + 1 };
  }

  /** Text of a 0-based line without its line break. */
  lineText(lineIndex: number): string {
    const start = this.lineStarts[lineIndex] ?? this.text.length;
    let end = lineIndex + 1 < this.lineStarts.length ? this.lineStarts[lineIndex + 1] : this.text.length;
    while (end > start && (this.text.charCodeAt(end - 1) === 10 || this.text.charCodeAt(end - 1) === 13)) end--;
    return this.text.slice(start, end);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }
}

let cached: LineIndex | undefined;

/** A line index for `text`, reused when called repeatedly with the same text. */
export function lineIndexFor(text: string): LineIndex {
  if (cached === undefined || cached.text !== text) cached = new LineIndex(text);
  return cached;
}

/** The Span of offsets [start, end) in `text`. */
export function spanAt(text: string, start: number, end: number): Span {
  return lineIndexFor(text).span(start, end);
}

/** The smallest span covering both. */
export function joinSpans(a: Span, b: Span): Span {
  const first = a.start <= b.start ? a : b;
  const last = a.end >= b.end ? a : b;
  return {
    start: first.start,
    end: last.end,
    startLine: first.startLine,
    startColumn: first.startColumn,
    endLine: last.endLine,
    endColumn: last.endColumn,
  };
}
