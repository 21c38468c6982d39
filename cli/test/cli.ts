// Test helpers for the CLI: run a command in process (fast: no start-up), or spawn the CLI as
// a user does. A spawned CLI is bin/mpcrl.js running the compiled bundle dist/cli/main.cjs when it
// is newer than every source file (`npm run build:cli` makes it in seconds), else the sources
// through tsx (slow).

import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";

export const root = fileURLToPath(new URL("../../", import.meta.url));

function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "test" || e.name === "node_modules" || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith(".ts")) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

let argsCache: string[] | undefined;
/** node arguments that start the CLI: the installed bin on the fresh compiled bundle, else the sources with tsx. */
export function cliNodeArgs(): string[] {
  if (argsCache) return argsCache;
  const bundle = join(root, "dist/cli/main.cjs");
  const fresh = existsSync(bundle) && statSync(bundle).mtimeMs > Math.max(...["cli", "language", "compiler", "runtime"].map((d) => newestSource(join(root, d))));
  argsCache = fresh ? [join(root, "bin/mpcrl.js")] : ["--import", "tsx", join(root, "cli/main.ts")];
  return argsCache;
}

/** Spawns `mpcrl ARGS` (cwd: the repository), colors off. */
export function spawnCli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...cliNodeArgs(), ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const REGISTER: Record<string, () => Promise<(p: Command) => void>> = {
  check: async () => (await import("../check.js")).registerCheck,
  compile: async () => (await import("../compile.js")).registerCompile,
  eval: async () => (await import("../eval.js")).registerEval,
  fmt: async () => (await import("../fmt.js")).registerFmt,
  qp: async () => (await import("../qp.js")).registerQp,
  study: async () => (await import("../study.js")).registerStudy,
  train: async () => (await import("../train.js")).registerTrain,
};

/** Runs `mpcrl COMMAND ARGS` in this process (as cli/main.ts does), capturing stdout, stderr and the exit code. */
export async function runCli(command: string, ...args: string[]): Promise<CliResult> {
  const program = new Command("mpcrl").exitOverride();
  let stdout = "";
  let stderr = "";
  program.configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
  (await REGISTER[command]())(program);
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const saved = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  let code = 0;
  try {
    await program.parseAsync(["node", "mpcrl", command, ...args]);
    code = typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? 0 : 2;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = saved;
  }
  return { code, stdout, stderr };
}

/** Whether `redis-server` is on this machine (tests that need it are skipped visibly without it). */
export const hasRedis = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;

/** A TCP port free on 127.0.0.1 now (for a test's own redis-server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}
