// The front end as the server sees it: one analysis (parse + check) per document version, cached,
// never throwing (a front-end crash becomes a diagnostic, so the server keeps serving).

import type { TextDocument } from "vscode-languageserver-textdocument";
import { check } from "../language/index.js";
import type { Diagnostic } from "../language/diagnostics.js";
import type { CheckResult, SemanticModel, SymbolInfo } from "../language/semantic.js";
import type { Program } from "../language/ast.js";

export interface Analysis {
  readonly uri: string;
  readonly version: number;
  readonly text: string;
  readonly program: Program;
  readonly diagnostics: readonly Diagnostic[];
  readonly model: SemanticModel;
  /** Milliseconds spent in the front end. */
  readonly elapsedMs: number;
}

const emptyModel: SemanticModel = {
  resolve: (): SymbolInfo | undefined => undefined,
  symbolAt: (): SymbolInfo | undefined => undefined,
  references: () => [],
  shapeOf: () => undefined,
  classOf: () => undefined,
  symbolsIn: () => [],
};

function crashResult(text: string, err: unknown): CheckResult {
  const lines = text.split("\n");
  const last = lines[lines.length - 1] ?? "";
  const span = { start: 0, end: 0, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 };
  return {
    program: { kind: "Program", id: 0, span: { ...span, end: text.length, endLine: lines.length, endColumn: last.length + 1 }, items: [], comments: [] },
    diagnostics: [
      {
        severity: "error",
        code: "MPC0000",
        message: `internal error in the front end: ${err instanceof Error ? err.message : String(err)}`,
        span,
      },
    ],
    model: emptyModel,
  };
}

export class AnalysisCache {
  private readonly cache = new Map<string, Analysis>();

  get(doc: TextDocument): Analysis {
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit;
    const text = doc.getText();
    const t0 = performance.now();
    let result: CheckResult;
    try {
      result = check(text);
    } catch (err) {
      result = crashResult(text, err);
    }
    const analysis: Analysis = {
      uri: doc.uri,
      version: doc.version,
      text,
      program: result.program,
      diagnostics: result.diagnostics,
      model: result.model,
      elapsedMs: performance.now() - t0,
    };
    this.cache.set(doc.uri, analysis);
    return analysis;
  }

  peek(uri: string): Analysis | undefined {
    return this.cache.get(uri);
  }

  delete(uri: string): void {
    this.cache.delete(uri);
  }
}
