// Signature help for built-in calls and for training setting calls (`optimizer newton(lr = ...)`,
// `exploration ou(sigma = ...)`). Works on the text before the cursor (the call is usually
// unfinished while typing): the innermost unclosed `name(` and the number of top-level commas
// since it give the function and the active parameter; a named argument (`decay = `) selects its
// parameter by name. Training calls are read from the checker's schema (TRAIN_SETTINGS).

import { MarkupKind, type SignatureHelp } from "vscode-languageserver";
import { builtinByName, builtinSignature } from "../builtins.js";
import { wordEndingAt } from "../context.js";
import { TRAIN_SETTINGS } from "../training.js";

const blockStart = /(\}|controller|plant|train)\b/y;

/** The word before `end`, blanks between allowed (`/(\w+)\s*$/` without its quadratic retries). */
function wordBefore(text: string, end: number): { word: string; start: number } | undefined {
  let e = end;
  while (e > 0 && /\s/.test(text[e - 1] ?? "")) e--;
  return wordEndingAt(text, e);
}

export function openCallAt(
  text: string,
  offset: number,
): { name: string; argIndex: number; argStart?: number; nameStart?: number } | undefined {
  let depth = 0;
  let commas = 0;
  let argStart: number | undefined;
  // First non-blank character after i, kept while scanning backwards (no rescan of blank runs).
  let nonBlank = offset;
  while (nonBlank < text.length && /\s/.test(text[nonBlank] ?? "")) nonBlank++;
  for (let i = offset - 1; i >= 0; i--) {
    const ch = text[i];
    if (!/\s/.test(text[i + 1] ?? "")) nonBlank = i + 1;
    if (ch === "\n" && depth === 0) {
      blockStart.lastIndex = nonBlank;
      if (blockStart.test(text)) return undefined;
    }
    if (ch === ")" || ch === "]") depth++;
    else if (ch === "[") {
      if (depth === 0) return undefined; // inside an array literal, not a call
      depth--;
    } else if (ch === "(") {
      if (depth === 0) {
        const m = wordBefore(text, i);
        if (!m) return undefined;
        return { name: m.word, argIndex: commas, argStart: argStart ?? i + 1, nameStart: m.start };
      }
      depth--;
    } else if (ch === "," && depth === 0) {
      if (argStart === undefined) argStart = i + 1;
      commas++;
    } else if (ch === "{" || ch === "}") return undefined;
  }
  return undefined;
}

type CallVariant = Extract<(typeof TRAIN_SETTINGS)[number]["args"][number], { kind: "call" }>["variants"][number];
type VariantParam = CallVariant["params"][number];

/** The call variant named `name` of the setting written just before it (any setting if none). */
function trainingVariant(text: string, nameStart: number, name: string): { key: string; variant: CallVariant } | undefined {
  const before = wordBefore(text, nameStart)?.word;
  for (const spec of TRAIN_SETTINGS) {
    if (before !== undefined && spec.key !== before) continue;
    for (const arg of spec.args) {
      if (arg.kind !== "call") continue;
      const variant = arg.variants.find((v) => v.name === name);
      if (variant) return { key: spec.key, variant };
    }
  }
  return undefined;
}

/** `lr > 0`, `beta1 in [0, 1]`, `n >= 1, integer`: the admissible values of a numeric parameter. */
function rangeText(p: VariantParam): string {
  const parts: string[] = [];
  if (p.min !== undefined && p.max !== undefined) parts.push(`in ${p.minExclusive ? "(" : "["}${p.min}, ${p.max}]`);
  else if (p.min !== undefined) parts.push(`${p.minExclusive ? ">" : ">="} ${p.min}`);
  else if (p.max !== undefined) parts.push(`<= ${p.max}`);
  if (p.integer) parts.push("integer");
  return parts.join(", ");
}

function trainingHelp(text: string, offset: number, call: { name: string; argIndex: number; argStart?: number; nameStart?: number }): SignatureHelp | null {
  if (call.nameStart === undefined) return null;
  const found = trainingVariant(text, call.nameStart, call.name);
  if (!found) return null;
  const { key, variant } = found;
  const params = variant.params;
  // Parameter labels as [start, end) offsets into the label: `epsilon` also occurs in `epsilon_greedy`.
  let label = `${variant.name}(`;
  const spans: [number, number][] = [];
  params.forEach((p, i) => {
    if (i > 0) label += ", ";
    const shown = `${p.name}${p.optional ? "?" : ""}`;
    spans.push([label.length, label.length + shown.length]);
    label += `${shown} = ...`;
  });
  label += ")";
  const argText = text.slice(call.argStart ?? offset, offset);
  const named = argText.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/)?.[1];
  const byName = named === undefined ? -1 : params.findIndex((p) => p.name === named);
  const active = byName >= 0 ? byName : Math.min(call.argIndex, Math.max(0, params.length - 1));
  return {
    signatures: [
      {
        label,
        documentation: { kind: MarkupKind.Markdown, value: `\`${key}\`: ${variant.doc}` },
        parameters: params.map((p, i) => {
          const range = rangeText(p);
          return {
            label: spans[i] ?? [0, 0],
            documentation: `${p.optional ? "optional" : "required"}${range ? `; ${range}` : ""}`,
          };
        }),
      },
    ],
    activeSignature: 0,
    activeParameter: active,
  };
}

export function signatureHelp(text: string, offset: number): SignatureHelp | null {
  const call = openCallAt(text, offset);
  if (!call) return null;
  const f = builtinByName(call.name);
  if (!f) return trainingHelp(text, offset, call);
  return {
    signatures: [
      {
        label: builtinSignature(f),
        documentation: { kind: MarkupKind.Markdown, value: `${f.doc}\n\nresult shape: ${f.shapeRule}` },
        parameters: f.params.map((p) => ({ label: p.optional ? `${p.name}?` : p.name, documentation: p.doc })),
      },
    ],
    activeSignature: 0,
    activeParameter: Math.min(call.argIndex, Math.max(0, f.params.length - 1)),
  };
}
