// Signature help for built-in calls. Works on the text before the cursor (the call is usually
// unfinished while typing): the innermost unclosed `name(` and the number of top-level commas
// since it give the function and the active parameter.

import { MarkupKind, type SignatureHelp } from "vscode-languageserver";
import { builtinByName, builtinSignature } from "../builtins.js";

export function openCallAt(text: string, offset: number): { name: string; argIndex: number } | undefined {
  let depth = 0;
  let commas = 0;
  for (let i = offset - 1; i >= 0; i--) {
    const ch = text[i];
    if (ch === "\n" && depth === 0 && /^\s*(\}|controller|plant|train)\b/.test(text.slice(i + 1))) return undefined;
    if (ch === ")" || ch === "]") depth++;
    else if (ch === "[") {
      if (depth === 0) return undefined; // inside an array literal, not a call
      depth--;
    } else if (ch === "(") {
      if (depth === 0) {
        const m = text.slice(0, i).match(/([A-Za-z_][A-Za-z0-9_]*)\s*$/);
        if (!m?.[1]) return undefined;
        return { name: m[1], argIndex: commas };
      }
      depth--;
    } else if (ch === "," && depth === 0) commas++;
    else if (ch === "{" || ch === "}") return undefined;
  }
  return undefined;
}

export function signatureHelp(text: string, offset: number): SignatureHelp | null {
  const call = openCallAt(text, offset);
  if (!call) return null;
  const f = builtinByName(call.name);
  if (!f) return null;
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
