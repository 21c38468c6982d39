// Recovery from a misspelled item keyword (`horizn 10`, `minimise stage ...`, `stat x[2]`) in a
// controller or plant block, or a misspelled block keyword (`controler C {`): the word is reported
// once (MPC1007, with the fix) and re-typed as the keyword it is closest to, so that the item
// parses as intended and nothing downstream cascades
// (no "missing horizon", no range errors on `N`, no unused-learnable warnings, no "did you mean"
// on the continuation lines of a skipped objective).

import type { IToken, TokenType } from "chevrotain";
import type { Diagnostic } from "../diagnostics.js";
import {
  BlockKw, Caret, Colon, Comma, DotDot, DotSlash, DotStar, EqEq, Equals, Ge, Gt, Identifier, Inf, Kw, LBrace, LBracket, Le, LParen,
  Lt, Minus, NumberLit, Plus, Quote, RBrace, RBracket, RParen, Semi, Slash, Star, Word,
} from "../lexer.js";
import type { LineIndex } from "../span.js";
import { BLOCK_ITEM_KEYWORDS } from "./build.js";
import { closest } from "./suggest.js";

/** A line ending with one of these continues on the next line: its first word is not an item. */
const CONTINUES_AFTER = new Set<TokenType>([
  Plus, Minus, Star, Slash, DotStar, DotSlash, Caret, Le, Ge, EqEq, Lt, Gt, Comma, DotDot, Equals, Colon, Semi, LParen, LBracket,
  Kw.for, Kw.in, Kw.penalty, Kw.linear, Kw.quadratic, Kw.soft, Kw.terminal, Kw.using,
]);
/** A word followed by one of these is the start of an expression (a constraint), not an item. */
const EXPRESSION_NEXT = new Set<TokenType>([
  Plus, Minus, Star, Slash, DotStar, DotSlash, Caret, Le, Ge, EqEq, Lt, Gt, Comma, DotDot, Equals, Colon, Semi, LParen, LBracket,
  RParen, RBracket, Quote,
]);

export interface RetypedKeywords {
  /** Start offset of each re-typed token -> the keyword it now stands for. */
  readonly keywords: Map<number, string>;
  /** The diagnostics of re-typed item keywords: nothing of the item is lost. A misspelled block
   *  keyword is not among them: its block may be a draft, whose missing items are reported only
   *  once the keyword is fixed. */
  readonly itemFixes: readonly Diagnostic[];
}

/** Keywords that start a top-level item. */
const TOP_ITEM_KEYWORDS = ["controller", "plant", "train", "const"];

const isWord = (t: IToken): boolean => t.tokenType === Identifier || (t.tokenType.CATEGORIES?.includes(Word) ?? false);

/**
 * Re-types misspelled item keywords in place. A word is taken for a misspelled item keyword when it
 * is a plain identifier (not a keyword), directly inside a `controller`/`plant` block (outside
 * brackets), first on its line (the previous line does not continue), followed on the same line by
 * a word or a number (`horizn 10`, `minimise stage`, `stat x[2]`, `subjet to`), and close to the
 * spelling of an item keyword; at the top level, followed by a word and close to `controller`,
 * `plant`, `train` or `const` (`controler C {`, `cosnt w = 1`). The AST builder reads the keywords
 * from the returned map.
 */
export function fixMisspelledItemKeywords(tokens: IToken[], lines: LineIndex, diagnostics: Diagnostic[]): RetypedKeywords {
  const fixed = new Map<number, string>();
  const itemFixes: Diagnostic[] = [];
  // `{` kinds: true for the brace of a controller/plant block
  const braces: boolean[] = [];
  let brackets = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const tt = t.tokenType;
    if (tt === LBrace) {
      const isBlock = braces.length === 0 && i >= 2 && tokens[i - 2].tokenType.CATEGORIES?.includes(BlockKw) === true;
      braces.push(isBlock);
      brackets = 0;
      continue;
    }
    if (tt === RBrace) {
      braces.pop();
      brackets = 0;
      continue;
    }
    if (tt === LParen || tt === LBracket) brackets++;
    else if (tt === RParen || tt === RBracket) brackets = Math.max(0, brackets - 1);
    if (tt !== Identifier || brackets !== 0) continue;
    const topLevel = braces.length === 0;
    if (!topLevel && (braces.length !== 1 || braces[0] !== true)) continue;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (next === undefined) continue;
    const firstOnLine =
      prev === undefined || prev.tokenType === LBrace || prev.tokenType === RBrace || (prev.endLine !== undefined && t.startLine !== undefined && t.startLine > prev.endLine);
    if (!firstOnLine || (prev !== undefined && CONTINUES_AFTER.has(prev.tokenType))) continue;
    if (next.startLine !== t.endLine || EXPRESSION_NEXT.has(next.tokenType)) continue;
    // at the top level: `controler C {`, `trian C on P {`, `cosnt w = 1` (a word, then a name)
    if (topLevel ? !isWord(next) : !(isWord(next) || next.tokenType === NumberLit || next.tokenType === Inf)) continue;
    const guess = closest(t.image, topLevel ? TOP_ITEM_KEYWORDS : BLOCK_ITEM_KEYWORDS);
    if (guess === undefined) continue;
    const kw = Kw[guess as keyof typeof Kw];
    const span = lines.span(t.startOffset, t.startOffset + t.image.length);
    const what = topLevel && guess !== "const" ? "block" : "item";
    const d: Diagnostic = {
      severity: "error",
      code: "MPC1007",
      message: `unknown ${what} keyword \`${t.image}\``,
      span,
      label: "unknown keyword",
      help: `did you mean \`${guess}\`?`,
      notes: [`the ${what} was checked as if it started with \`${guess}\``],
      edits: [{ span, newText: guess, title: `replace with \`${guess}\`` }],
    };
    diagnostics.push(d);
    if (what === "item") itemFixes.push(d);
    t.tokenType = kw;
    t.tokenTypeIdx = kw.tokenTypeIdx ?? t.tokenTypeIdx;
    fixed.set(t.startOffset, guess);
  }
  return { keywords: fixed, itemFixes };
}
