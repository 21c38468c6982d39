// Completion: keywords valid at the cursor, names in scope (with kind and shape), built-ins, words
// expected after a keyword (`using zoh`, `learnable diag`), and snippets for whole blocks and
// training algorithms with their settings.

import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem } from "vscode-languageserver";
import type { SymbolInfo } from "../../language/semantic.js";
import type { Analysis } from "../analysis.js";
import { BUILTIN_FUNCTIONS, BUILTIN_NAMES, builtinMarkdown, builtinSignature } from "../builtins.js";
import { cursorContext } from "../context.js";
import { kindText, shapeText } from "../describe.js";
import { blockKeywords, keywordDocs } from "../keywords.js";
import { ALGORITHMS, algorithmSnippet, firstArgWords, settingMarkdown, settingSnippet, settingsFor, settingUsage, STUDY_ENTRY_SPECS } from "../training.js";

const blockSnippets: readonly { label: string; detail: string; body: string }[] = [
  {
    label: "controller",
    detail: "controller block (linear MPC)",
    body: [
      "controller ${1:Mpc} {",
      "  state  x[${2:2}]",
      "  input  u[${3:1}] in [${4:-1}, ${5:1}]",
      "  horizon ${6:10}",
      "  learnable A[$2,$2] = ${7:I(2)}",
      "  learnable B[$2,$3] = ${8:zeros($2, $3)}",
      "  dynamics x+ = A*x + B*u",
      "  minimize stage 0.5*(x'*x + u'*u)",
      "  subject to",
      "    ${9:-1 <= u <= 1}",
      "}",
    ].join("\n"),
  },
  {
    label: "plant",
    detail: "plant block (environment)",
    body: [
      "plant ${1:System} {",
      "  state s[${2:2}] = ${3:[0, 0]}",
      "  input a[${4:1}]",
      "  dynamics s+ = ${5:s}",
      "  cost ${6:0.5*(s'*s + a'*a)}",
      "  episode ${7:100}",
      "}",
    ].join("\n"),
  },
  {
    label: "train",
    detail: "train block (Q-learning)",
    body: [
      "train ${1:Mpc} on ${2:System} {",
      "  algorithm q_learning {",
      "    optimizer newton(lr = ${3:5e-2})",
      "    hessian approximate",
      "    update every ${4:1} steps",
      "  }",
      "  episodes ${5:1}",
      "  steps ${6:1000}",
      "  seed ${7:0}",
      "}",
    ].join("\n"),
  },
];

/** Words expected right after a keyword. */
const followers: Readonly<Record<string, readonly string[]>> = {
  learnable: ["diag", "factor", "psd"],
  using: ["zoh", "rk4", "euler"],
  penalty: ["linear", "quadratic"],
  subject: ["to"],
};

const IDENT = /^[\p{L}_][\p{L}\p{N}_]*$/u;

function symbolItem(symbol: SymbolInfo): CompletionItem {
  const kind =
    symbol.kind === "controller" || symbol.kind === "plant"
      ? CompletionItemKind.Class
      : symbol.kind === "const" || symbol.kind === "param"
        ? CompletionItemKind.Constant
        : symbol.kind === "learnable"
          ? CompletionItemKind.Property
          : CompletionItemKind.Variable;
  const detail = symbol.shape ? `${kindText(symbol)} · ${shapeText(symbol.shape)}` : kindText(symbol);
  return { label: symbol.name, kind, detail, sortText: `1_${symbol.name}` };
}

function keywordItem(word: string): CompletionItem {
  const doc = keywordDocs[word.split(" ")[0] ?? word];
  const item: CompletionItem = { label: word, kind: CompletionItemKind.Keyword, sortText: `0_${word}` };
  if (doc) item.documentation = { kind: MarkupKind.Markdown, value: doc };
  return item;
}

