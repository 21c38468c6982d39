// parse(text): lexing, a nesting guard, top-level splitting, Chevrotain parsing with recovery and
// CST -> AST building. Never throws: any input gives a Program and diagnostics.

import type { IToken } from "chevrotain";
import type { Comment, Program, TopItem } from "../ast.js";
import type { Diagnostic } from "../diagnostics.js";
import {
  lex, Kw, LBrace, RBrace, LBracket, RBracket, LParen, RParen, LineEnd, Le, Ge, EqEq, Lt, Gt, Star,
  Slash, DotStar, DotSlash, Caret, Quote, Plus, Minus, Comma, DotDot, Equals,
} from "../lexer.js";
import { LineIndex } from "../span.js";
import { AstBuilder } from "./build.js";
import { recognitionErrorToDiagnostic } from "./errors.js";
import { parserInstance } from "./grammar.js";
import { fixMisspelledItemKeywords } from "./recover.js";

/** Deepest bracket nesting accepted (the recursive-descent parser recurses per level). */
export const MAX_NESTING = 64;
/** At most this many syntax errors are reported per file (the rest are cascades or junk). */
export const MAX_SYNTAX_ERRORS = 100;

export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}

const alwaysTop = new Set([Kw.controller, Kw.plant, Kw.train]);
const topAtDepth0 = new Set([Kw.const, Kw.state, Kw.input, Kw.param, Kw.runtime, Kw.disturbance, Kw.learnable]);

export function parse(text: string): ParseResult {
  try {
    return parseUnsafe(text);
  } catch (err) {
    // Defensive: a bug must not crash an editor or the CLI. Report it as a diagnostic.
    const lines = new LineIndex(text);
    return {
      program: { kind: "Program", id: 0, items: [], comments: [], span: lines.span(0, text.length) },
      diagnostics: [
        {
          severity: "error",
          code: "MPC1000",
          message: `internal parser error: ${err instanceof Error ? err.message : String(err)}`,
          span: lines.span(0, 0),
          notes: ["this is a bug in mpcrl; please report it with the file"],
        },
      ],
    };
  }
}

function parseUnsafe(text: string): ParseResult {
  const lines = new LineIndex(text);
  const lexed = lex(text, lines);
  const diagnostics: Diagnostic[] = [...lexed.diagnostics];
  if (diagnostics.length > MAX_SYNTAX_ERRORS) diagnostics.length = MAX_SYNTAX_ERRORS;

  const suppressAt = new Set<number>();
  const tokens = guardNesting(lexed.tokens, lines, diagnostics, suppressAt);
  // Diagnostics after which the tokens were repaired and nothing is lost (a closer re-typed, a
  // misspelled keyword read as the keyword): they do not mark their block as broken.
  const lossless = new Set<Diagnostic>(diagnostics.filter((d) => d.code === "MPC1003"));
  const before = diagnostics.length;
  fixMismatchedClosers(tokens, lines, diagnostics);
  for (let i = before; i < diagnostics.length; i++) lossless.add(diagnostics[i]);
  const retyped = fixMisspelledItemKeywords(tokens, lines, diagnostics);
  for (const d of retyped.itemFixes) lossless.add(d);
  const withLineEnds = insertLineEnds(tokens);
  const builder = new AstBuilder(lines, 1, retyped.keywords);
  const items: TopItem[] = [];
  const parser = parserInstance;
  let syntaxErrors = 0;
  const chunks = splitTopLevel(withLineEnds);
  for (let ci = 0; ci < chunks.length; ci++) {
    const chunk = chunks[ci];
    const next = chunks[ci + 1]?.[0];
    parser.input = chunk;
    const cst = parser.topItem();
    const seen = new Set<string>();
    let prevErrorIdx = -2;
    const indexOf = (t: IToken): number => {
      // binary search by offset in the chunk
      let lo = 0;
      let hi = chunk.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (chunk[mid].startOffset === t.startOffset) return mid;
        if (chunk[mid].startOffset < t.startOffset) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    };
    for (const e of parser.errors) {
      const idx = Number.isFinite(e.token.startOffset) ? indexOf(e.token) : -1;
      // An error on the token right after the previous error's token, on the same line, is a cascade.
      const cascade = idx >= 0 && idx === prevErrorIdx + 1 && chunk[prevErrorIdx]?.startLine === e.token.startLine;
      if (idx >= 0) prevErrorIdx = idx;
      if (cascade) continue;
      const d = recognitionErrorToDiagnostic(e, { tokens: chunk, next, lines, textLength: text.length });
      if (d === undefined || suppressAt.has(e.token.startOffset)) continue;
      const key = `${d.span.start}:${d.code}`;
      if (seen.has(key)) continue; // one error of a kind per position: the rest is cascade
      seen.add(key);
      if (syntaxErrors < MAX_SYNTAX_ERRORS) {
        diagnostics.push(d);
        syntaxErrors++;
      }
    }
    const item = builder.topItem(cst);
    if (item !== undefined) items.push(item);
  }
  for (const d of builder.diagnostics) if (LOSSLESS_BUILDER_CODES.has(d.code)) lossless.add(d);
  diagnostics.push(...builder.diagnostics);
  markBlocksWithSyntaxErrors(items, diagnostics.filter((d) => !lossless.has(d)));

  const comments: Comment[] = lexed.comments.map((c) => ({
    text: c.image,
    span: lines.span(c.startOffset, c.startOffset + c.image.length),
  }));
  if (withLineEnds.length === 0 && lexed.diagnostics.length === 0) {
    diagnostics.push({
      severity: "warning",
      code: "MPC1015",
      message: "the file contains no items",
      span: lines.span(0, 0),
      label: "empty file",
      help: "declare a `controller` block (see docs/language.md)",
    });
  }
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  const program: Program = { kind: "Program", id: builder.id(), items, comments, span: lines.span(0, text.length) };
  return { program, diagnostics };
}

