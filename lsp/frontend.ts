// The formatter and the terminal renderer of the front end, as the server uses them.

import { format, formatRange, renderDiagnostics } from "../language/index.js";
import type { Diagnostic } from "../language/diagnostics.js";

/** The formatted text, or undefined when the formatter refuses (syntax errors). */
export function formatText(text: string): string | undefined {
  const out = format(text);
  if (out.diagnostics.some((d) => d.severity === "error")) return undefined;
  return out.text;
}

/** Edits (offsets in `text`) formatting the top-level items that overlap [start, end). */
export function formatRangeText(text: string, start: number, end: number): readonly { start: number; end: number; newText: string }[] {
  return formatRange(text, start, end).edits;
}

/** Diagnostics rendered as `mpcrl check` prints them (no colors). */
export function renderDiagnosticsText(diagnostics: readonly Diagnostic[], text: string, fileName: string): string {
  return renderDiagnostics(text, diagnostics, fileName);
}
