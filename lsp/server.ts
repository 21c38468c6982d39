#!/usr/bin/env node
// Entry point of the mpcrl language server. Transport from the command line: `--stdio` (editors),
// `--node-ipc` or `--socket=PORT` (vscode-languageclient picks one).

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ProposedFeatures, createConnection } from "vscode-languageserver/node";
import { diagnosticsDocs, familyAnchors } from "./features/diagnostics.js";
import { startServer } from "./serve.js";

/** docs/diagnostics.md next to the server: dist/docs/ in the bundle, ../docs/ from source. */
function localDiagnosticsDoc(): string | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  const dir = dirname(script);
  for (const candidate of [join(dir, "docs", "diagnostics.md"), join(dir, "..", "docs", "diagnostics.md")]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const doc = localDiagnosticsDoc();
if (doc) {
  try {
    diagnosticsDocs.anchors = familyAnchors(readFileSync(doc, "utf8"));
  } catch {
    // unreadable: links fall back to the code itself as anchor
  }
}
startServer(createConnection(ProposedFeatures.all), doc ? { diagnosticsDocUrl: pathToFileURL(doc).href } : {});
