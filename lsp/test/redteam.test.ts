// Red-team regressions, in process (the server wired to an in-memory connection, no child process):
// what an editor may send (a document opened twice under one version, malformed params, data of a
// diagnostic it rewrote) and what a document may hold (long words, long blank runs) must give
// well-formed, current answers quickly, and log no internal error.

import { PassThrough } from "node:stream";
import { TextDocument } from "vscode-languageserver-textdocument";
import { createConnection } from "vscode-languageserver/node";
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from "vscode-languageserver-protocol/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnalysisCache } from "../analysis.js";
import { cursorContext } from "../context.js";
import { completion } from "../features/completion.js";
import { rename } from "../features/navigation.js";
import { signatureHelp } from "../features/signature_help.js";
import { startServer } from "../serve.js";

let client: ProtocolConnection;
const logs: string[] = [];
let streams: PassThrough[] = [];

beforeAll(async () => {
  const up = new PassThrough();
  const down = new PassThrough();
  streams = [up, down];
  startServer(createConnection(new StreamMessageReader(up), new StreamMessageWriter(down)), {});
  client = createProtocolConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  client.onNotification("window/logMessage", (p: { message: string }) => {
    logs.push(p.message);
  });
  client.onNotification("textDocument/publishDiagnostics", () => undefined);
  client.listen();
  await client.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {}, initializationOptions: { debounceMs: 0 } });
  await client.sendNotification("initialized", {});
});
afterAll(async () => {
  await client.sendRequest("shutdown");
  client.dispose();
  for (const s of streams) s.destroy();
});

const uri = "file:///redteam/spec.mpcrl";
const td = { textDocument: { uri } };
const spec = ["const gamma = 0.9", "controller C {", "  state x[1]", "  input u[1]", "  horizon 5", "  dynamics x+ = x + u", "  minimize stage x'*x + gamma*u'*u", "}", ""].join("\n");
const open = (text: string, version = 1): Promise<void> =>
  client.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "mpcrl", version, text } });

async function errorOf(method: string, params: unknown): Promise<{ code: number; message: string } | undefined> {
  try {
    await client.sendRequest(method, params);
    return undefined;
  } catch (err) {
    return err as { code: number; message: string };
  }
}

describe("redteam: the analysis follows the text", () => {
  it("a document opened again under the same version, or changed without a new version, is analysed again", async () => {
    await open(spec);
    const before = await client.sendRequest<{ name: string }[]>("textDocument/documentSymbol", td);
    expect(before.map((s) => s.name)).toContain("gamma");
    // Was: the cache (keyed by uri and version) answered for the old text, ranges past the end.
    await open("const q = 1");
    const after = await client.sendRequest<{ name: string }[]>("textDocument/documentSymbol", td);
    expect(after.map((s) => s.name)).toEqual(["q"]);
    await client.sendNotification("textDocument/didChange", { textDocument: { uri, version: 1 }, contentChanges: [{ text: spec }] });
    const again = await client.sendRequest<{ name: string }[]>("textDocument/documentSymbol", td);
    expect(again.map((s) => s.name)).toContain("gamma");
    const cache = new AnalysisCache();
    const a = cache.get(TextDocument.create(uri, "mpcrl", 1, spec));
    expect(cache.get(TextDocument.create(uri, "mpcrl", 1, "const q = 1")).text).toBe("const q = 1");
    expect(cache.get(TextDocument.create(uri, "mpcrl", 1, spec))).not.toBe(a);
    await client.sendNotification("textDocument/didClose", td);
  });
});

