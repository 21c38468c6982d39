// Chevrotain recognition errors -> rustc-like MPC1xxx diagnostics.

import { EOF, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import type { Diagnostic, Span } from "../diagnostics.js";
import { allTokens, LineEnd, Identifier, NumberLit, Reserved, LBracket, RBracket, LParen, RParen, LBrace, Equals, Kw } from "../lexer.js";
import type { LineIndex } from "../span.js";
import type { ErrorPayload } from "./grammar.js";
import { keywordFix } from "./keyword_fix.js";
import { closest } from "./suggest.js";

const tokenByName = new Map<string, TokenType>(allTokens.map((t) => [t.name, t]));

const CLOSERS: Record<string, { open: TokenType; text: string; openText: string }> = {
  RBracket: { open: LBracket, text: "]", openText: "[" },
  RParen: { open: LParen, text: ")", openText: "(" },
  RBrace: { open: LBrace, text: "}", openText: "{" },
};

const EXPRESSION_RULES = new Set([
  "expression", "unary", "atom", "paren", "array", "arrayRow", "indexArg", "callArg", "settingArg", "costTerm",
]);

const TOP_KEYWORDS = ["controller", "plant", "train", "const", "param", "runtime", "learnable"];
/** The top-level items (the other declarations are reported by the checker there: MPC2013). */
const TOP_LEVEL_ITEMS = ["controller", "plant", "train", "const"];
const BLOCK_KEYWORDS = [
  "state", "input", "param", "runtime", "disturbance", "const", "learnable", "let", "horizon", "discount",
  "timestep", "episode", "dynamics", "minimize", "subject", "cost", "reward", "solver",
];

function describeExpected(name: string): string {
  switch (name) {
    case "Identifier":
      return "a name";
    case "Word":
      return "a setting name";
    case "RelOp":
      return "`<=`, `>=` or `==`";
    case "AddOp":
      return "`+` or `-`";
    case "MulOp":
      return "`*`, `/`, `.*` or `./`";
    case "Number":
      return "a number";
    case "Reserved":
      return "a keyword";
    default: {
      const t = tokenByName.get(name);
      const label = t?.LABEL;
      return label ?? name;
    }
  }
}

export function describeFound(t: IToken): string {
  if (t.tokenType === EOF || !Number.isFinite(t.startOffset)) return "end of file";
  if (t.tokenType === LineEnd) return "end of line";
  if (t.tokenType.CATEGORIES?.includes(Reserved)) return `keyword \`${t.image}\``;
  if (t.tokenType === NumberLit) return `number \`${t.image}\``;
  return `\`${t.image.length > 40 ? t.image.slice(0, 40) + "…" : t.image}\``;
}

function joinAlternatives(items: string[]): string {
  const uniq = [...new Set(items)];
  if (uniq.length <= 1) return uniq[0] ?? "something else";
  if (uniq.length > 6) return `one of ${uniq.slice(0, 6).join(", ")}, …`;
  return `${uniq.slice(0, -1).join(", ")} or ${uniq[uniq.length - 1]}`;
}

export interface ChunkContext {
  tokens: IToken[];
  /** Token after the chunk (reported as "found" when the chunk ends early), if any. */
  next?: IToken;
  lines: LineIndex;
  textLength: number;
}

function closerWhat(rule: string, ctx: ChunkContext): string {
  switch (rule) {
    case "array":
      return "this array";
    case "postfixOp":
      return "this index";
    case "atom":
      return "this call";
    case "paren":
      return "these parentheses";
    case "declaration":
      return "the dimensions";
    case "bounds":
      return "the bounds";
    case "block":
      return `this ${ctx.tokens[0]?.image === "plant" ? "plant" : "controller"} block`;
    case "trainBlock":
      return "this train block";
    case "setting":
      return "this settings block";
    default:
      return "this group";
  }
}

export function recognitionErrorToDiagnostic(e: IRecognitionException, ctx: ChunkContext): Diagnostic | undefined {
  let payload: ErrorPayload;
  try {
    payload = JSON.parse(e.message) as ErrorPayload;
  } catch {
    payload = { kind: "mismatch", expected: [], rule: "" };
  }
  const { lines } = ctx;
  let found = e.token;
  const atEnd = found.tokenType === EOF || !Number.isFinite(found.startOffset);
  if (atEnd && ctx.next !== undefined) found = ctx.next;
  const foundIsEnd = found.tokenType === EOF || !Number.isFinite(found.startOffset);
  // When the offending token is on a later line, point just after the previous token (like rustc).
  const prev = (e as { previousToken?: IToken }).previousToken;
  const prevOk = prev !== undefined && Number.isFinite(prev.startOffset) && prev.image.length > 0;
  const onLaterLine = prevOk && (foundIsEnd || found.startLine! > prev.endLine!);
  const span: Span =
    onLaterLine && payload.kind !== "notAllInput"
      ? lines.span(prev.startOffset + prev.image.length, prev.startOffset + prev.image.length)
      : foundIsEnd
        ? endSpan(ctx)
        : lines.span(found.startOffset, found.startOffset + found.image.length);
  const foundText = describeFound(found);
  const rule = payload.rule;
  const expected = payload.expected;

  if (payload.kind === "notAllInput") {
    const closer = CLOSERS[found.tokenType.name];
    return {
      severity: "error",
      code: "MPC1010",
      message: closer ? `unexpected closing delimiter \`${closer.text}\`` : `unexpected ${foundText}`,
      span,
      label: closer ? "nothing to close here" : "expected the start of an item here",
    };
  }

  if (payload.kind === "mismatch" && expected.length === 1 && CLOSERS[expected[0]]) {
    const closer = CLOSERS[expected[0]];
    const opener = findOpener(ctx.tokens, found, closer.open, tokenByName.get(expected[0]) ?? RBracket);
    return {
      severity: "error",
      code: "MPC1005",
      message: `expected \`${closer.text}\` to close ${closerWhat(rule, ctx)}, found ${foundText}`,
      span,
      label: `expected \`${closer.text}\``,
      related: opener ? [{ span: lines.span(opener.startOffset, opener.startOffset + 1), label: `unclosed \`${closer.openText}\`` }] : undefined,
      help: onLaterLine ? undefined : closerHelp(found, closer.text, rule),
    };
  }

  if (rule === "constraint" && payload.kind === "earlyExit") {
    const isEq = found.tokenType === Equals;
    return {
      severity: "error",
      code: "MPC1012",
      message: `expected \`<=\`, \`>=\` or \`==\` in this constraint, found ${foundText}`,
      span,
      label: "expected a relation",
      help: isEq ? "equality constraints are written with `==`" : "a constraint compares expressions, e.g. `-1 <= u <= 1`",
      edits: isEq ? [{ span, newText: "==", title: "replace with `==`" }] : undefined,
    };
  }

  if (rule === "dynamics" && payload.kind === "noViableAlt") {
    const idx = ctx.tokens.indexOf(found);
    const after = idx >= 0 ? ctx.tokens[idx + 1] : undefined;
    if (found.tokenType === Identifier && after?.tokenType === Equals) {
      const at = lines.span(found.startOffset + found.image.length, found.startOffset + found.image.length);
      return {
        severity: "error",
        code: "MPC1013",
        message: `expected \`+\` after \`${found.image}\`, found \`=\``,
        span,
        label: "discrete dynamics need `+` on the state",
        notes: ["discrete dynamics are written `dynamics x+ = ...`, continuous ones `dynamics der(x) = ...`"],
        help: `write \`${found.image}+ = ...\``,
        edits: [{ span: at, newText: "+", title: "insert `+`" }],
      };
    }
    return {
      severity: "error",
      code: "MPC1013",
      message: `expected \`x+\` or \`der(x)\` after \`dynamics\`, found ${foundText}`,
      span,
      label: "expected the dynamics target",
      notes: ["discrete dynamics are written `dynamics x+ = ...`, continuous ones `dynamics der(x) = ...`"],
    };
  }
  if (rule === "solver" && payload.kind === "mismatch" && expected[0] === "Identifier") {
    return {
      severity: "error",
      code: "MPC1004",
      message: `expected a solver after \`solver\`, found ${foundText}`,
      span,
      label: "expected `qp`, `sqp` or `rti`",
      notes: ["`solver sqp` or `solver rti` makes the controller a nonlinear MPC; `solver qp` (the default) a linear one"],
    };
  }
  if (rule === "dynamics" && payload.kind === "mismatch" && expected[0] === "Plus") {
    return {
      severity: "error",
      code: "MPC1013",
      message: `expected \`+\` after the state name, found ${foundText}`,
      span,
      label: "expected `+`",
      notes: ["discrete dynamics are written `dynamics x+ = ...`, continuous ones `dynamics der(x) = ...`"],
      help: "write `x+ = ...`",
      edits: foundIsEnd ? undefined : [{ span: lines.span(found.startOffset, found.startOffset), newText: "+ ", title: "insert `+`" }],
    };
  }

  if (rule === "blockItem" || rule === "topItem" || (payload.kind === "noViableAlt" && rule === "block")) {
    const candidates = rule === "topItem" ? TOP_KEYWORDS : BLOCK_KEYWORDS;
    const what =
      rule === "topItem" ? "`controller`, `plant`, `train` or a declaration" : `a ${ctx.tokens[0]?.image === "plant" ? "plant" : "controller"} item`;
    const guess = found.tokenType === Identifier || found.tokenType.CATEGORIES?.includes(Identifier) ? closest(found.image, candidates) : undefined;
    // the edit only where the keyword makes an item that parses (keyword_fix.ts), and at the top
    // level only for the items allowed there (`param`, `runtime`, `learnable` belong in a block)
    const idx = ctx.tokens.indexOf(found);
    const after = idx >= 0 ? ctx.tokens[idx + 1] : undefined;
    const next = after && after.tokenType !== LineEnd && after.tokenType !== EOF && after.startLine === found.endLine ? after : undefined;
    const allowed = rule !== "topItem" || (guess !== undefined && TOP_LEVEL_ITEMS.includes(guess));
    const fix = guess && allowed && !foundIsEnd ? keywordFix(guess, next) : undefined;
    // the word itself (the primary span may point after the previous line instead)
    const wordSpan = foundIsEnd ? span : lines.span(found.startOffset, found.startOffset + found.image.length);
    return {
      severity: "error",
      code: "MPC1007",
      message: `expected ${what}, found ${foundText}`,
      span,
      label: guess ? "unknown keyword" : "not an item",
      help: guess ? `did you mean \`${fix ?? guess}\`?` : undefined,
      edits: fix ? [{ span: wordSpan, newText: fix, title: `replace with \`${fix}\`` }] : undefined,
      notes: guess ? undefined : [rule === "topItem" ? "a file holds `const` declarations and `controller`, `plant` and `train` blocks" : `items start with a keyword: ${BLOCK_KEYWORDS.map((k) => "`" + k + "`").join(", ")}`],
    };
  }

  const expectsExpression =
    EXPRESSION_RULES.has(rule) && (payload.kind !== "mismatch" || expected.some((n) => n === "Identifier" || n === "Number"));
  if (expectsExpression) {
    return {
      severity: "error",
      code: "MPC1006",
      message: `expected an expression, found ${foundText}`,
      span,
      label: "expected an expression",
      help: !onLaterLine && found.tokenType.CATEGORIES?.includes(Reserved) ? `\`${found.image}\` is a keyword and cannot be used as a name` : undefined,
    };
  }

  const exp = joinAlternatives(expected.map(describeExpected));
  const help =
    rule === "subjectTo" && expected[0] === Kw.to.name
      ? "constraints are introduced by `subject to`"
      : expected[0] === "Identifier" && !onLaterLine && found.tokenType.CATEGORIES?.includes(Reserved)
        ? `\`${found.image}\` is a keyword and cannot be used as a name`
        : rule === "stageRange" && expected[0] === "DotDot"
          ? "a stage range is written `for k in 1..N`"
          : undefined;
  return {
    severity: "error",
    code: "MPC1004",
    message: `expected ${exp}, found ${foundText}`,
    span,
    label: `expected ${exp}`,
    help,
  };
}

function closerHelp(found: IToken, closer: string, rule: string): string | undefined {
  if (found.image === ";" && rule === "postfixOp") return "indices are separated by `,`";
  if (found.image === ";" && closer === ")") return "arguments are separated by `,`";
  const other = CLOSERS[found.tokenType.name];
  if (other !== undefined && other.text !== closer) return `replace \`${other.text}\` with \`${closer}\``;
  return undefined;
}

function endSpan(ctx: ChunkContext): Span {
  const last = ctx.tokens[ctx.tokens.length - 1];
  const end = last !== undefined ? last.startOffset + last.image.length : ctx.textLength;
  return ctx.lines.span(end, end);
}

/** The innermost unclosed `open` before `at`. */
function findOpener(tokens: IToken[], at: IToken, open: TokenType, close: TokenType): IToken | undefined {
  const limit = Number.isFinite(at.startOffset) ? at.startOffset : Infinity;
  let depth = 0;
  let i = tokens.length - 1;
  while (i >= 0 && tokens[i].startOffset >= limit) i--;
  for (; i >= 0; i--) {
    const t = tokens[i];
    if (t.tokenType === close) depth++;
    else if (t.tokenType === open) {
      if (depth === 0) return t;
      depth--;
    }
  }
  return undefined;
}
