// Protocol-level tests: the server is started over stdio and every feature is exercised as an
// editor would, with golden files for hover, completion, formatting and semantic tokens.

import type {
  CodeAction,
  CompletionItem,
  Diagnostic,
  DocumentHighlight,
  DocumentSymbol,
  FoldingRange,
  Hover,
  InitializeResult,
  InlayHint,
  Location,
  SemanticTokens,
  SignatureHelp,
  SymbolInformation,
  TextEdit,
  WorkspaceEdit,
} from "vscode-languageserver-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { TestClient, markers, positionOf, repoRoot } from "./client.js";
import { expectGolden, fixture } from "./golden.js";

let client: TestClient;
let init: InitializeResult;

beforeAll(async () => {
  ({ client, init } = await TestClient.start({ initializationOptions: { debounceMs: 20 } }));
});
afterAll(async () => {
  await client.stop();
});

const td = (uri: string) => ({ textDocument: { uri } });

/** Applies LSP text edits (non-overlapping) to a text. */
function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const offsetOf = (p: { line: number; character: number }): number => {
    const lines = text.split("\n");
    let o = 0;
    for (let i = 0; i < p.line; i++) o += (lines[i]?.length ?? 0) + 1;
    return o + p.character;
  };
  const sorted = [...edits].map((e) => ({ s: offsetOf(e.range.start), e: offsetOf(e.range.end), t: e.newText })).sort((a, b) => b.s - a.s);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.s) + e.t + out.slice(e.e);
  return out;
}

describe("initialize", () => {
  it("announces every feature", () => {
    const c = init.capabilities;
    for (const key of [
      "hoverProvider",
      "completionProvider",
      "definitionProvider",
      "referencesProvider",
      "documentHighlightProvider",
      "renameProvider",
      "documentSymbolProvider",
      "workspaceSymbolProvider",
      "semanticTokensProvider",
      "foldingRangeProvider",
      "signatureHelpProvider",
      "inlayHintProvider",
      "documentFormattingProvider",
      "documentRangeFormattingProvider",
      "codeActionProvider",
    ]) {
      expect(c[key as keyof typeof c], key).toBeTruthy();
    }
    expect(c.renameProvider).toEqual({ prepareProvider: true });
  });
});

