// Diagnostics: the verdict of `mpcrl check` (the checker's diagnostics, then, without checker errors,
// the compiler's lowering and numeric checks: AnalysisCache.verdict) converted to LSP (each code linked
// to its own entry of docs/diagnostics.md, the anchor from the registry language/codes.ts, related information, unnecessary/deprecated tags, suggested edits carried in
// `data` for quick fixes), published once per version after a short debounce that a newer change
// cancels.

import {
  DiagnosticSeverity,
  DiagnosticTag,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type DiagnosticRelatedInformation,
} from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { DIAGNOSTICS_DOC, docsHref } from "../../language/codes.js";
import type { Diagnostic, DiagnosticCode, Severity } from "../../language/diagnostics.js";
import type { Analysis, AnalysisCache } from "../analysis.js";
import { spanToRange } from "../positions.js";

/**
 * Where `codeDescription` links point: docs/diagnostics.md, then `#` and the code's anchor from the
 * registry (`<a id="mpc2001">` in the docs, so `...diagnostics.md#mpc2001`). LSP wants an absolute URI,
 * so no relative link: the server (server.ts) sets a `file:` URL of the docs/diagnostics.md shipped
 * next to it (the package ships docs/, so the link matches the installed version and works offline);
 * without one, the docs on GitHub (`https:`). A client may override it (`diagnosticsDocUrl`).
 * `anchors` holds the anchors of the family sections ("1" -> "mpc1xxx-syntax"), read from the
 * headings by server.ts; links no longer use them (every code has its own entry).
 */
export const diagnosticsDocs: { url: string; anchors: Record<string, string> } = {
  url: `https://github.com/mpcrl/mpcrl/blob/main/${DIAGNOSTICS_DOC}`,
  anchors: {},
};

/** The `codeDescription` of a diagnostic with this code: its entry in docs/diagnostics.md. */
export function codeDescription(code: DiagnosticCode): { href: string } {
  return { href: docsHref(code, diagnosticsDocs.url) };
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Anchors of the `## MPC1xxx: ...` sections of docs/diagnostics.md, by family digit. */
export function familyAnchors(markdown: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of markdown.matchAll(/^##\s+(MPC(\d)xxx\b.*)$/gm)) {
    if (m[1] && m[2]) out[m[2]] = headingAnchor(m[1]);
  }
  return out;
}

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** What a published diagnostic carries for code actions. */
export interface DiagnosticData {
  readonly edits: readonly { readonly title: string; readonly range: LspDiagnostic["range"]; readonly newText: string }[];
}

export function toLspDiagnostic(doc: TextDocument, d: Diagnostic): LspDiagnostic {
  const related: DiagnosticRelatedInformation[] = (d.related ?? []).map((r) => ({
    location: { uri: doc.uri, range: spanToRange(doc, r.span) },
    message: r.label,
  }));
  const extra: string[] = [];
  if (d.label) extra.push(d.label);
  for (const n of d.notes ?? []) extra.push(`note: ${n}`);
  if (d.help) extra.push(`help: ${d.help}`);
  const out: LspDiagnostic = {
    range: spanToRange(doc, d.span),
    severity: severities[d.severity],
    code: d.code,
    codeDescription: codeDescription(d.code),
    source: "mpcrl",
    message: extra.length > 0 ? `${d.message}\n${extra.join("\n")}` : d.message,
  };
  if (related.length > 0) out.relatedInformation = related;
  const tags: DiagnosticTag[] = [];
  for (const t of d.tags ?? []) tags.push(t === "unnecessary" ? DiagnosticTag.Unnecessary : DiagnosticTag.Deprecated);
  if (tags.length > 0) out.tags = tags;
  if (d.edits && d.edits.length > 0) {
    const data: DiagnosticData = {
      edits: d.edits.map((e) => ({ title: e.title, range: spanToRange(doc, e.span), newText: e.newText })),
    };
    out.data = data;
  }
  return out;
}

export function lspDiagnostics(doc: TextDocument, analysis: Analysis): LspDiagnostic[] {
  return analysis.diagnostics.map((d) => toLspDiagnostic(doc, d));
}

/**
 * Debounced publication. A change arriving after a quiet period is analysed on the next turn of
 * the event loop (after queued messages, so a burst of edits is coalesced); changes arriving within
 * `debounceMs` of the previous one wait `debounceMs`. A newer change cancels the pending run, and a
 * run whose document has moved on publishes nothing.
 */
export class DiagnosticsScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastChange = new Map<string, number>();

  constructor(
    private readonly connection: Connection,
    private readonly cache: AnalysisCache,
    private readonly getDocument: (uri: string) => TextDocument | undefined,
    public debounceMs = 75,
  ) {}

  schedule(uri: string): void {
    this.cancel(uri);
    const now = performance.now();
    const last = this.lastChange.get(uri);
    this.lastChange.set(uri, now);
    const delay = last !== undefined && now - last < this.debounceMs ? this.debounceMs : 0;
    const doc = this.getDocument(uri);
    const version = doc?.version;
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        this.publish(uri, version);
      }, delay),
    );
  }

  cancel(uri: string): void {
    const t = this.timers.get(uri);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(uri);
  }

  /** Publish the verdict of the document's current version (if it is still `expectedVersion`); a
   *  verdict whose document has moved on (or closed) while the numeric checks ran is dropped. */
  publish(uri: string, expectedVersion?: number): void {
    const doc = this.getDocument(uri);
    if (!doc || (expectedVersion !== undefined && doc.version !== expectedVersion)) return;
    const version = doc.version;
    // A throw in here would be an unhandled rejection, which ends the process: log it instead.
    this.cache
      .verdict(doc)
      .then((diagnostics) => {
        const now = this.getDocument(uri);
        if (!now || now.version !== version) return;
        void this.connection.sendDiagnostics({ uri, version, diagnostics: diagnostics.map((d) => toLspDiagnostic(now, d)) });
      })
      .catch((err: unknown) => {
        try {
          this.connection.console.error(`mpcrl: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        } catch {
          // the connection is gone
        }
      });
  }

  close(uri: string): void {
    this.cancel(uri);
    this.lastChange.delete(uri);
    try {
      void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    } catch {
      // the connection is gone (it throws then, synchronously)
    }
  }
}
