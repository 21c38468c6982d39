// One diagnostic type for the whole toolchain (checker, compiler, CLI, LSP).
// Codes are stable: MPC1xxx syntax, 2xxx names/types, 3xxx shapes, 4xxx convexity/QP structure,
// 5xxx training and plant/controller consistency. Every code is documented in docs/diagnostics.md.

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

/** A textual replacement suggested to fix a diagnostic (rendered as `help:` and offered as an LSP quick fix). */
export interface SuggestedEdit {
  readonly span: Span;
  readonly newText: string;
  /** Short description of the edit, e.g. "replace with `horizon`". */
  readonly title: string;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable code such as "MPC2001". */
  readonly code: string;
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
  readonly edits?: readonly SuggestedEdit[];
  /** LSP tags: an unused declaration is "unnecessary". */
  readonly tags?: readonly ("unnecessary" | "deprecated")[];
}
