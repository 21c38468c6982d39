// Requests beyond LSP that the VS Code extension's commands use:
// - `mpcrl/check` {uri}: the diagnostics rendered as `mpcrl check` prints them, with counts.

import type { Connection } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { renderDiagnosticsText } from "../frontend.js";
import type { AnalysisCache } from "../analysis.js";

export interface CheckReport {
  readonly errors: number;
  readonly warnings: number;
  readonly rendered: string;
}

export function registerCustomRequests(connection: Connection, getDocument: (uri: string) => TextDocument | undefined, cache: AnalysisCache): void {
  connection.onRequest("mpcrl/check", (params: { uri: string }): CheckReport | null => {
    const doc = getDocument(params.uri);
    if (!doc) return null;
    const a = cache.get(doc);
    const errors = a.diagnostics.filter((d) => d.severity === "error").length;
    const warnings = a.diagnostics.filter((d) => d.severity === "warning").length;
    const rendered = renderDiagnosticsText(a.diagnostics, a.text, doc.uri);
    return { errors, warnings, rendered };
  });
}
