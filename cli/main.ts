// The `mpcrl` command line: glue only. Each subcommand lives in its own file under cli/ and
// registers itself here; it reads files, calls language/, compiler/ or runtime/, and prints.
// Exit codes: 0 success (warnings allowed), 1 the input has errors, 2 bad usage or unreadable file.
//
// Start-up time matters (`bench/cli.ts`): only the subcommand named on the command line is
// imported (the checker's parser, the compiler's formatter and the trainers are heavy), and
// `--version` imports nothing but commander. `--help` or an unknown command loads them all.

import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";

type Register = (program: Command) => void;

// Subcommand registrations (one line each; keep sorted):
const COMMANDS: Record<string, () => Promise<Register>> = {
  check: async () => (await import("./check.js")).registerCheck,
  compile: async () => (await import("./compile.js")).registerCompile,
  eval: async () => (await import("./eval.js")).registerEval,
  fmt: async () => (await import("./fmt.js")).registerFmt,
  qp: async () => (await import("./qp.js")).registerQp,
  study: async () => (await import("./study.js")).registerStudy,
  train: async () => (await import("./train.js")).registerTrain,
  worker: async () => (await import("./worker.js")).registerWorker,
};

/** The package's version: package.json is one folder up from cli/ (sources) or two from dist/cli/. */
function packageVersion(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "mpcrl" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not there: try the next candidate
    }
  }
  return "unknown";
}

const program = new Command("mpcrl")
  .description("MPC as a safe, learnable policy: check, compile, train and evaluate .mpcrl specs")
  .version(packageVersion())
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

/** Registers the subcommand named on the command line (all of them for `--help`), then runs it.
 *  A function, not top-level await: the installed CLI runs this file bundled as CommonJS
 *  (bin/mpcrl.js, with V8's code cache). */
async function main(): Promise<void> {
  try {
    const name = process.argv.slice(2).find((a) => !a.startsWith("-"));
    const only = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : process.argv.length > 2 && /^(-V|--version)$/.test(process.argv[2]) ? [] : Object.keys(COMMANDS);
    for (const register of await Promise.all(only.map((n) => COMMANDS[n]()))) register(program);
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else {
      process.stderr.write(`mpcrl: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (process.env.MPCRL_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 2;
    }
  }
}

void main();