describe("diagnostics", () => {
  const uri = "file:///test/broken.mpcrl";
  let diagnostics: Diagnostic[];
  beforeAll(async () => {
    diagnostics = (await client.open(uri, fixture("broken.mpcrl"))).diagnostics;
  });

  it("publishes the checker's diagnostics with codes linked to their docs", () => {
    const codes = diagnostics.map((d) => d.code);
    expect(codes).toContain("MPC1018");
    expect(diagnostics.find((d) => d.code === "MPC1018")?.codeDescription?.href).toMatch(/^file:.*#mpc1018$/);
    expect(codes).toContain("MPC1011");
    for (const d of diagnostics) {
      expect(d.source).toBe("mpcrl");
      // The code's own entry of docs/diagnostics.md (its anchor from language/codes.ts; lsp/test/codes.test.ts).
      expect(d.codeDescription?.href).toMatch(new RegExp(`/docs/diagnostics\\.md#${String(d.code).toLowerCase()}$`));
    }
    const strict = diagnostics.find((d) => d.code === "MPC1011");
    expect(strict?.range.start).toEqual({ line: 10, character: 6 });
    expect(strict?.severity).toBe(1);
  });

  it("tags an unused declaration as unnecessary", () => {
    const unused = diagnostics.find((d) => d.code === "MPC2004");
    expect(unused?.tags).toEqual([1]);
    expect(unused?.severity).toBe(2);
    expect(unused?.range.start.line).toBe(5);
  });

  it("carries related locations", async () => {
    const u = "file:///test/related.mpcrl";
    const text = readFileSync(`${repoRoot}examples/gros_zanon/linear_mpc.mpcrl`, "utf8");
    const p = await client.open(u, text);
    const withRelated = p.diagnostics.find((d) => (d.relatedInformation?.length ?? 0) > 0);
    expect(withRelated).toBeDefined();
    for (const r of withRelated?.relatedInformation ?? []) {
      expect(r.location.uri).toBe(u);
      expect(r.message.length).toBeGreaterThan(0);
    }
  });

  it("offers the suggested edits as quick fixes", async () => {
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", {
      ...td(uri),
      range: { start: { line: 0, character: 0 }, end: { line: 12, character: 0 } },
      context: { diagnostics, only: ["quickfix"] },
    });
    const titles = actions.map((a) => a.title).sort();
    // (`using zo` is the parser's MPC1018 alone: no "need a discretization method" after it)
    expect(titles).toEqual(["replace with `<=`", "replace with `zoh`"]);
    const fix = actions.find((a) => a.title === "replace with `<=`");
    const fixed = applyEdits(fixture("broken.mpcrl"), fix?.edit?.changes?.[uri] ?? []);
    expect(fixed).toContain("    u <= 1\n");
  });

  it("offers Compile to TypeScript as a source action", async () => {
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", {
      ...td(uri),
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [] },
    });
    const compile = actions.find((a) => a.title === "Compile to TypeScript");
    expect(compile?.command?.command).toBe("mpcrl.compileToTypeScript");
    expect(compile?.command?.arguments).toEqual([uri]);
  });

  it("re-publishes after a change, for the new version, and clears fixed problems", async () => {
    const text = fixture("broken.mpcrl").replace("using zo", "using zoh").replace("u < 1", "u <= 1");
    const version = await client.change(uri, text);
    const p = await client.diagnostics(uri, version);
    expect(p.version).toBe(version);
    expect(p.diagnostics.map((d) => d.code)).not.toContain("MPC1018");
    expect(p.diagnostics.map((d) => d.code)).not.toContain("MPC1011");
  });

  it("coalesces a burst of changes into diagnostics of the last version", async () => {
    const base = fixture("broken.mpcrl");
    let version = 0;
    for (let i = 0; i < 10; i++) version = await client.change(uri, `${base}\n// ${i}`);
    const p = await client.diagnostics(uri, version);
    expect(p.version).toBe(version);
  });

  it("publishes the compiler's numeric checks (MPC46xx) when the checker finds no error: the verdict of `mpcrl check`", async () => {
    const infeasible = `controller C {
  state x[1]
  input u[1] in [-0.1, 0.1]
  horizon 5
  dynamics x+ = 2*x + u
  minimize stage x'*x + u'*u
  subject to
    -1 <= x <= 1
}
plant P {
  state s[1] = [uniform(0.8, 1)]
  input a[1]
  dynamics s+ = 2*s + a
  cost s'*s
}
`;
    const other = "file:///numeric.mpcrl";
    const p = (await client.open(other, infeasible)).diagnostics;
    const d = p.find((x) => x.code === "MPC4607");
    expect(d?.message).toContain("center of the plant's random initial state");
    expect(d?.range.start.line).toBe(7);
    // skipped on checker errors: only the checker's diagnostics then
    const version = await client.change(other, infeasible.replace("horizon 5", "horizon 5\n  bogus_item 3"));
    const q = await client.diagnostics(other, version);
    expect(q.diagnostics.some((x) => x.severity === 1)).toBe(true);
    expect(q.diagnostics.map((x) => x.code)).not.toContain("MPC4607");
    const fixed = await client.change(other, infeasible.replace("-1 <= x <= 1", "-100 <= x <= 100"));
    expect((await client.diagnostics(other, fixed)).diagnostics).toEqual([]);
  });

  it("marks the `mpcrl/check` report with counts and the rendered text", async () => {
    const version = await client.change(uri, fixture("broken.mpcrl"));
    await client.diagnostics(uri, version);
    const report = await client.request<{ errors: number; warnings: number; rendered: string }>("mpcrl/check", { uri });
    expect(report.errors).toBeGreaterThanOrEqual(2);
    expect(report.rendered).toContain("MPC1011");
    expect(report.rendered).toContain("u < 1");
  });
});

