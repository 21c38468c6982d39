// `mpcrl fmt [--check] [--write] FILE|DIR...`: the canonical layout of .mpcrl specs (docs/language.md).
// Without flags the formatted text goes to stdout. `--check` lists the files that would change and
// exits 1 if any; `--write` rewrites them in place. A file with syntax errors is never touched: its
// diagnostics go to stderr and the exit code is 1. Unreadable files: exit 2.
// `--json` prints one record per file instead: `{ file, ok, changed, written?, text?, diagnostics }`
// (`text`, the formatted source, when neither --check nor --write is given).

import { readdirSync, statSync, type Dirent } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { format, renderDiagnostics } from "../language/index.js";
import { cannotReadMessage, cannotWriteMessage, failUsage, printJson, raiseExitCode, readSourceFile, useColor, writeFileReplacing } from "./io.js";

interface FmtOptions {
  check?: boolean;
  write?: boolean;
  color?: boolean;
  json?: boolean;
}

/**
 * A directory argument stands for the .mpcrl files under it (recursively, sorted; dot folders and
 * node_modules skipped). A folder that cannot be listed, or that holds no .mpcrl file, adds a
 * message to `problems` (a mistyped folder must not pass `fmt --check` as "all formatted").
 */
export function expandSpecFiles(args: readonly string[], problems: string[] = []): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      problems.push(cannotReadMessage(dir, err, "the folder"));
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".mpcrl")) out.push(p);
    }
  };
  for (const a of args) {
    let isDir = false;
    try {
      isDir = statSync(a).isDirectory();
    } catch {
      // unreadable: reported by the read below
    }
    if (!isDir) {
      out.push(a);
      continue;
    }
    const before = out.length;
    const unreadable = problems.length;
    walk(a);
    if (out.length === before && problems.length === unreadable) problems.push(`no .mpcrl file under '${a}' (dot folders and node_modules are skipped): check the path`);
  }
  return out;
}

export function runFmt(files: string[], opts: FmtOptions): void {
  if (opts.check && opts.write) return failUsage("fmt", "--check and --write cannot be used together");
  const color = useColor(opts.color, process.stderr);
  const problems: string[] = [];
  const specs = expandSpecFiles(files, problems);
  for (const p of problems) failUsage("fmt", p);
  for (const file of specs) {
    const text = readSourceFile(file, "fmt");
    if (text === undefined) {
      raiseExitCode(2);
      continue;
    }
    const result = format(text);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      raiseExitCode(1);
      if (opts.json) {
        printJson({ file, ok: false, changed: false, diagnostics: errors });
        continue;
      }
      process.stderr.write(`mpcrl fmt: not formatting '${file}': it has syntax errors\n`);
      process.stderr.write(renderDiagnostics(text, errors, file, { color }) + "\n");
      continue;
    }
    const changed = result.text !== text;
    let written = false;
    if (opts.check) {
      if (changed) {
        if (!opts.json) process.stdout.write(`would reformat ${file}\n`);
        raiseExitCode(1);
      }
    } else if (opts.write) {
      if (changed) {
        try {
          writeFileReplacing(file, result.text);
          written = true;
          if (!opts.json) process.stdout.write(`formatted ${file}\n`);
        } catch (err) {
          failUsage("fmt", cannotWriteMessage(file, err));
        }
      }
    } else if (!opts.json) process.stdout.write(result.text);
    if (opts.json) {
      const diagnostics = result.diagnostics;
      printJson({ file, ok: true, changed, ...(opts.write ? { written } : {}), ...(opts.check || opts.write ? {} : { text: result.text }), diagnostics });
    }
  }
}

export function registerFmt(program: Command): void {
  program
    .command("fmt")
    .description("format .mpcrl specs in the canonical layout")
    .argument("<files...>", ".mpcrl files to format (a folder: every .mpcrl file under it)")
    .option("--check", "exit 1 if a file is not formatted (prints its name); change nothing")
    .option("--write", "rewrite files in place")
    .option("--json", "print one JSON record per file (changed, written, diagnostics; the text without --check/--write)")
    .option("--no-color", "disable colors in diagnostics")
    .action((files: string[], opts: FmtOptions) => runFmt(files, opts));
}
