// `npm run bench:lsp`: latency of the language server from a `didChange` to the
// `publishDiagnostics` of that version, for every shipped example (examples/**/*.mpcrl), over the
// protocol (stdio), as an editor sees it. Each change is isolated (sent after a quiet period, as
// when a user pauses), so the debounce does not delay it; the median of several changes per
// example is reported, with the front end's own time (parse + check, in process) next to it.
// Usage: tsx bench/lsp.ts [--reps N] [--bundled] [--json]  (--bundled: the esbuild bundle of the extension)

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { check } from "../language/index.js";
import { TestClient, repoRoot } from "../lsp/test/client.js";
import { emitJson, loadAverage, loadLine, log, median } from "./common.js";

const args = process.argv.slice(2);
const reps = Number(args[args.indexOf("--reps") + 1]) || 21;
const bundled = args.includes("--bundled");

function examples(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...examples(p));
    else if (name.endsWith(".mpcrl")) out.push(p);
  }
  return out.sort();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const files = examples(join(repoRoot, "examples"));
const serverJs = join(repoRoot, "vscode-extension/dist/server.js");
if (bundled && !existsSync(serverJs)) {
  console.error("bench:lsp: --bundled needs vscode-extension/dist/server.js (npm run package:vscode)");
  process.exit(2);
}
const loadStart = loadAverage();
log(loadLine("at start"));
const perFile: Record<string, number> = {};
const { client } = await TestClient.start(bundled ? { command: [process.execPath, serverJs, "--stdio"] } : {});
log(`bench:lsp: didChange -> publishDiagnostics, ${reps} isolated changes per file, server ${bundled ? "bundled JS" : "tsx"}`);
log(["file".padEnd(48), "lines".padStart(6), "diags".padStart(6), "median ms".padStart(10), "p90 ms".padStart(8), "check ms".padStart(9)].join(" "));
let worst = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const uri = pathToFileURL(file).href;
  const first = await client.open(uri, text);
  const latencies: number[] = [];
  for (let i = 0; i < reps; i++) {
    await sleep(120); // a pause longer than the debounce: each change is checked at once
    // Alternate between two texts so that every change produces a new analysis.
    const next = i % 2 === 0 ? `${text}\n// edit ${i}\n` : text;
    const t0 = performance.now();
    const version = await client.change(uri, next);
    await client.diagnostics(uri, version);
    latencies.push(performance.now() - t0);
  }
  const checkTimes: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    check(text);
    checkTimes.push(performance.now() - t0);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))] ?? NaN;
  const m = median(latencies);
  worst = Math.max(worst, m);
  perFile[relative(repoRoot, file)] = m;
  log(
    [
      relative(repoRoot, file).padEnd(48),
      String(text.split("\n").length).padStart(6),
      String(first.diagnostics.length).padStart(6),
      m.toFixed(2).padStart(10),
      p90.toFixed(2).padStart(8),
      median(checkTimes).toFixed(2).padStart(9),
    ].join(" "),
  );
}
await client.stop();
log(`worst median: ${worst.toFixed(2)} ms (target: 50 ms)`);
log(loadLine("at end"));
emitJson({ bench: "lsp", date: new Date().toISOString(), reps, bundled, medianMs: perFile, worstMedianMs: worst, bestMedianMs: Math.min(...Object.values(perFile)), load: { start: loadStart, end: loadAverage() } });
