// Hover: for a name, its declaration, kind, shape, learnable bounds/structure; for any expression,
// its shape and class in the decision variables (constant, affine, convex quadratic, ...); for a
// keyword, its documentation; for a built-in, its signature.

import { MarkupKind, type Hover } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Decl } from "../../language/ast.js";
import type { Analysis } from "../analysis.js";
import { builtinByName, builtinMarkdown, builtinNameDoc, builtinSignature } from "../builtins.js";
import { boundsText, classText, declarationText, kindText, shapeText } from "../describe.js";
import { keywordDocs } from "../keywords.js";
import { settingMarkdown, settingSpec } from "../training.js";
import { nodePath, symbolAt } from "../lookup.js";
import { spanToRange, wordAt } from "../positions.js";

function fence(code: string): string {
  return "```mpcrl\n" + code + "\n```";
}

const EXPRESSION_KINDS = new Set(["Number", "Name", "Array", "Unary", "Binary", "Transpose", "Index", "Call", "Paren"]);

export function hover(doc: TextDocument, analysis: Analysis, offset: number): Hover | null {
  const { text, model } = analysis;
  const lines: string[] = [];
  let rangeSpan;

  const path = nodePath(analysis, offset);
  const innermost = path[path.length - 1];
  const hit = symbolAt(analysis, offset, false);
  const word = wordAt(text, offset);

  // The callee of a call: built-in documentation.
  const parent = path[path.length - 2];
  if (innermost?.kind === "Identifier" && parent?.kind === "Call") {
    const b = builtinByName(word.word);
    if (b) {
      lines.push(fence(builtinSignature(b)), builtinMarkdown(b));
      rangeSpan = innermost.span;
    }
  }

  // A training setting's key: its schema documentation.
  if (lines.length === 0 && innermost?.kind === "Identifier" && parent?.kind === "Setting") {
    const spec = settingSpec(word.word);
    if (spec) {
      lines.push(settingMarkdown(spec));
      rangeSpan = innermost.span;
    }
  }

  if (lines.length === 0 && hit) {
    const { symbol } = hit;
    const declText = declarationText(text, symbol);
    lines.push(fence(declText ?? symbol.name));
    const facts: string[] = [`**${kindText(symbol)}**`];
    if (symbol.scope) facts.push(`in \`${symbol.scope}\``);
    if (symbol.shape) facts.push(`shape ${shapeText(symbol.shape)}`);
    lines.push(facts.join(" · "));
    if (symbol.decl?.kind === "Decl") {
      const decl = symbol.decl as Decl;
      if (decl.structure) lines.push(`structure: \`${decl.structure}\``);
      const b = boundsText(text, decl);
      if (b) lines.push(`bounds: \`${b}\``);
    }
    if (symbol.kind === "builtin") {
      const b = builtinByName(symbol.name);
      const nameDoc = builtinNameDoc(symbol.name);
      if (nameDoc) lines.push(nameDoc);
      else if (b) lines.push(builtinMarkdown(b));
    }
    // Class in the decision variables: of the reference, or of a `let`'s value at its declaration.
    const classNode = hit.node.kind === "Name" ? hit.node.id : symbol.decl?.kind === "Let" ? symbol.decl.value.id : undefined;
    if (classNode !== undefined) {
      const c = model.classOf(classNode);
      if (c) lines.push(`class: ${classText(c)}`);
    }
    rangeSpan = hit.span;
  }

  if (lines.length === 0 && word.word && keywordDocs[word.word] !== undefined && innermost?.kind !== "Number") {
    lines.push(`\`${word.word}\` (keyword)`, keywordDocs[word.word] ?? "");
    return { contents: { kind: MarkupKind.Markdown, value: lines.join("\n\n") }, range: { start: doc.positionAt(word.start), end: doc.positionAt(word.end) } };
  }

  if (lines.length === 0) {
    // The innermost expression: its shape and class.
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i];
      if (!node || node.kind === undefined || !EXPRESSION_KINDS.has(node.kind) || node.id === undefined) continue;
      const shape = model.shapeOf(node.id);
      const c = model.classOf(node.id);
      if (!shape && !c) continue;
      const src = text.slice(node.span.start, node.span.end).replace(/\s+/g, " ");
      lines.push(fence(src.length > 120 ? `${src.slice(0, 117)}...` : src));
      const facts: string[] = ["**expression**"];
      if (shape) facts.push(`shape ${shapeText(shape)}`);
      lines.push(facts.join(" · "));
      if (c) lines.push(`class: ${classText(c)}`);
      rangeSpan = node.span;
      break;
    }
  }

  if (lines.length === 0 || !rangeSpan) return null;
  return { contents: { kind: MarkupKind.Markdown, value: lines.join("\n\n") }, range: spanToRange(doc, rangeSpan) };
}
