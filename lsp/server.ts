#!/usr/bin/env node
// Entry point of the mpcrl language server. Transport from the command line: `--stdio` (editors),
// `--node-ipc` or `--socket=PORT` (vscode-languageclient picks one).

import { ProposedFeatures, createConnection } from "vscode-languageserver/node";
import { startServer } from "./serve.js";

startServer(createConnection(ProposedFeatures.all));