describe("hover (golden)", () => {
  const uri = "file:///test/hover.mpcrl";
  const { text, at } = markers(fixture("hover.mpcrl"));
  beforeAll(async () => {
    await client.open(uri, text);
  });

  it("describes names, expressions, built-ins and keywords", async () => {
    const out: string[] = [];
    for (const [name, offset] of Object.entries(at)) {
      const h = await client.request<Hover | null>("textDocument/hover", { ...td(uri), position: positionOf(text, offset) });
      const value = h && typeof h.contents === "object" && "value" in h.contents ? h.contents.value : JSON.stringify(h?.contents ?? null);
      out.push(`=== ${name}\n${value}\n`);
    }
    expectGolden("hover.txt", out.join("\n"));
  });

  it("shows keyword docs and built-in signatures", async () => {
    const kw = await client.request<Hover | null>("textDocument/hover", { ...td(uri), position: positionOf(text, (at["kw-horizon"] ?? 0) + 1) });
    expect(JSON.stringify(kw?.contents)).toContain("prediction horizon");
    const q = await client.request<Hover | null>("textDocument/hover", { ...td(uri), position: positionOf(text, (at["builtin-call"] ?? 0) + 1) });
    expect(JSON.stringify(q?.contents)).toContain("quad(x, M");
  });
});

describe("completion (golden)", () => {
  const uri = "file:///test/completion.mpcrl";
  const { text, at } = markers(fixture("completion.mpcrl"));
  beforeAll(async () => {
    await client.open(uri, text);
  });

  it("offers what is valid at each cursor", async () => {
    const out: string[] = [];
    for (const [name, offset] of Object.entries(at)) {
      const items = await client.request<CompletionItem[]>("textDocument/completion", { ...td(uri), position: positionOf(text, offset) });
      const sorted = [...items].sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label));
      out.push(`=== ${name}\n${sorted.map((i) => `${i.label} [${i.kind ?? "-"}]${i.detail ? ` ${i.detail}` : ""}`).join("\n")}\n`);
    }
    expectGolden("completion.txt", out.join("\n"));
  });

  it("has block snippets at top level and algorithm snippets in train", async () => {
    const top = await client.request<CompletionItem[]>("textDocument/completion", { ...td(uri), position: positionOf(text, at.top ?? 0) });
    const snippet = top.find((i) => i.label === "controller" && i.insertTextFormat === 2);
    expect(snippet?.insertText).toContain("dynamics x+ =");
    const train = await client.request<CompletionItem[]>("textDocument/completion", { ...td(uri), position: positionOf(text, at["train-line"] ?? 0) });
    expect(train.find((i) => i.label === "algorithm q_learning")?.insertText).toContain("optimizer");
  });
});

describe("formatting (golden)", () => {
  const uri = "file:///test/unformatted.mpcrl";
  const text = fixture("unformatted.mpcrl");
  beforeAll(async () => {
    await client.open(uri, text);
  });

  it("formats the document like `mpcrl fmt`, keeping comments, idempotently", async () => {
    const edits = await client.request<TextEdit[]>("textDocument/formatting", { ...td(uri), options: { tabSize: 2, insertSpaces: true } });
    const formatted = applyEdits(text, edits);
    expectGolden("unformatted.formatted.mpcrl", formatted);
    for (const c of ["// penalty weights", "/* model */", "// A spec written in a hurry"]) expect(formatted).toContain(c);
    const version = await client.change(uri, formatted);
    await client.diagnostics(uri, version);
    const again = await client.request<TextEdit[]>("textDocument/formatting", { ...td(uri), options: { tabSize: 2, insertSpaces: true } });
    expect(again).toEqual([]);
    await client.change(uri, text);
  });

  it("formats a range: only the top-level items it touches", async () => {
    const version = await client.change(uri, text);
    await client.diagnostics(uri, version);
    const edits = await client.request<TextEdit[]>("textDocument/rangeFormatting", {
      ...td(uri),
      range: { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } },
      options: { tabSize: 2, insertSpaces: true },
    });
    expect(edits.length).toBeGreaterThan(0);
    for (const e of edits) expect(e.range.end.line).toBeLessThanOrEqual(2);
    const out = applyEdits(text, edits);
    expect(out).toContain("controller   C{"); // the block was not touched
    expect(out.split("\n")[1]).not.toBe(text.split("\n")[1]);
  });

  it("leaves a document with syntax errors alone", async () => {
    const u = "file:///test/broken-format.mpcrl";
    await client.open(u, fixture("broken.mpcrl"));
    const edits = await client.request<TextEdit[]>("textDocument/formatting", { ...td(u), options: { tabSize: 2, insertSpaces: true } });
    expect(edits).toEqual([]);
  });
});