/** Syntax errors the AST builder reports on items it keeps whole (`<` read as `<=`, an unknown
 *  `using` method, a structure on a non-learnable, a missing `+` in `x+`, an empty penalty). */
const LOSSLESS_BUILDER_CODES = new Set(["MPC1011", "MPC1013", "MPC1014", "MPC1016", "MPC1018"]);

/** Sets `hasSyntaxErrors` on each controller/plant block that contains a syntax error after which an
 *  item may be missing or partial (the checker then does not report what such an item would cause). */
function markBlocksWithSyntaxErrors(items: TopItem[], diagnostics: readonly Diagnostic[]): void {
  const errorStarts = diagnostics.filter((d) => d.severity === "error").map((d) => d.span.start);
  if (errorStarts.length === 0) return;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind !== "Controller" && item.kind !== "Plant") continue;
    const { start, end } = item.span;
    if (errorStarts.some((s) => s >= start && s <= end)) items[i] = { ...item, hasSyntaxErrors: true };
  }
}

const closerFor = new Map([
  [LParen, RParen],
  [LBracket, RBracket],
]);

/** A `)` closing a `[` (or `]` closing a `(`) is reported once (MPC1005, with the fix) and read as
 *  the expected closer, so that the rest parses as intended. Not when the closer matches the
 *  enclosing opener: then the inner one is unclosed, which the parser reports. */
