// The language server: wires the LSP connection to the document store, the analysis cache and one
// handler per feature (lsp/features/). Every handler runs against the latest version of its
// document, returns nothing once cancelled, and turns an internal error into a logged message and
// an empty answer, so that no sequence of edits or requests can bring the server down.

import {
  CodeActionKind,
  ErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type Connection,
  type InitializeResult,
  type Range,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { AnalysisCache, type Analysis } from "./analysis.js";
import { codeActions, compileActionKind } from "./features/code_actions.js";
import { completion } from "./features/completion.js";
import { DiagnosticsScheduler, diagnosticsDocs } from "./features/diagnostics.js";
import { foldingRanges } from "./features/folding.js";
import { formatDocument, formatRangeEdits } from "./features/formatting.js";
import { hover } from "./features/hover.js";
import { inlayHints } from "./features/inlay_hints.js";
import { definition, highlights, prepareRename, references, rename } from "./features/navigation.js";
import { semanticTokens, semanticTokensLegend } from "./features/semantic_tokens.js";
import { signatureHelp } from "./features/signature_help.js";
import { documentSymbols, workspaceSymbols } from "./features/symbols.js";
import { registerCustomRequests } from "./features/custom_requests.js";

export interface ServerOptions {
  /** Debounce of diagnostics after a burst of changes, in milliseconds. */
  readonly debounceMs?: number;
  /** Base URL of docs/diagnostics.md for `codeDescription` links. */
  readonly diagnosticsDocUrl?: string;
}

function readOptions(value: unknown): ServerOptions {
  if (typeof value !== "object" || value === null) return {};
  const v = value as Record<string, unknown>;
  const out: { debounceMs?: number; diagnosticsDocUrl?: string } = {};
  if (typeof v.debounceMs === "number" && Number.isFinite(v.debounceMs) && v.debounceMs >= 0) out.debounceMs = v.debounceMs;
  if (typeof v.diagnosticsDocUrl === "string") out.diagnosticsDocUrl = v.diagnosticsDocUrl;
  return out;
}

/** Starts serving; `defaults` apply unless the client's initializationOptions override them. */
export function startServer(connection: Connection, defaults: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const cache = new AnalysisCache();
  const scheduler = new DiagnosticsScheduler(connection, cache, (uri) => documents.get(uri));

  /** Runs a handler on the latest analysis of a document; errors become an empty answer. */
  function withDoc<T>(uri: string, token: CancellationToken | undefined, empty: T, run: (doc: TextDocument, analysis: Analysis) => T): T {
    if (token?.isCancellationRequested) return empty;
    const doc = documents.get(uri);
    if (!doc) return empty;
    try {
      return run(doc, cache.get(doc));
    } catch (err) {
      if (err instanceof ResponseError) throw err;
      connection.console.error(`mpcrl: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return empty;
    }
  }

  connection.onInitialize((params): InitializeResult => {
    const options = { ...defaults, ...readOptions(params.initializationOptions) };
    if (options.debounceMs !== undefined) scheduler.debounceMs = options.debounceMs;
    if (options.diagnosticsDocUrl) diagnosticsDocs.url = options.diagnosticsDocUrl;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: false },
        hoverProvider: true,
        completionProvider: { triggerCharacters: [" ", "("], resolveProvider: false },
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        semanticTokensProvider: { legend: semanticTokensLegend, full: true, range: false },
        foldingRangeProvider: true,
        signatureHelpProvider: { triggerCharacters: ["(", ","], retriggerCharacters: [","] },
        inlayHintProvider: true,
        documentFormattingProvider: true,
        documentRangeFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, compileActionKind] },
      },
      serverInfo: { name: "mpcrl-language-server", version: "0.1.0" },
    };
  });

  // Fired on open and on every change (one event per didOpen/didChange).
  documents.onDidChangeContent((e) => scheduler.schedule(e.document.uri));
  documents.onDidClose((e) => {
    cache.delete(e.document.uri);
    scheduler.close(e.document.uri);
  });

  // Positions and ranges as a client may send them: numbers are truncated to whole ones (negative as
  // 0, beyond the end as the end: offsetAt clamps); a missing or non-numeric one is invalid params.
  const valid = (position: unknown): { line: number; character: number } => {
    const p = position as { line?: unknown; character?: unknown } | null | undefined;
    const line = p?.line;
    const character = p?.character;
    if (typeof line !== "number" || typeof character !== "number" || Number.isNaN(line) || Number.isNaN(character)) {
      throw new ResponseError(ErrorCodes.InvalidParams, "invalid position");
    }
    return { line: Math.max(0, Math.trunc(line)), character: Math.max(0, Math.trunc(character)) };
  };
  const at = (doc: TextDocument, position: unknown): number => doc.offsetAt(valid(position));
  const rangeOf = (range: unknown): Range => {
    const r = range as { start?: unknown; end?: unknown } | null | undefined;
    return { start: valid(r?.start), end: valid(r?.end) };
  };
  const uriOf = (p: { textDocument?: { uri?: unknown } } | null | undefined): string => {
    const uri = p?.textDocument?.uri;
    return typeof uri === "string" ? uri : "";
  };

  connection.onHover((p, token) => withDoc(uriOf(p), token, null, (doc, a) => hover(doc, a, at(doc, p.position))));
  connection.onCompletion((p, token) => withDoc(uriOf(p), token, [], (doc, a) => completion(a, at(doc, p.position))));
  connection.onDefinition((p, token) => withDoc(uriOf(p), token, null, (doc, a) => definition(doc, a, at(doc, p.position))));
  connection.onReferences((p, token) =>
    withDoc(uriOf(p), token, [], (doc, a) => references(doc, a, at(doc, p.position), p.context?.includeDeclaration ?? true)),
  );
  connection.onDocumentHighlight((p, token) => withDoc(uriOf(p), token, [], (doc, a) => highlights(doc, a, at(doc, p.position))));
  connection.onPrepareRename((p, token) => withDoc(uriOf(p), token, null, (doc, a) => prepareRename(doc, a, at(doc, p.position))));
  connection.onRenameRequest((p, token) => withDoc(uriOf(p), token, null, (doc, a) => rename(doc, a, at(doc, p.position), p.newName)));
  connection.onDocumentSymbol((p, token) => withDoc(uriOf(p), token, [], (doc, a) => documentSymbols(doc, a)));
  connection.onWorkspaceSymbol((p, token) => {
    if (token.isCancellationRequested) return [];
    try {
      return workspaceSymbols(documents.all().map((doc) => ({ doc, analysis: cache.get(doc) })), typeof p?.query === "string" ? p.query : "");
    } catch (err) {
      connection.console.error(`mpcrl: internal error: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  });
  connection.languages.semanticTokens.on((p, token) => withDoc(uriOf(p), token, { data: [] }, (doc, a) => semanticTokens(doc, a)));
  connection.onFoldingRanges((p, token) => withDoc(uriOf(p), token, [], (doc, a) => foldingRanges(doc, a)));
  connection.onSignatureHelp((p, token) => withDoc(uriOf(p), token, null, (doc, a) => signatureHelp(a.text, at(doc, p.position))));
  connection.languages.inlayHint.on((p, token) => withDoc(uriOf(p), token, [], (doc, a) => inlayHints(doc, a, rangeOf(p.range))));
  connection.onDocumentFormatting((p, token) => withDoc(uriOf(p), token, [], (doc) => formatDocument(doc)));
  connection.onDocumentRangeFormatting((p, token) => withDoc(uriOf(p), token, [], (doc) => formatRangeEdits(doc, rangeOf(p.range))));
  connection.onCodeAction((p, token) => withDoc(uriOf(p), token, [], () => codeActions(p)));
  registerCustomRequests(connection, (uri) => documents.get(uri), cache);

  documents.listen(connection);
  connection.listen();
}
