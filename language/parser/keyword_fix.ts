// The edit of a "did you mean `horizon`?" on an unknown item keyword (MPC1007): replacing the word
// is a fix only when the item then reads as one, so the edit depends on what follows the word on
// its line. A word followed by a name or a number is re-typed by recover.ts (and parsed as the
// keyword); the words that reach the builder's `unknownItem` or the recognition errors are mostly
// alone on their line or followed by something else (`horizn = 5`, `contoller`), where the keyword
// alone would be a new syntax error: those keep the help and get no edit.

import type { IToken } from "chevrotain";
import { Identifier, Inf, LBracket, LParen, Minus, NumberLit, Word } from "../lexer.js";

/** Items that continue with a name: declarations, blocks, the dynamics target, the solver. */
const NAME_NEXT = new Set([
  "state", "input", "param", "runtime", "disturbance", "const", "learnable", "let", "controller", "plant", "train", "dynamics", "solver",
]);
/** Items that continue with an expression (or a cost label). */
const EXPRESSION_NEXT = new Set(["horizon", "discount", "timestep", "episode", "cost", "reward", "minimize"]);

const isWord = (t: IToken): boolean => t.tokenType === Identifier || (t.tokenType.CATEGORIES?.includes(Word) ?? false);
const startsExpression = (t: IToken): boolean =>
  isWord(t) || t.tokenType === NumberLit || t.tokenType === Inf || t.tokenType === LParen || t.tokenType === LBracket || t.tokenType === Minus;

/**
 * The replacement for a misspelled item keyword `guess` followed on its line by `next` (undefined
 * at the end of the line), or undefined when the replaced item would still not parse. `subject`
 * alone on its line becomes `subject to` (`subjectto`, `subject_to`, `subjct`).
 */
export function keywordFix(guess: string, next: IToken | undefined): string | undefined {
  if (guess === "subject") return next === undefined ? "subject to" : next.image === "to" ? "subject" : undefined;
  if (next === undefined) return undefined;
  if (NAME_NEXT.has(guess)) return isWord(next) ? guess : undefined;
  if (EXPRESSION_NEXT.has(guess)) return startsExpression(next) ? guess : undefined;
  return undefined;
}
