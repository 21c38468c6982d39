// `mpcrl fmt [--check] [--write] FILE...`: the canonical layout of .mpcrl specs (docs/language.md).
// Without flags the formatted text goes to stdout. `--check` lists the files that would change and
// exits 1 if any; `--write` rewrites them in place. A file with syntax errors is never touched: its
// diagnostics go to stderr and the exit code is 1. Unreadable files: exit 2.

import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { format, renderDiagnostics } from "../language/index.js";
import { raiseExitCode, readSourceFile, useColor } from "./io.js";

interface FmtOptions {
  check?: boolean;
  write?: boolean;
  color?: boolean;
}

export function runFmt(files: string[], opts: FmtOptions): void {
  if (opts.check && opts.write) {
    process.stderr.write("mpcrl fmt: --check and --write cannot be used together\n");
    raiseExitCode(2);
    return;
  }
  const color = useColor(opts.color, process.stderr);
  for (const file of files) {
    const text = readSourceFile(file, "fmt");
    if (text === undefined) {
      raiseExitCode(2);
      continue;
    }
    const result = format(text);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      process.stderr.write(`mpcrl fmt: not formatting '${file}': it has syntax errors\n`);
      process.stderr.write(renderDiagnostics(text, errors, file, { color }) + "\n");
      raiseExitCode(1);
      continue;
    }
    const changed = result.text !== text;
    if (opts.check) {
      if (changed) {
        process.stdout.write(`would reformat ${file}\n`);
        raiseExitCode(1);
      }
    } else if (opts.write) {
      if (changed) {
        try {
          writeFileSync(file, result.text, "utf8");
          process.stdout.write(`formatted ${file}\n`);
        } catch (err) {
          process.stderr.write(`mpcrl fmt: cannot write '${file}': ${err instanceof Error ? err.message : String(err)}\n`);
          raiseExitCode(2);
        }
      }
    } else process.stdout.write(result.text);
  }
}

export function registerFmt(program: Command): void {
  program
    .command("fmt")
    .description("format .mpcrl specs in the canonical layout")
    .argument("<files...>", ".mpcrl files to format")
    .option("--check", "exit 1 if a file is not formatted (prints its name); change nothing")
    .option("--write", "rewrite files in place")
    .option("--no-color", "disable colors in diagnostics")
    .action((files: string[], opts: FmtOptions) => runFmt(files, opts));
}