describe("semantic tokens (golden)", () => {
  const uri = "file:///test/tokens.mpcrl";
  const { text } = markers(fixture("hover.mpcrl"));
  beforeAll(async () => {
    await client.open(uri, text);
  });

  it("colors every name by what it denotes, and keywords, numbers, operators and comments", async () => {
    const legend = init.capabilities.semanticTokensProvider?.legend;
    expect(legend).toBeDefined();
    const tokens = await client.request<SemanticTokens>("textDocument/semanticTokens/full", td(uri));
    const lines = text.split("\n");
    const out: string[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < tokens.data.length; i += 5) {
      const [dl, dc, len, type, mods] = tokens.data.slice(i, i + 5) as [number, number, number, number, number];
      line += dl;
      char = dl === 0 ? char + dc : dc;
      const modNames = (legend?.tokenModifiers ?? []).filter((_, b) => mods & (1 << b));
      out.push(`${line + 1}:${char + 1} ${lines[line]?.slice(char, char + len)} ${legend?.tokenTypes[type]}${modNames.length ? ` [${modNames.join(",")}]` : ""}`);
    }
    expectGolden("semantic_tokens.txt", `${out.join("\n")}\n`);
  });
});

describe("semantic tokens (lexical)", () => {
  it("splits block comments per line and colors contextual words as keywords only where they are keywords", async () => {
    const u = "file:///test/tokens-lexical.mpcrl";
    const src = "/* two\n   lines */\nconst linear = 2 // a name here\ncontroller C {\n  state x[1]\n  input u[1]\n  horizon 3\n  dynamics x+ = x + linear*u\n  minimize stage x'*x\n}\n";
    await client.open(u, src);
    const legend = init.capabilities.semanticTokensProvider?.legend;
    const tokens = await client.request<SemanticTokens>("textDocument/semanticTokens/full", td(u));
    const lines = src.split("\n");
    const seen: string[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < tokens.data.length; i += 5) {
      const [dl, dc, len, type] = tokens.data.slice(i, i + 4) as [number, number, number, number];
      line += dl;
      char = dl === 0 ? char + dc : dc;
      seen.push(`${line + 1}:${lines[line]?.slice(char, char + len)}=${legend?.tokenTypes[type]}`);
    }
    expect(seen.slice(0, 2)).toEqual(["1:/* two=comment", "2:   lines */=comment"]);
    expect(seen).toContain("3:linear=constant");
    expect(seen).toContain("8:linear=constant");
    expect(seen).not.toContain("3:linear=keyword");
    expect(seen).toContain("3:// a name here=comment");
    expect(seen).toContain("9:stage=keyword");
    expect(seen).toContain("8:+=operator");
    expect(seen).toContain("7:3=number");
  });
});

