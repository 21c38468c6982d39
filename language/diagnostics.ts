// One diagnostic type for the whole toolchain (checker, compiler, CLI, LSP).
// Codes are stable: MPC1xxx syntax, 2xxx names/types, 3xxx shapes, 4xxx convexity/QP structure,
// 5xxx training and plant/controller consistency. Every code is registered in codes.ts (severity,
// title, docs anchor) and documented in docs/diagnostics.md.

import { CODES, type DiagnosticCode, type FixedSeverityCode, type SeverityOf } from "./codes.js";

export type { DiagnosticCode } from "./codes.js";
export { ALL_CODES, CODES, DIAGNOSTICS_DOC, RETIRED_CODES, codeInfo, docsAnchor, docsHref, fixedSeverity, isDiagnosticCode, type CodeInfo } from "./codes.js";

/** A half-open range of UTF-16 offsets into the source text, plus 1-based line/column of its start and end. */
export interface Span {
  readonly start: number; // offset, inclusive
  readonly end: number; // offset, exclusive
  readonly startLine: number; // 1-based
  readonly startColumn: number; // 1-based, UTF-16 units
  readonly endLine: number;
  readonly endColumn: number; // 1-based, exclusive
}

export type Severity = "error" | "warning" | "info" | "hint";

export interface RelatedSpan {
  readonly span: Span;
  readonly label: string;
}

/** A textual replacement, part of the fix suggested for a diagnostic (`Diagnostic.edits`). */
export interface SuggestedEdit {
  readonly span: Span;
  readonly newText: string;
  /** Short description of the edit, e.g. "replace with `horizon`". */
  readonly title: string;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable code such as "MPC2001", registered in codes.ts. */
  readonly code: DiagnosticCode;
  /** One line, no trailing period, lower-case start like rustc ("unknown name `xx`"). */
  readonly message: string;
  /** Primary range (carets in the terminal, the squiggle in the editor). */
  readonly span: Span;
  /** Label printed under the primary carets. */
  readonly label?: string;
  readonly related?: readonly RelatedSpan[];
  /** Free-text notes ("note: ..."). */
  readonly notes?: readonly string[];
  /** Free-text help ("help: ..."). */
  readonly help?: string;
  /**
   * The suggested fix: ALL of these edits together (non-overlapping, applied at once; rendered as
   * `help:` and offered by the language server as one quick fix). Applying them removes this
   * diagnostic and introduces no error (language/test/edits.redteam.test.ts); a diagnostic with no
   * mechanical fix has a `help` and no edits. A diagnostic suggests at most one fix (no alternatives).
   */
  readonly edits?: readonly SuggestedEdit[];
  /** LSP tags: an unused declaration is "unnecessary". */
  readonly tags?: readonly ("unnecessary" | "deprecated")[];
}

/** What a diagnostic constructor takes: a registered code, and a severity the registry allows for it
 *  (optional when the registry fixes it). */
export type DiagnosticInput<C extends DiagnosticCode = DiagnosticCode> = Omit<Diagnostic, "code" | "severity"> & {
  readonly code: C;
} & (C extends FixedSeverityCode ? { readonly severity?: SeverityOf<C> } : { readonly severity: SeverityOf<C> });

/** A diagnostic whose severity comes from the registry when it is fixed for the code. */
export function diagnostic<C extends DiagnosticCode>(d: DiagnosticInput<C>): Diagnostic {
  const fixed = CODES[d.code].severity;
  const severity = d.severity ?? (fixed === "error|warning" ? "error" : fixed);
  return { ...d, severity };
}