function fixMismatchedClosers(tokens: IToken[], lines: LineIndex, diagnostics: Diagnostic[]): void {
  const stack: IToken[] = [];
  for (const t of tokens) {
    const tt = t.tokenType;
    if (tt === LParen || tt === LBracket || tt === LBrace) stack.push(t);
    else if (tt === RBrace) {
      // a `}` closes its `{` and everything left open inside it (the parser reports those)
      while (stack.length > 0 && stack[stack.length - 1].tokenType !== LBrace) stack.pop();
      stack.pop();
    } else if (tt === RParen || tt === RBracket) {
      const top = stack[stack.length - 1];
      if (top === undefined || top.tokenType === LBrace) continue; // stray closer: the parser reports it
      const expected = closerFor.get(top.tokenType);
      if (expected === tt) {
        stack.pop();
        continue;
      }
      const below = stack[stack.length - 2];
      if (below !== undefined && closerFor.get(below.tokenType) === tt) continue; // `top` is the unclosed one
      if (expected === undefined) continue;
      const want = expected === RParen ? ")" : "]";
      const what = top.tokenType === LBracket ? "this bracket" : "these parentheses";
      const span = lines.span(t.startOffset, t.startOffset + 1);
      diagnostics.push({
        severity: "error",
        code: "MPC1005",
        message: `expected \`${want}\` to close ${what}, found \`${t.image}\``,
        span,
        label: `expected \`${want}\``,
        related: [{ span: lines.span(top.startOffset, top.startOffset + 1), label: `unclosed \`${top.image}\`` }],
        help: `replace \`${t.image}\` with \`${want}\``,
        edits: [{ span, newText: want, title: `replace with \`${want}\`` }],
      });
      t.tokenType = expected;
      t.tokenTypeIdx = expected.tokenTypeIdx ?? t.tokenTypeIdx;
      stack.pop();
    }
  }
}

/** Words that end a `subject to` section (they start another item). */
const sectionEnders = new Set(
  ["state", "input", "param", "runtime", "disturbance", "const", "learnable", "let", "horizon", "discount", "timestep",
   "episode", "dynamics", "minimize", "subject", "cost", "reward", "solver", "controller", "plant", "train"].map((w) => Kw[w as keyof typeof Kw]),
);
/** A line starting with one of these continues the constraint of the previous line. */
const continuesConstraint = new Set([Kw.for, Kw.penalty, Kw.linear, Kw.quadratic, Le, Ge, EqEq, Lt, Gt, Star, Slash, DotStar, DotSlash, Caret, Quote]);

/** A line ending with one of these continues on the next line (it cannot end a constraint). */
const cannotEndConstraint = new Set([
  Plus, Minus, Star, Slash, DotStar, DotSlash, Caret, Le, Ge, EqEq, Lt, Gt, Comma, DotDot, Equals,
  Kw.for, Kw.in, Kw.penalty, Kw.linear, Kw.quadratic, Kw.soft, Kw.terminal,
]);

/** The tokens with, in each `subject to` section, a LineEnd token after every line that ends a
 *  constraint (outside brackets): one constraint per line, and line-based error recovery (docs/language.md). */
function insertLineEnds(tokens: IToken[]): IToken[] {
  const out: IToken[] = [];
  let inSection = false;
  let sectionHasTokens = false;
  let braceDepth = 0;
  const lineEndAfter = (prev: IToken): IToken => {
    const end = prev.startOffset + prev.image.length;
    // same fields in the same order as the lexer's tokens (one object shape for the parser)
    const lineEnd: IToken = {
      image: "",
      startOffset: end,
      endOffset: end - 1,
      startLine: prev.endLine,
      endLine: prev.endLine,
      startColumn: prev.endColumn,
      endColumn: prev.endColumn,
      tokenTypeIdx: LineEnd.tokenTypeIdx ?? 0,
      tokenType: LineEnd,
    };
    return lineEnd;
  };
  const n = tokens.length;
  // `(`/`[` nesting depth of each token. Not stored on the tokens: an extra property on every
  // token object costs an allocation each. An item keyword is never inside an expression: an
  // unclosed bracket does not leak past it.
  let bracketDepth = 0;
  for (let i = 0; i < n; i++) {
    const t = tokens[i];
    const tt = t.tokenType;
    if (sectionEnders.has(tt) || tt === LBrace || tt === RBrace) bracketDepth = 0;
    if (tt === RParen || tt === RBracket) bracketDepth = Math.max(0, bracketDepth - 1);
    const depth = bracketDepth;
    if (tt === LParen || tt === LBracket) bracketDepth++;
    const prev = out.length > 0 ? out[out.length - 1] : undefined;
    if (inSection) {
      const depth0 = depth === 0;
      const ends = depth0 && (sectionEnders.has(t.tokenType) || (t.tokenType === RBrace && braceDepth === 0));
      if (ends) {
        if (sectionHasTokens && prev !== undefined) out.push(lineEndAfter(prev));
        inSection = false;
      } else if (
        prev !== undefined &&
        depth0 &&
        t.startLine! > prev.endLine! &&
        !continuesConstraint.has(t.tokenType) &&
        !cannotEndConstraint.has(prev.tokenType)
      ) {
        if (sectionHasTokens || prev.tokenType === Kw.to || prev.tokenType === Kw.subject) out.push(lineEndAfter(prev));
        sectionHasTokens = true;
      } else sectionHasTokens = true;
      if (t.tokenType === LBrace) braceDepth++;
      if (t.tokenType === RBrace) braceDepth = Math.max(0, braceDepth - 1);
    }
    out.push(t);
    // the section starts after `subject to` (or after `subject` alone: the missing `to` is reported)
    const startsSection =
      (t.tokenType === Kw.to && i > 0 && tokens[i - 1].tokenType === Kw.subject) ||
      (t.tokenType === Kw.subject && (i + 1 >= n || tokens[i + 1].tokenType !== Kw.to));
    if (startsSection) {
      inSection = true;
      sectionHasTokens = false;
      braceDepth = 0;
    }
  }
  if (inSection && sectionHasTokens && out.length > 0) out.push(lineEndAfter(out[out.length - 1]));
  return out;
}

