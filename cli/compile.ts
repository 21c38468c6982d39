// `mpcrl compile SPEC (-o OUT.ts | --stdout) [--controller NAME] [--json] [--no-color]`: compile a
// spec to a TypeScript module (compiler/index.ts). Exit codes: 0 written (warnings printed to
// stderr), 1 the spec has errors (rendered diagnostics on stderr), 2 bad usage or
// unreadable/unwritable file. `--json` (with -o) prints one record instead: the file, the output,
// the controller's sizes and the diagnostics.

import { statSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import { renderDiagnostics } from "../language/index.js";
import { compile } from "../compiler/index.js";
import { cannotWriteMessage, failUsage, printJson, raiseExitCode, readSourceFile, useColor, writeFileReplacing } from "./io.js";

interface CompileCliOptions {
  output?: string;
  stdout?: boolean;
  controller?: string;
  color?: boolean;
  json?: boolean;
}

/** True when both paths name one existing file (also through a link). */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

export function runCompile(file: string, opts: CompileCliOptions): void {
  if ((opts.output === undefined) === (opts.stdout !== true)) return failUsage("compile", "give exactly one of -o <file.ts> or --stdout");
  if (opts.json && opts.stdout) return failUsage("compile", "--json and --stdout both write to standard output: use -o <file.ts> with --json");
  const text = readSourceFile(file, "compile");
  if (text === undefined) {
    raiseExitCode(2);
    return;
  }
  if (opts.output !== undefined && opts.output.trim() === "") return failUsage("compile", "-o needs a file name, got ''");
  if (opts.output !== undefined && sameFile(file, opts.output)) return failUsage("compile", `-o '${opts.output}' is the spec itself: writing the module there would replace the spec; choose a .ts file`);
  // another spec (a slip for b.ts) would be replaced by TypeScript: a module never goes to a .mpcrl file
  if (opts.output !== undefined && /\.mpcrl$/i.test(opts.output)) return failUsage("compile", `-o '${opts.output}' is a .mpcrl spec: the module is TypeScript, so writing it there would replace that spec; choose a .ts file`);
  const result = compile(text, { fileName: basename(file), target: opts.controller });
  const color = useColor(opts.color, process.stderr);
  if (result.diagnostics.length > 0 && !opts.json) process.stderr.write(renderDiagnostics(text, result.diagnostics, file, { color }) + "\n");
  if (result.code === undefined) {
    if (opts.json) printJson({ file, ok: false, diagnostics: result.diagnostics });
    raiseExitCode(1);
    return;
  }
  if (opts.stdout) {
    process.stdout.write(result.code);
    return;
  }
  try {
    writeFileReplacing(opts.output!, result.code);
  } catch (err) {
    return failUsage("compile", cannotWriteMessage(opts.output!, err));
  }
  if (result.nlp !== undefined) {
    // a nonlinear controller: its sizes per stage (the SQP's QPs are built at run time)
    const nlp = result.nlp;
    const what = `nonlinear controller ${nlp.name} (${nlp.method}, ${nlp.nx} states, ${nlp.nu} inputs, horizon ${nlp.horizon}, ${nlp.nTheta} learnable entries)`;
    if (opts.json) printJson({ file, ok: true, output: opts.output, controller: nlp.name, kind: "nlp", method: nlp.method, states: nlp.nx, inputs: nlp.nu, horizon: nlp.horizon, learnableEntries: nlp.nTheta, diagnostics: result.diagnostics });
    else process.stderr.write(`${file}: compiled ${what} to ${opts.output}\n`);
    return;
  }
  const ir = result.ir!;
  if (opts.json) {
    printJson({ file, ok: true, output: opts.output, controller: ir.name, variables: ir.n, constraints: ir.m, learnableEntries: ir.nTheta, diagnostics: result.diagnostics });
    return;
  }
  process.stderr.write(`${file}: compiled controller ${ir.name} (${ir.n} variables, ${ir.m} constraints, ${ir.nTheta} learnable entries) to ${opts.output}\n`);
}

export function registerCompile(program: Command): void {
  program
    .command("compile")
    .description("compile a .mpcrl spec to a TypeScript controller module")
    .argument("<file>", ".mpcrl spec")
    .option("-o, --output <file>", "write the module to this .ts file")
    .option("--stdout", "print the module to standard output")
    .option("--controller <name>", "controller to compile (default: the train block's, else the first)")
    .option("--json", "print one JSON record (output, sizes, diagnostics) instead of text; needs -o")
    .option("--no-color", "disable colors in diagnostics")
    .action((file: string, opts: CompileCliOptions) => runCompile(file, opts));
}