export function completion(analysis: Analysis, offset: number): CompletionItem[] {
  const ctx = cursorContext(analysis.text, offset);
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  const push = (item: CompletionItem): void => {
    const key = `${item.label}\u0000${item.kind ?? 0}`;
    if (seen.has(key)) return;
    seen.add(key);
    items.push(item);
  };

  // After a keyword that takes one of a few words.
  const training = ctx.block === "train" || ctx.block === "settings";
  const after = ctx.previousWord ? (training ? firstArgWords(ctx.previousWord) : followers[ctx.previousWord]) : undefined;
  if (after && after.length > 0) {
    for (const w of after) push({ label: w, kind: CompletionItemKind.EnumMember, sortText: `0_${w}` });
    return items;
  }
  // `train <controller> on <plant>`
  if (ctx.block === "top" && /^\s*train\s+$/.test(ctx.linePrefix)) {
    for (const s of analysis.model.symbolsIn(undefined)) if (s.kind === "controller") push(symbolItem(s));
    return items;
  }
  if (ctx.block === "top" && /^\s*train\s+\w+\s+on\s+$/.test(ctx.linePrefix)) {
    for (const s of analysis.model.symbolsIn(undefined)) if (s.kind === "plant") push(symbolItem(s));
    return items;
  }

  const atLineStart = ctx.linePrefix.trim() === "";
  if (atLineStart) {
    for (const k of blockKeywords[ctx.block]) push(keywordItem(k));
    if (ctx.block === "top") {
      for (const s of blockSnippets) {
        push({ label: s.label, kind: CompletionItemKind.Snippet, detail: s.detail, insertText: s.body, insertTextFormat: InsertTextFormat.Snippet, sortText: `2_${s.label}` });
      }
      return items;
    }
    if (training) {
      // Settings of the training schema; in `algorithm a { }` only those `a` uses.
      const header = ctx.settingsHeader ?? [];
      const algorithm = header[0] === "algorithm" ? header[1] : undefined;
      for (const spec of header[0] === "study" ? STUDY_ENTRY_SPECS : settingsFor(algorithm)) {
        push({
          label: spec.key,
          kind: CompletionItemKind.Property,
          detail: settingUsage(spec),
          documentation: { kind: MarkupKind.Markdown, value: settingMarkdown(spec) },
          insertText: settingSnippet(spec),
          insertTextFormat: InsertTextFormat.Snippet,
          sortText: `1_${spec.key}`,
        });
      }
      if (ctx.block === "train") {
        for (const a of ALGORITHMS) {
          push({ label: `algorithm ${a}`, kind: CompletionItemKind.Snippet, detail: "algorithm with its required settings", insertText: algorithmSnippet(a), insertTextFormat: InsertTextFormat.Snippet, sortText: `2_${a}` });
        }
      }
      return items;
    }
  }

  if (ctx.block === "top" && atLineStart) return items;
  // Expression position: names in scope, built-ins and expression keywords.
  const scopes = new Set<string | undefined>([undefined]);
  if (ctx.blockName && (ctx.block === "controller" || ctx.block === "plant")) scopes.add(ctx.blockName);
  for (const scope of scopes) for (const s of analysis.model.symbolsIn(scope)) if (IDENT.test(s.name) && s.kind !== "controller" && s.kind !== "plant" && s.kind !== "train") push(symbolItem(s));
  for (const f of BUILTIN_FUNCTIONS) {
    if (f.place === "plant" && ctx.block !== "plant") continue;
    if (f.place === "dynamics-lhs") continue;
    push({
      label: f.name,
      kind: CompletionItemKind.Function,
      detail: builtinSignature(f),
      documentation: { kind: MarkupKind.Markdown, value: builtinMarkdown(f) },
      insertText: `${f.name}($1)`,
      insertTextFormat: InsertTextFormat.Snippet,
      sortText: `3_${f.name}`,
    });
  }
  for (const b of BUILTIN_NAMES) {
    if ((b.name === "N" || b.name === "k") && ctx.block !== "controller") continue;
    push({ label: b.name, kind: CompletionItemKind.Constant, detail: "built-in", documentation: { kind: MarkupKind.Markdown, value: b.doc }, sortText: `4_${b.name}` });
  }
  if (ctx.block === "controller") {
    const depth = (ctx.linePrefix.match(/[([]/g) ?? []).length - (ctx.linePrefix.match(/[)\]]/g) ?? []).length;
    if (depth === 0 && /\bminimize\b|^\s*\+/.test(ctx.linePrefix)) for (const w of ["stage", "terminal", "initial"]) push(keywordItem(w));
    if (/<=|>=|==/.test(ctx.linePrefix)) for (const w of ["for", "penalty"]) push(keywordItem(w));
    if (atLineStart) for (const w of ["soft", "terminal"]) push(keywordItem(w));
  }
  return items;
}
