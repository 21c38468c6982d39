// The parts of the language front end's API that land after the parser and checker (formatter,
// terminal rendering of diagnostics). Looked up on the module namespace so that the server runs
// (without those features) while they are not yet exported.

import * as language from "../language/index.js";
import type { Diagnostic } from "../language/diagnostics.js";

interface LateApi {
  readonly format?: (text: string) => unknown;
  readonly renderDiagnostics?: (diagnostics: readonly Diagnostic[], text: string, fileName: string) => string;
}

const api = language as unknown as LateApi;

/** The formatted text, or undefined when the formatter refuses (syntax errors) or is absent. */
export function formatText(text: string): string | undefined {
  if (!api.format) return undefined;
  const out = api.format(text);
  if (typeof out === "string") return out;
  if (typeof out === "object" && out !== null) {
    const o = out as { text?: unknown; ok?: unknown; formatted?: unknown };
    if (o.ok === false) return undefined;
    if (typeof o.text === "string") return o.text;
    if (typeof o.formatted === "string") return o.formatted;
  }
  return undefined;
}

export function renderDiagnosticsText(diagnostics: readonly Diagnostic[], text: string, fileName: string): string {
  if (api.renderDiagnostics) return api.renderDiagnostics(diagnostics, text, fileName);
  return diagnostics.map((d) => `${d.severity}[${d.code}]: ${d.message}\n  --> ${fileName}:${d.span.startLine}:${d.span.startColumn}`).join("\n");
}
