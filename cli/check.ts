// `mpcrl check FILE... [--json] [--no-color]`: parse and check specs, print diagnostics. The verdict
// is compiler/verify.ts's: the checker's diagnostics and, when it finds no error, the compiler's
// lowering and numeric checks (MPC46xx), so a spec `check` accepts compiles.
// Exit codes: 0 clean or warnings only, 1 errors, 2 bad usage or unreadable file.
// `--json` prints one JSON record `{ "file": ..., "diagnostics": [...], "controllers": [...] }` per
// file and line; `controllers` (and, without --json, the lines after the verdict) say what was proved
// about each controller when there is no error (language/check/model.ts, describeControllers).

import type { Command } from "commander";
import { check, describeControllers, renderDiagnostics } from "../language/index.js";
import { verify } from "../compiler/verify.js";
import { raiseExitCode, readSourceFile, useColor } from "./io.js";

interface CheckOptions {
  json?: boolean;
  color?: boolean;
}

export function runCheck(files: string[], opts: CheckOptions): void {
  const color = useColor(opts.color);
  for (const file of files) {
    const text = readSourceFile(file, "check");
    if (text === undefined) {
      raiseExitCode(2);
      continue;
    }
    // the one verdict: the checker, then (without checker errors) lowering and the numeric checks
    const checked = check(text);
    const { diagnostics, notes } = verify(text, { fileName: file, checked });
    const hasErrors = diagnostics.some((d) => d.severity === "error");
    // what was proved, one line per controller (linear QP, or nonlinear MPC with its convexity argument)
    const proved = hasErrors ? [] : describeControllers(checked);
    // and what the train blocks will derive before learning (e.g. `identify`)
    const derived = hasErrors ? [] : notes;
    if (opts.json) process.stdout.write(JSON.stringify({ file, diagnostics, controllers: proved, derived }) + "\n");
    else {
      if (diagnostics.length > 0) process.stdout.write(renderDiagnostics(text, diagnostics, file, { color }) + "\n");
      else process.stdout.write(`${file}: ok\n`);
      for (const line of [...proved, ...derived]) process.stdout.write(`  ${line}\n`);
    }
    raiseExitCode(hasErrors ? 1 : 0);
  }
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("check .mpcrl specs: syntax, names, shapes, convexity, consistency, numeric checks")
    .argument("<files...>", ".mpcrl files to check")
    .option("--json", "print diagnostics as JSON records, one line per file")
    .option("--no-color", "disable colors (also off when NO_COLOR is set or output is not a terminal)")
    .action((files: string[], opts: CheckOptions) => runCheck(files, opts));
}
