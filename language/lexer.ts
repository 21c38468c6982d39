// The `.mpcrl` lexer (Chevrotain). Comments are kept (Program.comments); unknown characters and
// malformed numbers become MPC1001 / MPC1003 diagnostics and lexing goes on.

import { createToken, Lexer, type IToken, type TokenType } from "chevrotain";
import type { Diagnostic } from "./diagnostics.js";
import type { LineIndex } from "./span.js";

// ---------------------------------------------------------------- categories

/** Every token (used to skip the rest of an unknown item's line). */
export const AnyToken = createToken({ name: "AnyToken", pattern: Lexer.NA });
/** Any word: identifiers and keywords (setting keys accept any word). */
export const Word = createToken({ name: "Word", pattern: Lexer.NA, categories: [AnyToken] });
/** Reserved keywords: never names in expressions. */
export const Reserved = createToken({ name: "Reserved", pattern: Lexer.NA, categories: [Word] });
export const RelOpTok = createToken({ name: "RelOp", pattern: Lexer.NA });
export const BinOp = createToken({ name: "BinOp", pattern: Lexer.NA });
export const AddOp = createToken({ name: "AddOp", pattern: Lexer.NA, categories: [BinOp] });
export const MulOp = createToken({ name: "MulOp", pattern: Lexer.NA, categories: [BinOp] });

// ---------------------------------------------------------------- trivia

/** Blanks within a line. Separate from line breaks so that Chevrotain does not scan every blank
 *  run for line terminators (`line_breaks: false`: no substring, no regex test per run). */
export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\f\v\u00a0\ufeff\u2028\u2029]+/,
  group: Lexer.SKIPPED,
  line_breaks: false,
});
/** One line break (`\r\n`, `\r` or `\n`). */
export const LineBreak = createToken({
  name: "LineBreak",
  pattern: /\r\n?|\n/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\r\n]*/, group: "comments" });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});
/** `/*` without its closing `*\/`: runs to the end of the file (reported as MPC1002). */
export const UnterminatedComment = createToken({
  name: "UnterminatedComment",
  pattern: /\/\*[\s\S]*/,
  group: "comments",
  line_breaks: true,
});

