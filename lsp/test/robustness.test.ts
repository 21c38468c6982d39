// "Never crashes": random sequences of edits (incremental didChange with fragments of the
// language, brackets, comments, unicode and random strings at random places) through the protocol,
// each followed by requests of every kind at random positions. The server must answer them all,
// publish diagnostics for the final version, log no internal error, and stay alive.

import fc from "fast-check";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient, positionOf, repoRoot } from "./client.js";

let client: TestClient;
beforeAll(async () => {
  ({ client } = await TestClient.start({ initializationOptions: { debounceMs: 10 } }));
});
afterAll(async () => {
  await client.stop();
});

const seed = readFileSync(`${repoRoot}examples/gros_zanon/linear_mpc.mpcrl`, "utf8");

const fragment = fc.oneof(
  fc.constantFrom(
    "controller", "plant", "train", " on ", "{", "}", "[", "]", "(", ")", "x", "u", "+", "-", "*", "'", ".*", "^",
    "\n", "\r\n", " ", "state x[2]", "input u[1] in [-1, 1]", "learnable diag Q[2] = [1, 1] in [0, 10]", "1..N",
    "for k in ", "//", "/*", "*/", "= ", ",", ";", ":", "ü", "\t", "1e-3", "inf", "der(", "using ", "quad(x, ",
    "dlqr(A0, B0, I, I)", "minimize ", "subject to\n", "soft ", "penalty linear ", "terminal ", "stage ", "let e = ",
    "algorithm q_learning {", "optimizer newton(lr = ", "0.5", "\u{1F600}", "<=", "<", "==", "prev(u)", "I(2)",
  ),
  fc.string({ maxLength: 6 }),
);

const edit = fc.record({ at: fc.nat(), del: fc.nat({ max: 12 }), insert: fragment });
const probe = fc.record({ at: fc.nat(), method: fc.constantFrom(
  "textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/references",
  "textDocument/documentHighlight", "textDocument/signatureHelp", "textDocument/prepareRename",
  "textDocument/semanticTokens/full", "textDocument/documentSymbol", "textDocument/formatting",
  "textDocument/rangeFormatting", "textDocument/foldingRange", "textDocument/inlayHint", "textDocument/codeAction",
  "textDocument/rename",
) });

let run = 0;

describe("robustness", () => {
  it("survives any sequence of edits and requests", { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 12 }), fc.array(probe, { minLength: 1, maxLength: 8 }), async (edits, probes) => {
        const uri = `file:///fuzz/${run++}.mpcrl`;
        await client.open(uri, seed);
        let version = 1;
        for (const e of edits) {
          const text = client.text(uri);
          const start = e.at % (text.length + 1);
          const end = Math.min(text.length, start + e.del);
          version = await client.edit(uri, start, end, e.insert);
        }
        const text = client.text(uri);
        const td = { textDocument: { uri } };
        const answers = probes.map(async (p) => {
          const position = positionOf(text, p.at % (text.length + 1));
          const whole = { start: { line: 0, character: 0 }, end: positionOf(text, text.length) };
          const params: Record<string, unknown> = { ...td, position };
          if (p.method === "textDocument/references") params.context = { includeDeclaration: true };
          if (p.method === "textDocument/formatting" || p.method === "textDocument/rangeFormatting") params.options = { tabSize: 2, insertSpaces: true };
          if (p.method === "textDocument/rangeFormatting" || p.method === "textDocument/inlayHint" || p.method === "textDocument/codeAction") params.range = whole;
          if (p.method === "textDocument/codeAction") params.context = { diagnostics: [] };
          if (p.method === "textDocument/rename") params.newName = "renamed_name";
          try {
            await client.request(p.method, params);
          } catch (err) {
            // Rename may refuse (a keyword, nothing to rename): a ResponseError with a message.
            if (p.method !== "textDocument/rename" && p.method !== "textDocument/prepareRename") throw err;
            expect(String((err as Error).message).length).toBeGreaterThan(0);
          }
        });
        await Promise.all(answers);
        const published = await client.diagnostics(uri, version);
        expect(published.version).toBe(version);
        expect(published.diagnostics.map((d) => d.code)).not.toContain("MPC0000");
        await client.connection.sendNotification("textDocument/didClose", td);
        expect(client.exitCode).toBeNull();
        expect(client.logs.filter((l) => l.includes("internal error"))).toEqual([]);
      }),
      { numRuns: 40, interruptAfterTimeLimit: 100_000 },
    );
  });
});