/** Split the token stream before each top-level item keyword, so that an error in one item never
 *  swallows the next: `controller`, `plant`, `train` always start an item; declarations only at
 *  brace depth 0. */
function splitTopLevel(tokens: IToken[]): IToken[][] {
  const chunks: IToken[][] = [];
  let cur: IToken[] = [];
  let depth = 0;
  for (const t of tokens) {
    const tt = t.tokenType;
    const starts = alwaysTop.has(tt) || (depth === 0 && topAtDepth0.has(tt));
    if (starts) {
      if (cur.length > 0) chunks.push(cur);
      cur = [];
      depth = 0;
    }
    if (tt === LBrace) depth++;
    else if (tt === RBrace) depth = Math.max(0, depth - 1);
    cur.push(t);
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

/** Drop the content of brackets nested deeper than MAX_NESTING (reported once as MPC1008), so that
 *  the recursive parser and every AST walker have a bounded depth. */
function guardNesting(tokens: IToken[], lines: LineIndex, diagnostics: Diagnostic[], suppressAt: Set<number>): IToken[] {
  let depth = 0;
  let tooDeep = false;
  for (const t of tokens) {
    const tt = t.tokenType;
    if (tt === LParen || tt === LBracket || tt === LBrace) {
      depth++;
      if (depth > MAX_NESTING) {
        tooDeep = true;
        break;
      }
    } else if (tt === RParen || tt === RBracket || tt === RBrace) depth = Math.max(0, depth - 1);
  }
  if (!tooDeep) return tokens;
  const out: IToken[] = [];
  depth = 0;
  let reported = false;
  let dropping = false;
  for (const t of tokens) {
    const tt = t.tokenType;
    const opens = tt === LParen || tt === LBracket || tt === LBrace;
    const closes = tt === RParen || tt === RBracket || tt === RBrace;
    if (opens) depth++;
    if (depth <= MAX_NESTING) {
      // errors at the token right after skipped content are consequences of the skipping
      if (dropping) suppressAt.add(t.startOffset);
      dropping = false;
      out.push(t);
    } else if (!reported) {
      reported = true;
      diagnostics.push({
        severity: "error",
        code: "MPC1008",
        message: "brackets nested too deeply",
        span: lines.span(t.startOffset, t.startOffset + t.image.length),
        label: `more than ${MAX_NESTING} levels of nesting`,
        notes: ["the content of the deeper brackets was skipped"],
      });
    }
    if (depth > MAX_NESTING) dropping = true;
    if (closes) depth = Math.max(0, depth - 1);
  }
  return out;
}
