// Semantic tokens: every name colored by what it denotes (state, input, learnable, constant, ...),
// with a `declaration` modifier where it is declared and `defaultLibrary` for built-ins; keywords
// (reserved ones, and contextual ones where they are not used as names), numbers, operators and
// comments too, so that editors without the TextMate grammar (Neovim) color them.

import type { SemanticTokens, SemanticTokensLegend } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Identifier, NameRef } from "../../language/ast.js";
import { LineIndex } from "../../language/index.js";
import {
  CONTEXTUAL_WORDS,
  Caret,
  DotDot,
  DotSlash,
  DotStar,
  EqEq,
  Equals,
  Ge,
  Gt,
  Le,
  Lt,
  Minus,
  NumberLit,
  Plus,
  Quote,
  RESERVED_WORDS,
  Slash,
  Star,
  UnicodeOp,
  lex,
} from "../../language/lexer.js";
import type { SymbolInfo, SymbolKind } from "../../language/semantic.js";
import type { Analysis } from "../analysis.js";
import { isBuiltinName } from "../builtins.js";
import { walk } from "../walk.js";

export const tokenTypes = [
  "state",
  "input",
  "learnable",
  "constant",
  "parameter",
  "runtimeParameter",
  "disturbance",
  "alias",
  "controller",
  "plant",
  "function",
  "stageIndex",
  // standard LSP types, appended so the indices above stay stable
  "keyword",
  "number",
  "comment",
  "operator",
] as const;
export const tokenModifiers = ["declaration", "readonly", "defaultLibrary"] as const;

export const semanticTokensLegend: SemanticTokensLegend = { tokenTypes: [...tokenTypes], tokenModifiers: [...tokenModifiers] };

type TokenType = (typeof tokenTypes)[number];

const typeOfKind: Record<SymbolKind, TokenType> = {
  state: "state",
  input: "input",
  learnable: "learnable",
  const: "constant",
  param: "parameter",
  runtime: "runtimeParameter",
  disturbance: "disturbance",
  let: "alias",
  controller: "controller",
  plant: "plant",
  train: "controller",
  builtin: "function",
  "stage-index": "stageIndex",
};

interface RawToken {
  start: number;
  length: number;
  type: number;
  modifiers: number;
}

function modifiersFor(symbol: SymbolInfo, declaration: boolean): number {
  let m = 0;
  if (declaration) m |= 1 << 0;
  if (symbol.kind === "const" || symbol.kind === "param") m |= 1 << 1;
  if (symbol.kind === "builtin") m |= 1 << 2;
  return m;
}

const reservedWords: ReadonlySet<string> = new Set(RESERVED_WORDS);
const contextualWords: ReadonlySet<string> = new Set(CONTEXTUAL_WORDS);
const operatorTokens: ReadonlySet<unknown> = new Set([Plus, Minus, Star, Slash, DotStar, DotSlash, Caret, Quote, Le, Ge, EqEq, Lt, Gt, Equals, DotDot, UnicodeOp]);

/** Keywords, numbers and operators from the lexer; a contextual word is a keyword unless the
 *  parser made it a name (`nameStarts`). */
function lexicalTokens(text: string, nameStarts: ReadonlySet<number>, raw: RawToken[]): void {
  const { tokens } = lex(text, new LineIndex(text));
  for (const t of tokens) {
    const start = t.startOffset;
    const length = (t.endOffset ?? start + t.image.length - 1) + 1 - start;
    if (!(length > 0)) continue;
    let type: TokenType | undefined;
    if (t.tokenType === NumberLit) type = "number";
    else if (operatorTokens.has(t.tokenType)) type = "operator";
    else if (reservedWords.has(t.image) || (contextualWords.has(t.image) && !nameStarts.has(start))) type = "keyword";
    if (type) raw.push({ start, length, type: tokenTypes.indexOf(type), modifiers: 0 });
  }
}

/** Comments, one token per line (clients need not support multi-line tokens). */
function commentTokens(analysis: Analysis, raw: RawToken[]): void {
  const type = tokenTypes.indexOf("comment");
  for (const c of analysis.program.comments) {
    let start = c.span.start;
    for (const line of c.text.split("\n")) {
      const length = line.endsWith("\r") ? line.length - 1 : line.length;
      if (length > 0) raw.push({ start, length, type, modifiers: 0 });
      start += line.length + 1;
    }
  }
}

export function semanticTokens(doc: TextDocument, analysis: Analysis): SemanticTokens {
  const raw: RawToken[] = [];
  const { model } = analysis;
  const nameStarts = new Set<number>();
  walk(analysis.program, (node, parents) => {
    if (node.kind !== "Name" && node.kind !== "Identifier") return;
    const length = node.span.end - node.span.start;
    if (length <= 0) return;
    nameStarts.add(node.span.start);
    const parent = parents[parents.length - 1];
    let symbol: SymbolInfo | undefined;
    let declaration = false;
    if (node.kind === "Name") {
      symbol = model.resolve(node as unknown as NameRef);
    } else {
      if (parent?.kind === "Setting") return; // setting keys are keyword-like
      const declared = model.symbolAt(node.span.start);
      if (declared && declared.nameSpan?.start === node.span.start) {
        symbol = declared;
        declaration = true;
      } else {
        symbol = model.resolve(node as unknown as Identifier);
      }
      if (!symbol && parent?.kind === "Call") {
        raw.push({ start: node.span.start, length, type: tokenTypes.indexOf("function"), modifiers: 1 << 2 });
        return;
      }
    }
    if (!symbol) return;
    let type = typeOfKind[symbol.kind];
    let modifiers = modifiersFor(symbol, declaration);
    // A built-in used as a value (`N`, `I`, `inf`) is a constant of the default library.
    if (symbol.kind === "builtin" && parent?.kind !== "Call" && isBuiltinName(symbol.name)) {
      type = "constant";
      modifiers |= 1 << 1;
    }
    raw.push({ start: node.span.start, length, type: tokenTypes.indexOf(type), modifiers });
  });
  lexicalTokens(analysis.text, nameStarts, raw);
  commentTokens(analysis, raw);
  raw.sort((a, b) => a.start - b.start);
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  let lastStart = -1;
  for (const t of raw) {
    if (t.start === lastStart) continue;
    lastStart = t.start;
    const pos = doc.positionAt(t.start);
    const deltaLine = pos.line - prevLine;
    const deltaChar = deltaLine === 0 ? pos.character - prevChar : pos.character;
    data.push(deltaLine, deltaChar, t.length, t.type, t.modifiers);
    prevLine = pos.line;
    prevChar = pos.character;
  }
  return { data };
}