/** `# ...`: not a comment in this language; reported (MPC1001, fix: `//`) and skipped to the end of the line. */
export const HashComment = createToken({ name: "HashComment", pattern: /#[^\r\n]*/, group: "hash" });

// ---------------------------------------------------------------- words

/** First-character hints: ASCII letters, `_`, Latin-1 and one code per 256-block above (Chevrotain
 *  buckets char codes >= 256 by their high byte, so one representative enables the whole block). */
function identifierStartHints(): number[] {
  const hints = [..."_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"].map((c) => c.charCodeAt(0));
  for (let c = 0xaa; c <= 0xff; c++) hints.push(c);
  for (let block = 1; block < 256; block++) hints.push(block * 256);
  return hints;
}

const identStart = "\\p{L}\\p{Nl}_";
const identPart = "\\p{L}\\p{Nl}\\p{No}\\p{Mn}\\p{Mc}\\p{Nd}\\p{Pc}";
const unicodeIdent = new RegExp(`[${identStart}][${identPart}]*`, "uy");
/** A whole string that lexes as one identifier (keywords aside): a new name for rename. */
export const IDENTIFIER_NAME = new RegExp(`^[${identStart}][${identPart}]*$`, "u");
const isAsciiStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isAsciiPart = (c: number): boolean => isAsciiStart(c) || (c >= 48 && c <= 57);
/** The match returned to Chevrotain, reused: it reads `[0]` (and `payload`) before the next call. */
const identMatch = [""] as unknown as RegExpExecArray;
/** Identifiers: letters of any script or `_`, then letters, digits, marks, `_`. An ASCII fast path
 *  (a character scan, no RegExp match object per word); the unicode pattern when a non-ASCII
 *  character starts or follows the word. */
export const Identifier = createToken({
  name: "Identifier",
  label: "a name",
  pattern: {
    exec(text: string, offset: number): RegExpExecArray | null {
      if (isAsciiStart(text.charCodeAt(offset))) {
        let end = offset + 1;
        while (end < text.length && isAsciiPart(text.charCodeAt(end))) end++;
        if (end >= text.length || text.charCodeAt(end) < 128) {
          identMatch[0] = text.substring(offset, end);
          return identMatch;
        }
      }
      unicodeIdent.lastIndex = offset;
      return unicodeIdent.exec(text);
    },
  },
  categories: [Word, AnyToken],
  start_chars_hint: identifierStartHints(),
  line_breaks: false,
});


/** Keywords are lexed as identifiers and re-typed from a table after lexing (faster than one
 *  pattern per keyword). */
function keyword(word: string, categories: TokenType[]): TokenType {
  return createToken({ name: `Kw_${word}`, label: `\`${word}\``, pattern: Lexer.NA, categories: [...categories, AnyToken] });
}

export const RESERVED_WORDS = [
  "const", "controller", "plant", "train", "state", "input", "param", "runtime", "disturbance",
  "learnable", "let", "horizon", "discount", "timestep", "episode", "dynamics", "minimize", "subject",
  "cost", "reward", "soft", "terminal", "for", "in", "penalty", "solver",
] as const;
/** Contextual keywords: keywords in one position, ordinary identifiers everywhere else. */
export const CONTEXTUAL_WORDS = ["to", "on", "using", "stage", "initial", "diag", "factor", "psd", "linear", "quadratic"] as const;

export type ReservedWord = (typeof RESERVED_WORDS)[number];
export type ContextualWord = (typeof CONTEXTUAL_WORDS)[number];

/** Keyword groups as token categories: one CONSUME instead of an OR of alternatives (faster). */
export const DeclKw = createToken({ name: "DeclKw", label: "a declaration (`state`, `input`, ...)", pattern: Lexer.NA });
export const ScalarKw = createToken({ name: "ScalarKw", label: "`horizon`, `discount`, `timestep` or `episode`", pattern: Lexer.NA });
export const CostKw = createToken({ name: "CostKw", label: "`stage`, `terminal` or `initial`", pattern: Lexer.NA });
export const PlantCostKw = createToken({ name: "PlantCostKw", label: "`cost` or `reward`", pattern: Lexer.NA });
export const ModifierKw = createToken({ name: "ModifierKw", label: "`soft` or `terminal`", pattern: Lexer.NA });
export const BlockKw = createToken({ name: "BlockKw", label: "`controller` or `plant`", pattern: Lexer.NA });
export const StructureKw = createToken({ name: "StructureKw", label: "`diag`, `factor` or `psd`", pattern: Lexer.NA });
const groups: Record<string, TokenType[]> = {
  state: [DeclKw], input: [DeclKw], param: [DeclKw], runtime: [DeclKw], disturbance: [DeclKw], const: [DeclKw], learnable: [DeclKw],
  horizon: [ScalarKw], discount: [ScalarKw], timestep: [ScalarKw], episode: [ScalarKw],
  cost: [PlantCostKw], reward: [PlantCostKw],
  controller: [BlockKw], plant: [BlockKw],
  soft: [ModifierKw], terminal: [ModifierKw, CostKw], stage: [CostKw], initial: [CostKw],
  diag: [StructureKw], factor: [StructureKw], psd: [StructureKw],
};

export const Kw = {} as Record<ReservedWord | ContextualWord, TokenType>;
for (const w of RESERVED_WORDS) Kw[w] = keyword(w, [Reserved, ...(groups[w] ?? [])]);
for (const w of CONTEXTUAL_WORDS) Kw[w] = keyword(w, [Identifier, Word, ...(groups[w] ?? [])]);

// ---------------------------------------------------------------- numbers

export const Inf = createToken({ name: "Inf", label: "`inf`", pattern: Lexer.NA, categories: [AnyToken] });

const wordTypes = new Map<string, TokenType>([["inf", Inf]]);
for (const w of [...RESERVED_WORDS, ...CONTEXTUAL_WORDS]) wordTypes.set(w, Kw[w]);
export const NumberLit = createToken({
  name: "Number",
  label: "number",
  pattern: new RegExp(
    `(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|0[oO][0-7](?:_?[0-7])*|(?:\\d(?:_?\\d)*(?:\\.\\d(?:_?\\d)*)?|\\.\\d(?:_?\\d)*)(?:[eE][+-]?\\d(?:_?\\d)*)?)(?![A-Za-z0-9_])`,
  ),
  start_chars_hint: [..."0123456789."].map((c) => c.charCodeAt(0)),
  categories: [AnyToken],
});
/** A number glued to letters or with a dangling exponent (`1e`, `0x`, `2x`, `1_`): MPC1003. */
export const BadNumber = createToken({
  name: "BadNumber",
  label: "number",
  pattern: /(?:\d[\d_]*(?:\.\d[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?)?[A-Za-z0-9_]*/,
  start_chars_hint: [..."0123456789."].map((c) => c.charCodeAt(0)),
});

// ---------------------------------------------------------------- punctuation

function punct(name: string, text: string, pattern: RegExp, categories: TokenType[] = []): TokenType {
  return createToken({ name, label: `\`${text}\``, pattern, categories: [...categories, AnyToken] });
}

export const DotStar = punct("DotStar", ".*", /\.\*/, [MulOp, BinOp]);
export const DotSlash = punct("DotSlash", "./", /\.\//, [MulOp, BinOp]);
/** `...`: reported (MPC1001, fix `..`) and read as `..`. */
export const TripleDot = createToken({ name: "TripleDot", pattern: /\.\.\.+/, categories: [AnyToken] });
export const DotDot = punct("DotDot", "..", /\.\./);
export const Le = punct("Le", "<=", /<=/, [RelOpTok]);
export const Ge = punct("Ge", ">=", />=/, [RelOpTok]);
export const EqEq = punct("EqEq", "==", /==/, [RelOpTok]);
export const Lt = punct("Lt", "<", /</, [RelOpTok]);
export const Gt = punct("Gt", ">", />/, [RelOpTok]);
export const Equals = punct("Equals", "=", /=/);
/** `≤` `≥` `−`: reported (MPC1001, with a fix) and read as `<=` `>=` `-` so that parsing goes on. */
export const UnicodeOp = createToken({ name: "UnicodeOp", pattern: /[\u2264\u2265\u2212]/, categories: [AnyToken] });
export const Plus = punct("Plus", "+", /\+/, [AddOp, BinOp]);
export const Minus = punct("Minus", "-", /-/, [AddOp, BinOp]);
export const Star = punct("Star", "*", /\*/, [MulOp, BinOp]);
export const Slash = punct("Slash", "/", /\//, [MulOp, BinOp]);
export const Caret = punct("Caret", "^", /\^/);
export const Quote = punct("Quote", "'", /'/);
export const Colon = punct("Colon", ":", /:/);
export const Semi = punct("Semi", ";", /;/);
export const Comma = punct("Comma", ",", /,/);
export const LParen = punct("LParen", "(", /\(/);
export const RParen = punct("RParen", ")", /\)/);
export const LBracket = punct("LBracket", "[", /\[/);
export const RBracket = punct("RBracket", "]", /]/);
export const LBrace = punct("LBrace", "{", /\{/);
export const RBrace = punct("RBrace", "}", /\}/);
/** Not lexed: inserted by the parser driver at the line breaks of a `subject to` section. */
export const LineEnd = createToken({ name: "LineEnd", label: "end of line", pattern: Lexer.NA });

export const allTokens: TokenType[] = [
  WhiteSpace,
  LineBreak,
  LineComment,
  BlockComment,
  UnterminatedComment,
  HashComment,
  // multi-character operators before their prefixes
  DotStar,
  DotSlash,
  TripleDot,
  DotDot,
  NumberLit,
  BadNumber,
  Le,
  Ge,
  EqEq,
  Lt,
  Gt,
  Equals,
  UnicodeOp,
  Plus,
  Minus,
  Star,
  Slash,
  Caret,
  Quote,
  Colon,
  Semi,
  Comma,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Identifier,
  // re-typed identifiers (pattern NA)
  Inf,
  ...RESERVED_WORDS.map((w) => Kw[w]),
  ...CONTEXTUAL_WORDS.map((w) => Kw[w]),
  // categories (no pattern) are registered so the parser knows them
  Word,
  Reserved,
  RelOpTok,
  BinOp,
  AddOp,
  MulOp,
  AnyToken,
  LineEnd,
  DeclKw,
  ScalarKw,
  CostKw,
  PlantCostKw,
  ModifierKw,
  BlockKw,
  StructureKw,
];

// safeMode: no first-character analysis of the token patterns at start-up (chevrotain's
// analyzeTokenTypes, ~20 ms of every CLI call); lexing a spec of a few kB stays well under 1 ms
export const mpcrlLexer = new Lexer(allTokens, {
  positionTracking: "full",
  ensureOptimizations: false,
  skipValidations: true,
  safeMode: true,
});

export interface LexResult {
  tokens: IToken[];
  comments: IToken[];
  diagnostics: Diagnostic[];
}

/** Parsed value of a number token (`inf` is Infinity; `_` separators ignored). */
export function numberValue(text: string): number {
  if (text === "inf") return Infinity;
  return Number(text.replace(/_/g, ""));
}

export function lex(text: string, lines: LineIndex): LexResult {
  const result = mpcrlLexer.tokenize(text);
  const diagnostics: Diagnostic[] = [];
  for (const err of result.errors) {
    // Chevrotain drops the characters it cannot match; report each run once.
    const start = err.offset;
    const end = start + Math.max(1, err.length);
    const chars = text.slice(start, end);
    const shown = "`" + [...chars].slice(0, 12).map(describeChar).join("") + ([...chars].length > 12 ? "…" : "") + "`";
    diagnostics.push({
      severity: "error",
      code: "MPC1001",
      message: chars.length === 1 || [...chars].length === 1 ? `unknown character ${shown}` : `unknown characters ${shown}`,
      span: lines.span(start, end),
      label: "not part of the language",
      help: unknownCharHelp(chars),
    });
  }
  for (const h of result.groups["hash"] ?? []) {
    const span = lines.span(h.startOffset, h.startOffset + 1);
    diagnostics.push({
      severity: "error",
      code: "MPC1001",
      message: "unknown character `#`",
      span,
      label: "`#` does not start a comment",
      help: "comments start with `//` (the rest of this line was skipped)",
      edits: [{ span, newText: "//", title: "replace `#` with `//`" }],
    });
  }
  const comments = result.groups["comments"] ?? [];
  for (const c of comments) {
    if (c.tokenType === UnterminatedComment) {
      diagnostics.push({
        severity: "error",
        code: "MPC1002",
        message: "unterminated block comment",
        span: lines.span(c.startOffset, c.startOffset + 2),
        label: "this comment is never closed",
        help: "close it with `*/`",
      });
    }
  }
  const tokens: IToken[] = [];
  for (const t of result.tokens) {
    if (t.tokenType === BadNumber) {
      diagnostics.push({
        severity: "error",
        code: "MPC1003",
        message: `invalid number \`${t.image}\``,
        span: lines.span(t.startOffset, t.startOffset + t.image.length),
        label: "not a number",
        notes: ["numbers are written `1`, `1.5`, `.5`, `1e-3`, `1_000`, `0x1F`, `0b101`, `0o17` or `inf`"],
        help: /^[\d._]+[eE][+-]?$/.test(t.image)
          ? "an exponent needs digits, e.g. `1e-3`"
          : /^\d[\d_.]*[A-Za-z_]/.test(t.image)
            ? "multiplication is written with `*`, e.g. `2*x`"
            : undefined,
      });
      // Keep a number token in its place so that parsing goes on without a cascade.
      tokens.push({ ...t, tokenType: NumberLit, tokenTypeIdx: NumberLit.tokenTypeIdx ?? t.tokenTypeIdx, image: "0" , endOffset: t.endOffset });
      continue;
    }
    if (t.tokenType === TripleDot) {
      const span = lines.span(t.startOffset, t.startOffset + t.image.length);
      diagnostics.push({
        severity: "error",
        code: "MPC1001",
        message: `unknown operator \`${t.image}\``,
        span,
        label: "ranges are written `a..b`",
        help: "replace with `..`",
        edits: [{ span, newText: "..", title: "replace with `..`" }],
      });
      t.tokenType = DotDot;
      t.tokenTypeIdx = DotDot.tokenTypeIdx ?? t.tokenTypeIdx;
    }
    if (t.tokenType === UnicodeOp) {
      const ascii = t.image === "\u2264" ? Le : t.image === "\u2265" ? Ge : Minus;
      const text = ascii === Le ? "<=" : ascii === Ge ? ">=" : "-";
      const span = lines.span(t.startOffset, t.startOffset + t.image.length);
      diagnostics.push({
        severity: "error",
        code: "MPC1001",
        message: `unknown character \`${t.image}\``,
        span,
        label: `write \`${text}\``,
        help: `replace \`${t.image}\` with \`${text}\``,
        edits: [{ span, newText: text, title: `replace with \`${text}\`` }],
      });
      t.tokenType = ascii;
      t.tokenTypeIdx = ascii.tokenTypeIdx ?? t.tokenTypeIdx;
    }
    if (t.tokenType === Identifier) {
      const kw = wordTypes.get(t.image);
      if (kw !== undefined) {
        t.tokenType = kw;
        t.tokenTypeIdx = kw.tokenTypeIdx ?? t.tokenTypeIdx;
      }
    }
    tokens.push(t);
  }
  return { tokens, comments, diagnostics };
}

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) || cp === 0xfffd || cp === 0x60) return `\\u{${cp.toString(16)}}`;
  return ch;
}

function unknownCharHelp(chars: string): string | undefined {
  const c = chars[0];
  if (c === "%") return "comments start with `//` or are enclosed in `/* */`";
  if (c === "\u00d7" || c === "\u22c5" || c === "\u00b7") return "multiplication is written with `*`";
  if (c === "!") return "there is no `!=`; constraints use `<=`, `>=` or `==`";
  if (c === '"') return "strings are not part of the language; settings take names and numbers";
  return undefined;
}
