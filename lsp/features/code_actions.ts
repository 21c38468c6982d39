// Code actions: quick fixes from the diagnostics' suggested edits (carried in `data`: one quick fix
// per diagnostic, applying all of its edits), and the "Compile to TypeScript" source action (a
// command the VS Code extension implements with the `mpcrl/compile` request).

import { CodeActionKind, type CodeAction, type CodeActionParams } from "vscode-languageserver";
import type { DiagnosticData } from "./diagnostics.js";

export const COMPILE_COMMAND = "mpcrl.compileToTypeScript";
export const compileActionKind = `${CodeActionKind.Source}.compileToTypeScript`;

const isPosition = (p: unknown): boolean =>
  typeof p === "object" && p !== null && Number.isInteger((p as { line?: unknown }).line) && Number.isInteger((p as { character?: unknown }).character);

/** `data` as the server published it: the client sends it back, and may send anything. */
function isDiagnosticData(value: unknown): value is DiagnosticData {
  if (typeof value !== "object" || value === null) return false;
  const edits = (value as { edits?: unknown }).edits;
  return (
    Array.isArray(edits) &&
    edits.every((e: unknown) => {
      const { title, newText, range } = (e ?? {}) as { title?: unknown; newText?: unknown; range?: { start?: unknown; end?: unknown } | null };
      return typeof title === "string" && typeof newText === "string" && isPosition(range?.start) && isPosition(range?.end);
    })
  );
}

/** The title of a fix made of edits with these titles: each title once, joined by "and". */
export function fixTitle(titles: readonly string[]): string {
  const once = [...new Set(titles)];
  return once.length <= 1 ? (once[0] ?? "") : `${once.slice(0, -1).join(", ")} and ${once[once.length - 1]}`;
}

export function codeActions(params: CodeActionParams): CodeAction[] {
  const only = Array.isArray(params.context?.only) ? params.context.only : undefined;
  const wants = (kind: string): boolean => !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));
  const out: CodeAction[] = [];
  if (wants(CodeActionKind.QuickFix)) {
    const diagnostics: unknown = params.context?.diagnostics;
    for (const d of Array.isArray(diagnostics) ? (diagnostics as CodeActionParams["context"]["diagnostics"]) : []) {
      if (typeof d !== "object" || d === null) continue;
      if (!isDiagnosticData(d.data)) continue;
      // The edits of one diagnostic together are its one fix (language/diagnostics.ts
      // `Diagnostic.edits`): one quick fix applying all of them, never one per edit (a part alone
      // may be no fix: `learnable factor` without `Q*Q'`, the soft constraint without the removal
      // of the `max(0, e)` cost term it replaces).
      const edits = d.data.edits;
      if (edits.length === 0) continue;
      out.push({
        title: fixTitle(edits.map((e) => e.title)),
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: true,
        edit: { changes: { [params.textDocument.uri]: edits.map((e) => ({ range: e.range, newText: e.newText })) } },
      });
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