describe("redteam: malformed params", () => {
  it("answer invalid params or an empty answer, never an internal error", async () => {
    await open(spec);
    const whole = { start: { line: 0, character: 0 }, end: { line: 99, character: 0 } };
    for (const position of [undefined, null, {}, { line: "0", character: 0 }, { line: 0, character: Number.NaN }]) {
      for (const method of ["textDocument/hover", "textDocument/definition", "textDocument/completion", "textDocument/signatureHelp"]) {
        expect((await errorOf(method, { ...td, position }))?.code, `${method} ${JSON.stringify(position)}`).toBe(-32602);
      }
    }
    expect((await errorOf("textDocument/inlayHint", td))?.code).toBe(-32602);
    expect((await errorOf("textDocument/rangeFormatting", { ...td, options: { tabSize: 2, insertSpaces: true } }))?.code).toBe(-32602);
    // Fractional, negative and huge numbers are positions (truncated, clamped).
    for (const position of [{ line: 0.5, character: 6.7 }, { line: -3, character: -1 }, { line: 2 ** 40, character: 2 ** 40 }]) {
      expect(await errorOf("textDocument/hover", { ...td, position })).toBeUndefined();
    }
    expect(await client.sendRequest("textDocument/hover", {})).toBeNull();
    expect(await client.sendRequest("textDocument/references", { ...td, position: { line: 0, character: 7 } })).toHaveLength(2);
    expect(await client.sendRequest("workspace/symbol", {})).not.toHaveLength(0);
    expect(await client.sendRequest("mpcrl/check", null)).toBeNull();
    // Was: `newName` missing renamed every reference to "undefined".
    expect((await errorOf("textDocument/rename", { ...td, position: { line: 0, character: 7 } }))?.message).toMatch(/not a valid name/);
    // Code actions: no context, and `data` rewritten by the client; the compile action stays.
    const bad = [null, { edits: [null] }, { edits: [{ title: "t", range: null, newText: "x" }] }, { edits: [{ title: "t", range: whole, newText: 5 }] }];
    for (const data of bad) {
      const actions = await client.sendRequest<{ kind: string }[]>("textDocument/codeAction", { ...td, range: whole, context: { diagnostics: [{ range: whole, message: "m", data }] } });
      expect(actions.map((a) => a.kind), JSON.stringify(data)).toEqual(["source.compileToTypeScript"]);
    }
    expect(await client.sendRequest("textDocument/codeAction", { ...td, range: whole })).toHaveLength(1);
    await client.sendNotification("textDocument/didClose", td);
    expect(logs.filter((l) => l.includes("internal error"))).toEqual([]);
  });
});

describe("redteam: names of any script", () => {
  it("renames to and from a non-ASCII name, as the lexer accepts it", () => {
    const text = "const größe = 2\nconst b = größe\n";
    const doc = TextDocument.create(uri, "mpcrl", 1, text);
    const a = new AnalysisCache().get(doc);
    expect(a.diagnostics).toEqual([]);
    const edits = rename(doc, a, 7, "größe2").changes?.[uri] ?? [];
    expect(TextDocument.applyEdits(doc, edits)).toBe("const größe2 = 2\nconst b = größe2\n");
    expect(() => rename(doc, a, 7, "é")).not.toThrow();
    expect(() => rename(doc, a, 7, "2x")).toThrow(/not a valid name/);
  });
});

describe("redteam: no quadratic scans of the text", () => {
  // Were 5 to 25 s each at 100 000 characters (RegExps anchored at the end retried from every
  // character of a long word; each newline rescanned the blank run after it).
  const L = 100_000;
  const word = "a".repeat(L);
  const cases: [string, string][] = [
    ["a long word before `(`", `${word}(`],
    ["a long word, a blank, a call", `${word} f(`],
    ["a training call after a long word", `train C on P {\n  optimizer ${word} newton(`],
    ["blank lines", `f(${"\n ".repeat(L)}`],
    ["newlines", `${"\n".repeat(L)}f(`],
    ["line comments", "//x\n".repeat(L / 4)],
  ];
  for (const [name, text] of cases) {
    it(name, () => {
      const a = new AnalysisCache().get(TextDocument.create(uri, "mpcrl", 1, text));
      const t0 = performance.now();
      cursorContext(text, text.length);
      completion(a, text.length);
      signatureHelp(text, text.length);
      expect(performance.now() - t0).toBeLessThan(1000);
    });
  }
  it("keeps the answers", () => {
    expect(cursorContext("controller C {\n  x + ab1", 24)).toMatchObject({ block: "controller", blockName: "C", partial: "ab1", linePrefix: "  x + " });
    expect(cursorContext("x 12ab", 6).partial).toBe("ab");
    expect(cursorContext("x 12", 4).partial).toBe("");
    expect(cursorContext("train C on P {\n  algorithm q_learning\n  {\n    ", 46)).toMatchObject({ block: "settings", settingsHeader: ["algorithm", "q_learning"] });
    expect(signatureHelp("const a = quad(x,  ", 19)?.activeParameter).toBe(1);
    expect(signatureHelp("const a = quad  (x", 18)?.signatures[0]?.label).toMatch(/^quad/);
    expect(signatureHelp("f(\n\n  controller", 15)).toBeNull();
  });
});
