// The front end as the server sees it: one analysis (parse + check) per document version, cached,
// never throwing (a front-end crash becomes a diagnostic, so the server keeps serving). The full
// verdict (`verdict`: compiler/verify.ts, the same as `mpcrl check`) adds the compiler's lowering and
// numeric checks (MPC46xx) after the cheap pass: skipped when the checker reports errors, cached per
// document version, with the compiler loaded on first use.

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
  private readonly verdicts = new Map<string, { readonly analysis: Analysis; readonly diagnostics: Promise<readonly Diagnostic[]> }>();

  /** The verdict of `mpcrl check` for the document's current version: the checker's diagnostics and,
   *  when they hold no error, the compiler's (lowering and numeric checks). Never rejects. */
  verdict(doc: TextDocument): Promise<readonly Diagnostic[]> {
    const a = this.get(doc);
    if (a.diagnostics.some((d) => d.severity === "error")) return Promise.resolve(a.diagnostics);
    const hit = this.verdicts.get(doc.uri);
    if (hit && hit.analysis === a) return hit.diagnostics;
    const diagnostics = (async (): Promise<readonly Diagnostic[]> => {
      try {
        const { verify } = await import("../compiler/verify.js");
        const name = doc.uri.split("/").pop() ?? "spec.mpcrl";
        return verify(a.text, { fileName: name, checked: { program: a.program, diagnostics: a.diagnostics, model: a.model } }).diagnostics;
      } catch (err) {
        const span = { start: 0, end: 0, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 };
        return [...a.diagnostics, { severity: "error", code: "MPC4699", message: `internal compiler error: ${err instanceof Error ? err.message : String(err)}`, span }];
      }
    })();
    this.verdicts.set(doc.uri, { analysis: a, diagnostics });
    return diagnostics;
  }

  /** The analysis of the document's text. Keyed by the text as well as the version: a client may
   *  open a document again without closing it, or send a change without a new version number. */
  get(doc: TextDocument): Analysis {
    const hit = this.cache.get(doc.uri);
    const text = doc.getText();
    if (hit && hit.version === doc.version && hit.text === text) return hit;
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
    this.verdicts.delete(uri);
  }
}
