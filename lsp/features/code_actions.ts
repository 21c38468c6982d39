// Code actions: quick fixes from the diagnostics' suggested edits (carried in `data`), and the
// "Compile to TypeScript" source action (a command the VS Code extension implements with the
// `mpcrl/compile` request).

import { CodeActionKind, type CodeAction, type CodeActionParams } from "vscode-languageserver";
import type { DiagnosticData } from "./diagnostics.js";

export const COMPILE_COMMAND = "mpcrl.compileToTypeScript";
export const compileActionKind = `${CodeActionKind.Source}.compileToTypeScript`;

function isDiagnosticData(value: unknown): value is DiagnosticData {
  return typeof value === "object" && value !== null && Array.isArray((value as { edits?: unknown }).edits);
}

export function codeActions(params: CodeActionParams): CodeAction[] {
  const only = params.context.only;
  const wants = (kind: string): boolean => !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));
  const out: CodeAction[] = [];
  if (wants(CodeActionKind.QuickFix)) {
    for (const d of params.context.diagnostics) {
      if (!isDiagnosticData(d.data)) continue;
      for (const e of d.data.edits) {
        out.push({
          title: e.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          isPreferred: d.data.edits.length === 1,
          edit: { changes: { [params.textDocument.uri]: [{ range: e.range, newText: e.newText }] } },
        });
      }
    }
  }
  if (wants(compileActionKind)) {
    out.push({
      title: "Compile to TypeScript",
      kind: compileActionKind,
      command: { title: "Compile to TypeScript", command: COMPILE_COMMAND, arguments: [params.textDocument.uri] },
    });
  }
  return out;
}
