#!/usr/bin/env node
// Entry point of the mpcrl language server. Transport from the command line: `--stdio` (editors),
// `--node-ipc` or `--socket=PORT` (vscode-languageclient picks one).

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ProposedFeatures, createConnection } from "vscode-languageserver/node";
import { startServer } from "./serve.js";

/** docs/diagnostics.md next to the server: dist/docs/ in the bundle, ../docs/ from source. */
function localDiagnosticsDoc(): string | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  const dir = dirname(script);
  for (const candidate of [join(dir, "docs", "diagnostics.md"), join(dir, "..", "docs", "diagnostics.md")]) {
    if (existsSync(candidate)) return pathToFileURL(candidate).href;
  }
  return undefined;
}

startServer(createConnection(ProposedFeatures.all), { diagnosticsDocUrl: localDiagnosticsDoc() });
