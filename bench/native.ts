// Native OSQP (the C solver through its Python wheel) for the benchmarks that measure it side by
// side: which Python to use and whether it imports osqp. The interpreter is $MPCRL_OSQP_PYTHON,
// else the repository's `.venv-osqp/bin/python` when it exists (README: `npm run setup:native`),
// else `python3`.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { log } from "./common.js";

export interface NativeInfo {
  readonly available: boolean;
  readonly python: string;
  readonly version?: string;
  readonly reason?: string;
}

const localVenv = fileURLToPath(new URL("../.venv-osqp/bin/python", import.meta.url));

/** The Python to run native OSQP with, and whether it can (`--no-native` turns it off). */
export function detectNative(script: string): NativeInfo {
  const python = process.env.MPCRL_OSQP_PYTHON || (existsSync(localVenv) ? localVenv : "python3");
  if (process.argv.includes("--no-native")) return { available: false, python, reason: "--no-native" };
  if (!existsSync(script)) return { available: false, python, reason: `${script} not found` };
  const r = spawnSync(python, ["-c", "import osqp, numpy, scipy; print(osqp.__version__)"], { encoding: "utf8", timeout: 60_000 });
  if (r.error) return { available: false, python, reason: `${python}: ${r.error.message}` };
  if (r.status !== 0) {
    const last = (r.stderr || "").trim().split("\n").pop() ?? "";
    return { available: false, python, reason: `${python} -c "import osqp": ${last || `exit ${r.status}`}` };
  }
  return { available: true, python, version: r.stdout.trim() };
}

/** Runs a native script and returns the JSON objects it printed, one per line ([] on failure). */
export function runNative<T>(info: NativeInfo, script: string, scriptArgs: string[]): T[] {
  const r = spawnSync(info.python, [script, ...scriptArgs], { encoding: "utf8", maxBuffer: 64 << 20, timeout: 20 * 60_000 });
  if (r.status !== 0) {
    log(`  ${script.split("/").pop()} ${scriptArgs.join(" ")} failed (exit ${r.status}): ${(r.stderr || "").trim().split("\n").pop()}`);
    return [];
  }
  return r.stdout
    .split("\n")
    .filter((line) => line.trim().startsWith("{"))
    .map((line) => JSON.parse(line) as T);
}
