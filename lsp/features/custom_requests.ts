// Requests beyond LSP that the VS Code extension's commands use:
// - `mpcrl/check` {uri}: the diagnostics rendered as `mpcrl check` prints them, with counts;
// - `mpcrl/compile` {uri}: the generated TypeScript module (compiler/index.ts `compile`);
// - `mpcrl/qp` {uri}: a Markdown summary of the generated QP (sizes, sparsity, theta layout).
// The compiler is loaded on first use, so that the server starts without it.

import type { Connection } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { AnalysisCache } from "../analysis.js";
import { renderDiagnosticsText } from "../frontend.js";
import { qpSummary } from "../qp_summary.js";

export interface CheckReport {
  readonly errors: number;
  readonly warnings: number;
  readonly rendered: string;
}

export interface CompileReply {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
}

export interface QpReply {
  readonly ok: boolean;
  readonly summary?: string;
  readonly message?: string;
}

function fileNameOf(uri: string): string {
  const last = uri.split("/").pop() ?? "spec.mpcrl";
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

export function registerCustomRequests(connection: Connection, getDocument: (uri: string) => TextDocument | undefined, cache: AnalysisCache): void {
  connection.onRequest("mpcrl/check", (params: { uri?: string } | null): CheckReport | null => {
    const doc = getDocument(params?.uri ?? "");
    if (!doc) return null;
    const a = cache.get(doc);
    const errors = a.diagnostics.filter((d) => d.severity === "error").length;
    const warnings = a.diagnostics.filter((d) => d.severity === "warning").length;
    return { errors, warnings, rendered: renderDiagnosticsText(a.diagnostics, a.text, fileNameOf(doc.uri)) };
  });

  connection.onRequest("mpcrl/compile", async (params: { uri?: string } | null): Promise<CompileReply> => {
    const doc = getDocument(params?.uri ?? "");
    if (!doc) return { ok: false, message: "the document is not open" };
    const fileName = fileNameOf(doc.uri);
    try {
      const { compile } = await import("../../compiler/index.js");
      const text = doc.getText();
      const result = compile(text, { fileName });
      if (result.code === undefined) return { ok: false, message: renderDiagnosticsText(result.diagnostics.filter((d) => d.severity === "error"), text, fileName) || "the spec has errors" };
      return { ok: true, code: result.code };
    } catch (err) {
      return { ok: false, message: `internal error in the compiler: ${err instanceof Error ? err.message : String(err)}` };
    }
  });

  connection.onRequest("mpcrl/qp", async (params: { uri?: string } | null): Promise<QpReply> => {
    const doc = getDocument(params?.uri ?? "");
    if (!doc) return { ok: false, message: "the document is not open" };
    const fileName = fileNameOf(doc.uri);
    try {
      const { lower } = await import("../../compiler/index.js");
      const text = doc.getText();
      const low = lower(text, { fileName, skipNumericChecks: true });
      if (!low.ir) return { ok: false, message: renderDiagnosticsText(low.diagnostics.filter((d) => d.severity === "error"), text, fileName) || "no controller to compile" };
      return { ok: true, summary: qpSummary(low.ir, fileName) };
    } catch (err) {
      return { ok: false, message: `internal error in the compiler: ${err instanceof Error ? err.message : String(err)}` };
    }
  });
}
