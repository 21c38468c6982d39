// `mpcrl qp problem.json [--eps 1e-6] [--polish] [--max-iter N] [--json]`: solve one QP in the
// shared JSON format (../shared/data/README.md) and print the result. Glue only.
// Exit codes: 0 solved, 1 not solved (infeasible, max iterations, ...), 2 bad usage or file.

import { type Command, InvalidArgumentError } from "commander";
import { qpFromJson, type QpFile } from "../runtime/qp/io.js";
import { QpSolver } from "../runtime/qp/osqp.js";
import type { QpResult, QpSettings } from "../runtime/qp/types.js";
import { FileReadError, failUsage, readJsonFile } from "./io.js";

interface QpOptions {
  eps?: number;
  polish?: boolean;
  maxIter?: number;
  json?: boolean;
}

function positiveNumber(v: string): number {
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return x;
}

function positiveInt(v: string): number {
  const x = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(x) || x < 1) throw new InvalidArgumentError(`expected a positive integer, got '${v}'`);
  return x;
}

const fail = (message: string): void => failUsage("qp", message);

function vec(v: Float64Array): (number | null)[] {
  return Array.from(v, (x) => (Number.isFinite(x) ? x : null));
}

function runQp(file: string, opts: QpOptions): void {
  let json: unknown;
  try {
    json = readJsonFile(file);
  } catch (e) {
    if (e instanceof FileReadError) return fail(e.message);
    throw e;
  }
  let problem: QpFile;
  try {
    problem = qpFromJson(json);
  } catch (e) {
    return fail(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const settings: Partial<QpSettings> = {};
  if (opts.eps !== undefined) {
    settings.epsAbs = opts.eps;
    settings.epsRel = opts.eps;
  }
  if (opts.polish) settings.polish = true;
  if (opts.maxIter !== undefined) settings.maxIter = opts.maxIter;
  const result: QpResult = new QpSolver(problem, settings).solve();
  if (result.status === "invalid_input") return fail(`${file}: invalid problem: ${result.message ?? ""}`);
  const objective = result.objective + problem.r;
  if (opts.json) {
    const out = {
      status: result.status,
      objective: Number.isFinite(objective) ? objective : null,
      iterations: result.iterations,
      setupTimeMs: result.setupTime * 1e3,
      solveTimeMs: result.solveTime * 1e3,
      primalResidual: result.primalResidual,
      dualResidual: result.dualResidual,
      polishStatus: result.polishStatus,
      rhoUpdates: result.rhoUpdates,
      ...(result.message ? { message: result.message } : {}),
      x: vec(result.x),
      y: vec(result.y),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    const lines = [
      `status      ${result.status}${result.message ? ` (${result.message})` : ""}`,
      `objective   ${Number.isFinite(objective) ? objective.toPrecision(13) : "-"}${problem.r !== 0 ? ` (including r = ${problem.r})` : ""}`,
      `iterations  ${result.iterations}`,
      `time        solve ${(result.solveTime * 1e3).toFixed(3)} ms, setup ${(result.setupTime * 1e3).toFixed(3)} ms`,
      `residuals   primal ${result.primalResidual.toExponential(2)}, dual ${result.dualResidual.toExponential(2)}`,
      `polish      ${result.polishStatus}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  process.exitCode = result.status === "solved" ? 0 : 1;
}

export function registerQp(program: Command): void {
  program
    .command("qp")
    .description("solve a convex QP given as JSON (min 0.5 z'Pz + q'z + r s.t. l <= Az <= u) with the OSQP algorithm")
    .argument("<problem.json>", "problem file in the format of shared/data/README.md")
    .option("--eps <tol>", "absolute and relative tolerance (default 1e-3)", positiveNumber)
    .option("--polish", "polish the solution (active-set refinement)")
    .option("--max-iter <n>", "iteration limit (default 4000)", positiveInt)
    .option("--json", "print JSON with the solution vectors x and y (times in milliseconds: setupTimeMs, solveTimeMs)")
    .action((file: string, opts: QpOptions) => runQp(file, opts));
}