describe("navigation", () => {
  const uri = "file:///test/nav.mpcrl";
  const { text, at } = markers(fixture("hover.mpcrl"));
  beforeAll(async () => {
    await client.open(uri, text);
  });
  const pos = (name: string) => positionOf(text, at[name] ?? -1);

  it("goes to the definition of a learnable", async () => {
    const loc = await client.request<Location | null>("textDocument/definition", { ...td(uri), position: pos("learnable-use") });
    expect(loc?.range.start).toEqual(positionOf(text, text.indexOf("A[2,2]  = A0")));
  });

  it("finds references and highlights of a state", async () => {
    const refs = await client.request<Location[]>("textDocument/references", { ...td(uri), position: pos("state-use"), context: { includeDeclaration: true } });
    const controller = text.slice(text.indexOf("controller LinearMpc"), text.indexOf("plant LtiSystem"));
    const expected = [...controller.matchAll(/\bx\b(?!_)/g)].length;
    expect(refs.length).toBe(expected);
    const hl = await client.request<DocumentHighlight[]>("textDocument/documentHighlight", { ...td(uri), position: pos("state-use") });
    expect(hl.length).toBe(expected);
    expect(hl.filter((h) => h.kind === 3).length).toBe(1); // the declaration is the write
  });

  it("renames a constant everywhere, refusing keywords, built-ins and collisions", async () => {
    const p = pos("const-decl");
    const prep = await client.request<{ range: unknown; placeholder: string }>("textDocument/prepareRename", { ...td(uri), position: p });
    expect(prep.placeholder).toBe("w");
    const edit = await client.request<WorkspaceEdit>("textDocument/rename", { ...td(uri), position: p, newName: "weights" });
    const edits = edit.changes?.[uri] ?? [];
    expect(edits.length).toBe(4);
    const renamed = applyEdits(text, edits);
    expect(renamed).toContain("const weights[2]");
    expect(renamed).not.toMatch(/\bw'\*/);
    await expect(client.request("textDocument/prepareRename", { ...td(uri), position: pos("kw-horizon") })).rejects.toThrow(/keyword/);
    await expect(client.request("textDocument/prepareRename", { ...td(uri), position: positionOf(text, (at["builtin-call"] ?? 0) + 1) })).rejects.toThrow(/built-in/);
    await expect(client.request("textDocument/rename", { ...td(uri), position: p, newName: "gamma" })).rejects.toThrow(/already declared/);
    await expect(client.request("textDocument/rename", { ...td(uri), position: p, newName: "horizon" })).rejects.toThrow(/keyword/);
    await expect(client.request("textDocument/rename", { ...td(uri), position: p, newName: "2w" })).rejects.toThrow(/not a valid name/);
  });

  it("lists an outline of blocks and declarations", async () => {
    const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", td(uri));
    expect(symbols.map((s) => s.name)).toEqual(["gamma", "w", "A0", "B0", "LinearMpc", "LtiSystem", "train LinearMpc on LtiSystem"]);
    const mpc = symbols.find((s) => s.name === "LinearMpc");
    expect(mpc?.children?.map((c) => c.name)).toEqual(["x", "u", "V0", "x_lb", "x_ub", "b", "f", "A", "B", "e", "x+", "minimize", "subject to"]);
  });

  it("finds workspace symbols across open documents", async () => {
    const found = await client.request<SymbolInformation[]>("workspace/symbol", { query: "LinearMpc" });
    const uris = new Set(found.filter((s) => s.name === "LinearMpc").map((s) => s.location.uri));
    expect(uris.has(uri)).toBe(true);
    expect(uris.has("file:///test/hover.mpcrl")).toBe(true);
  });

  it("folds blocks and comment runs", async () => {
    const ranges = await client.request<FoldingRange[]>("textDocument/foldingRange", td(uri));
    const controllerLine = positionOf(text, text.indexOf("controller LinearMpc")).line;
    expect(ranges.some((r) => r.startLine === controllerLine && r.endLine > controllerLine + 10)).toBe(true);
    const trainLine = positionOf(text, text.indexOf("train ")).line;
    expect(ranges.some((r) => r.startLine === trainLine)).toBe(true);
  });

  it("gives signature help inside built-in calls", async () => {
    const call = "dlqr(A0, B0, ";
    const offset = text.indexOf(call) + call.length;
    const help = await client.request<SignatureHelp | null>("textDocument/signatureHelp", { ...td(uri), position: positionOf(text, offset) });
    expect(help?.signatures[0]?.label).toMatch(/^dlqr\(A, B, Q, R\)/);
    expect(help?.activeParameter).toBe(2);
  });

  it("gives signature help inside training setting calls, from the checker's schema", async () => {
    const call = "optimizer newton(lr = ";
    const offset = text.indexOf(call) + call.length;
    const help = await client.request<SignatureHelp | null>("textDocument/signatureHelp", { ...td(uri), position: positionOf(text, offset) });
    expect(help?.signatures[0]?.label).toBe("newton(lr = ...)");
    expect(help?.activeParameter).toBe(0);
    expect(help?.signatures[0]?.parameters?.[0]?.documentation).toBe("required; > 0");

    // A named argument selects its parameter by name, whatever its position.
    const u = "file:///test/signature-train.mpcrl";
    const typed = text.replace("optimizer newton(lr = 5e-2)", "optimizer adam(lr = 5e-2)\n    exploration epsilon_greedy(epsilon = 0.1, strength = 0.5)");
    await client.open(u, typed);
    const at2 = typed.indexOf("strength = ") + "strength = ".length;
    const eg = await client.request<SignatureHelp | null>("textDocument/signatureHelp", { ...td(u), position: positionOf(typed, at2) });
    const sig = eg?.signatures[0];
    expect(sig?.label).toBe("epsilon_greedy(epsilon = ..., decay? = ..., strength? = ...)");
    expect(eg?.activeParameter).toBe(2);
    const labels = (sig?.parameters ?? []).map((p) => (Array.isArray(p.label) ? sig?.label.slice(p.label[0], p.label[1]) : p.label));
    expect(labels).toEqual(["epsilon", "decay?", "strength?"]);
    const adamAt = typed.indexOf("adam(lr = 5e-2") + "adam(lr = 5e-2, ".length - 2;
    const adam = await client.request<SignatureHelp | null>("textDocument/signatureHelp", { ...td(u), position: positionOf(typed, adamAt) });
    expect(adam?.signatures[0]?.label).toBe("adam(lr = ..., beta1? = ..., beta2? = ...)");
    // Outside any call there is no help.
    const none = await client.request<SignatureHelp | null>("textDocument/signatureHelp", { ...td(u), position: positionOf(typed, typed.indexOf("hessian approximate")) });
    expect(none).toBeNull();
  });

  it("shows inferred shapes as inlay hints", async () => {
    const hints = await client.request<InlayHint[]>("textDocument/inlayHint", {
      ...td(uri),
      range: { start: { line: 0, character: 0 }, end: positionOf(text, text.length) },
    });
    const labels = hints.map((h) => `${h.position.line + 1}:${String(h.label)}`);
    expect(labels).toContain(`${positionOf(text, text.indexOf("let e")).line + 1}:: 2×1`);
    expect(labels).toContain(`${positionOf(text, text.indexOf("V0      = 0")).line + 1}:: scalar`);
  });
});

describe("compiler requests", () => {
  const uri = "file:///test/compile/linear_mpc.mpcrl";
  const text = readFileSync(`${repoRoot}examples/gros_zanon/linear_mpc.mpcrl`, "utf8");
  beforeAll(async () => {
    await client.open(uri, text);
  });

  it("compiles to the TypeScript module of `mpcrl compile`", async () => {
    const reply = await client.request<{ ok: boolean; code?: string; message?: string }>("mpcrl/compile", { uri });
    expect(reply.ok, reply.message).toBe(true);
    expect(reply.code).toContain('from "mpcrl/runtime"');
    expect(reply.code).toContain("export function createController");
  });

  it("summarizes the generated QP: sizes, sparsity, parameter layout", async () => {
    const reply = await client.request<{ ok: boolean; summary?: string }>("mpcrl/qp", { uri });
    expect(reply.ok).toBe(true);
    // 2 states and 1 input over N = 10, 20 slacks (2 soft bounds x 10 stages): see the spec.
    expect(reply.summary).toMatch(/\| horizon N \| 10 \|/);
    expect(reply.summary).toMatch(/20 slacks/);
    expect(reply.summary).toMatch(/\| learnable parameters θ \| 16 entries in 7 parameter\(s\) \|/);
  });

  it("refuses a spec with errors, with the rendered errors", async () => {
    const u = "file:///test/compile/broken.mpcrl";
    await client.open(u, fixture("broken.mpcrl"));
    const reply = await client.request<{ ok: boolean; message?: string }>("mpcrl/compile", { uri: u });
    expect(reply.ok).toBe(false);
    expect(reply.message).toContain("MPC1011");
  });
});

describe("stale and cancelled requests", () => {
  it("answers a request sent right after a change against the new text", async () => {
    const uri = "file:///test/stale.mpcrl";
    const { text } = markers(fixture("hover.mpcrl"));
    await client.open(uri, text);
    const renamed = text.replace(/\bV0\b/g, "Vzero");
    void client.change(uri, renamed);
    const h = await client.request<Hover | null>("textDocument/hover", { ...td(uri), position: positionOf(renamed, renamed.indexOf("Vzero") + 1) });
    expect(JSON.stringify(h?.contents)).toContain("Vzero");
  });

  it("survives requests cancelled in flight and keeps serving", async () => {
    const uri = "file:///test/stale.mpcrl";
    const { CancellationTokenSource } = await import("vscode-languageserver-protocol");
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => {
        const source = new CancellationTokenSource();
        const p = client.connection.sendRequest("textDocument/semanticTokens/full", td(uri), source.token);
        if (i % 2 === 0) source.cancel();
        return p;
      }),
    );
    expect(results.filter((r) => r.status === "fulfilled").length).toBeGreaterThanOrEqual(10);
    const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", td(uri));
    expect(symbols.length).toBeGreaterThan(0);
    expect(client.exitCode).toBeNull();
  });
});
