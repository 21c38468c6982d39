// The syntactic context at the cursor, computed from the text (so that it works while the file is
// half-typed and the AST is broken): which kind of block encloses the cursor and what precedes it
// on its line.

import type { BlockContext } from "./keywords.js";

export interface CursorContext {
  readonly block: BlockContext;
  /** Name of the enclosing controller/plant block, or the controller of a train block. */
  readonly blockName?: string;
  /** Text of the line before the cursor, without the word being typed. */
  readonly linePrefix: string;
  /** The partial word being typed. */
  readonly partial: string;
  /** For a nested settings block, the words of its header (`algorithm q_learning`). */
  readonly settingsHeader?: readonly string[];
  /** The previous word on the line, if any (e.g. `using`, `learnable`). */
  readonly previousWord?: string;
}

/** Removes comments (keeping offsets) so braces inside comments do not count. */
function blankComments(text: string): string {
  return text.replace(/\/\/[^\n]*|\/\*[\s\S]*?(\*\/|$)/g, (m) => m.replace(/[^\n]/g, " "));
}

/** The word (`[A-Za-z_][A-Za-z0-9_]*`) ending at `end`, by a backward scan: a RegExp anchored at the
 *  end (`/\w+$/`) retries from every character of a long word, quadratic in its length. */
export function wordEndingAt(text: string, end: number): { word: string; start: number } | undefined {
  let start = end;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1] ?? "")) start--;
  while (start < end && /[0-9]/.test(text[start] ?? "")) start++;
  return start < end ? { word: text.slice(start, end), start } : undefined;
}

export function cursorContext(text: string, offset: number): CursorContext {
  const src = blankComments(text.slice(0, offset));
  const stack: { block: BlockContext; name?: string; header?: string[] }[] = [];
  let segmentStart = 0;
  // First non-blank character after the last newline looked at (each blank run is scanned once).
  let nonBlank = 0;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (ch === "{") {
      const words = src.slice(segmentStart, i).match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
      const head = words[0];
      if (head === "controller" || head === "plant") stack.push({ block: head, name: words[1] });
      else if (head === "train") stack.push({ block: "train", name: words[1] });
      else stack.push({ block: "settings", header: words });
      segmentStart = i + 1;
    } else if (ch === "}") {
      stack.pop();
      segmentStart = i + 1;
    } else if (ch === "\n") {
      // A block header may span lines only rarely; a new line starts a new statement.
      if (nonBlank <= i) {
        nonBlank = i + 1;
        while (nonBlank < src.length && /\s/.test(src[nonBlank] ?? "")) nonBlank++;
      }
      if (src[nonBlank] !== "{") segmentStart = i + 1;
    }
  }
  const top = stack[stack.length - 1];
  const outer = stack.find((s) => s.block !== "settings");
  const lineStart = src.lastIndexOf("\n") + 1;
  const line = src.slice(lineStart);
  const partial = wordEndingAt(line, line.length)?.word ?? "";
  const linePrefix = line.slice(0, line.length - partial.length);
  const words = linePrefix.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  return {
    block: top?.block ?? "top",
    blockName: outer?.name,
    linePrefix,
    partial,
    settingsHeader: top?.header,
    previousWord: /[A-Za-z0-9_]\s+$/.test(linePrefix) ? words[words.length - 1] : undefined,
  };
}
