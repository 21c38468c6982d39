// Published diagnostics link each code to its own entry of docs/diagnostics.md: `codeDescription.href`
// is the docs URL plus the anchor from the registry (language/codes.ts), in process for every
// registered code, and over the protocol with the `file:` URL of the docs the server found next to
// itself. Also the language server's own code, MPC0000 (a front-end crash), which no fixture shows.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TextDocument } from "vscode-languageserver-textdocument";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ALL_CODES, DIAGNOSTICS_DOC, docsAnchor } from "../../language/codes.js";
import type { Diagnostic } from "../../language/diagnostics.js";
import { AnalysisCache } from "../analysis.js";
import { diagnosticsDocs, toLspDiagnostic } from "../features/diagnostics.js";
import { TestClient, repoRoot } from "./client.js";

// A front end that throws on a marked text, as a bug in parse/check would.
const CRASH = "// crash the front end";
vi.mock("../../language/index.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../language/index.js")>();
  return {
    ...real,
    check: (text: string) => {
      if (text.includes(CRASH)) throw new Error("simulated front-end bug");
      return real.check(text);
    },
  };
});

const docs = readFileSync(`${repoRoot}${DIAGNOSTICS_DOC}`, "utf8");
const span = { start: 0, end: 1, startLine: 1, startColumn: 1, endLine: 1, endColumn: 2 };
const doc = TextDocument.create("file:///t/spec.mpcrl", "mpcrl", 1, "x\n");

describe("codeDescription", () => {
  it("links every registered code to its own docs entry", () => {
    const base = diagnosticsDocs.url;
    expect(base).toMatch(/^https:\/\/.*\/docs\/diagnostics\.md$/);
    for (const code of ALL_CODES) {
      const d: Diagnostic = { severity: "error", code, message: "m", span };
      const lsp = toLspDiagnostic(doc, d);
      expect(lsp.code).toBe(code);
      expect(lsp.codeDescription?.href).toBe(`${base}#${code.toLowerCase()}`);
      expect(docs, code).toContain(`<a id="${docsAnchor(code)}"></a>`);
    }
  });

  it("follows the docs URL the server is given", () => {
    const saved = diagnosticsDocs.url;
    try {
      diagnosticsDocs.url = "file:///opt/mpcrl/docs/diagnostics.md";
      const lsp = toLspDiagnostic(doc, { severity: "warning", code: "MPC2004", message: "m", span });
      expect(lsp.codeDescription?.href).toBe("file:///opt/mpcrl/docs/diagnostics.md#mpc2004");
    } finally {
      diagnosticsDocs.url = saved;
    }
  });

  it("a front-end crash is MPC0000, linked to its docs entry", () => {
    const cache = new AnalysisCache();
    const crashed = TextDocument.create("file:///t/crash.mpcrl", "mpcrl", 1, `${CRASH}\ncontroller C {\n}\n`);
    const a = cache.get(crashed);
    expect(a.diagnostics.map((d) => d.code)).toEqual(["MPC0000"]);
    expect(a.diagnostics[0]?.severity).toBe("error");
    expect(toLspDiagnostic(crashed, a.diagnostics[0]!).codeDescription?.href).toMatch(/diagnostics\.md#mpc0000$/);
  });
});

describe("over the protocol", () => {
  let client: TestClient;
  beforeAll(async () => {
    ({ client } = await TestClient.start({ initializationOptions: { debounceMs: 0 } }));
  });
  afterAll(async () => {
    await client.stop();
  });

  it("links to the entry in the docs shipped next to the server (a file: URL with the code's anchor)", async () => {
    const text = "controller C {\n  state x[1]\n  input u[1]\n  horizon 3\n  dynamics x+ = x + u\n  minimize stage x'*x + u'*u\n  subject to\n    x < 1\n}\n";
    const published = await client.open("file:///t/strict.mpcrl", text);
    const strict = published.diagnostics.find((d) => d.code === "MPC1011");
    expect(strict).toBeDefined();
    for (const d of published.diagnostics) {
      const href = d.codeDescription?.href ?? "";
      expect(href).toMatch(/^file:.*\/docs\/diagnostics\.md#mpc\d{4}$/);
      expect(href.endsWith(`#${String(d.code).toLowerCase()}`)).toBe(true);
      // The link resolves: the file exists and has the anchor.
      const [file, anchor] = href.split("#");
      expect(readFileSync(fileURLToPath(file!), "utf8")).toContain(`<a id="${anchor}"></a>`);
    }
  });
});
