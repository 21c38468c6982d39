// Bundles the extension (src/extension.ts -> dist/extension.js) and the language server
// (../lsp/server.ts -> dist/server.js) with esbuild, as CommonJS for Node, and copies the
// diagnostics reference next to them (the server links diagnostic codes to it).
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const minify = process.argv.includes("--minify");
const common = { bundle: true, platform: "node", format: "cjs", target: "node20", sourcemap: false, minify, logLevel: "warning" };

await build({ ...common, entryPoints: [here("../src/extension.ts")], outfile: here("../dist/extension.js"), external: ["vscode"] });
await build({ ...common, entryPoints: [here("../../lsp/server.ts")], outfile: here("../dist/server.js") });

mkdirSync(here("../dist/docs"), { recursive: true });
const docs = here("../../docs/diagnostics.md");
if (existsSync(docs)) copyFileSync(docs, here("../dist/docs/diagnostics.md"));
console.log("built dist/extension.js and dist/server.js");
