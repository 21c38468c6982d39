// Document symbols (the outline: blocks and their declarations) and workspace symbols across the
// open documents.

import { SymbolKind, type DocumentSymbol, type SymbolInformation } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Decl, LetDecl, Setting } from "../../language/ast.js";
import type { Analysis } from "../analysis.js";
import { shapeText } from "../describe.js";
import { spanToRange } from "../positions.js";

const declKinds: Record<string, SymbolKind> = {
  state: SymbolKind.Variable,
  input: SymbolKind.Variable,
  param: SymbolKind.Constant,
  runtime: SymbolKind.Field,
  disturbance: SymbolKind.Event,
  const: SymbolKind.Constant,
  learnable: SymbolKind.Property,
};

function declSymbol(doc: TextDocument, analysis: Analysis, d: Decl | LetDecl): DocumentSymbol {
  const info = analysis.model.symbolAt(d.name.span.start);
  const kindWord = d.kind === "Let" ? "let" : d.declKind;
  const detail = info?.shape ? `${kindWord} ${shapeText(info.shape)}` : kindWord;
  return {
    name: d.name.name || "?",
    detail,
    kind: d.kind === "Let" ? SymbolKind.Variable : (declKinds[d.declKind] ?? SymbolKind.Variable),
    range: spanToRange(doc, d.span),
    selectionRange: spanToRange(doc, d.name.span),
  };
}

function settingSymbol(doc: TextDocument, s: Setting): DocumentSymbol {
  const out: DocumentSymbol = {
    name: s.key.name || "?",
    kind: SymbolKind.Key,
    range: spanToRange(doc, s.span),
    selectionRange: spanToRange(doc, s.key.span),
  };
  if (s.block && s.block.length > 0) out.children = s.block.map((c) => settingSymbol(doc, c));
  return out;
}

export function documentSymbols(doc: TextDocument, analysis: Analysis): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const item of analysis.program.items) {
    if (item.kind === "Decl") {
      out.push(declSymbol(doc, analysis, item));
    } else if (item.kind === "Controller" || item.kind === "Plant") {
      const children: DocumentSymbol[] = [];
      for (const it of item.items) {
        if (it.kind === "Decl" || it.kind === "Let") children.push(declSymbol(doc, analysis, it));
        else if (it.kind === "Dynamics") children.push({ name: `${it.target.name}${it.form === "discrete" ? "+" : "'"}`, detail: "dynamics", kind: SymbolKind.Function, range: spanToRange(doc, it.span), selectionRange: spanToRange(doc, it.target.span) });
        else if (it.kind === "Objective") children.push({ name: "minimize", kind: SymbolKind.Method, range: spanToRange(doc, it.span), selectionRange: spanToRange(doc, it.span) });
        else if (it.kind === "SubjectTo") children.push({ name: "subject to", detail: `${it.constraints.length} constraint(s)`, kind: SymbolKind.Interface, range: spanToRange(doc, it.span), selectionRange: spanToRange(doc, it.span) });
      }
      out.push({
        name: item.name.name || "?",
        detail: item.kind === "Controller" ? "controller" : "plant",
        kind: item.kind === "Controller" ? SymbolKind.Class : SymbolKind.Module,
        range: spanToRange(doc, item.span),
        selectionRange: spanToRange(doc, item.name.span),
        children,
      });
    } else if (item.kind === "Train") {
      out.push({
        name: `train ${item.controller.name} on ${item.plant.name}`,
        detail: "train",
        kind: SymbolKind.Event,
        range: spanToRange(doc, item.span),
        selectionRange: spanToRange(doc, item.keywordSpan),
        children: item.settings.map((s) => settingSymbol(doc, s)),
      });
    }
  }
  return out;
}

/** Flattened symbols of every open document whose name contains the query's characters in order. */
export function workspaceSymbols(entries: readonly { doc: TextDocument; analysis: Analysis }[], query: string): SymbolInformation[] {
  const q = query.toLowerCase();
  const matches = (name: string): boolean => {
    let i = 0;
    for (const ch of name.toLowerCase()) if (ch === q[i]) i++;
    return i === q.length;
  };
  const out: SymbolInformation[] = [];
  for (const { doc, analysis } of entries) {
    const rec = (symbols: readonly DocumentSymbol[], container?: string): void => {
      for (const s of symbols) {
        if (matches(s.name)) {
          const info: SymbolInformation = { name: s.name, kind: s.kind, location: { uri: doc.uri, range: s.selectionRange } };
          if (container) info.containerName = container;
          out.push(info);
        }
        if (s.children) rec(s.children, s.name);
      }
    };
    rec(documentSymbols(doc, analysis));
  }
  return out;
}
