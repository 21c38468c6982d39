// Helpers shared by the bench scripts: medians, the load average, and the `--json` convention
// (with `--json` the human-readable lines go to stderr and one JSON object to stdout, which
// `bench/figures.ts` reads).

import { cpus, loadavg } from "node:os";

export const jsonMode = process.argv.includes("--json");

/** A human-readable line: stdout normally, stderr under `--json` (stdout then holds only JSON). */
export function log(line = ""): void {
  (jsonMode ? process.stderr : process.stdout).write(line + "\n");
}

/** Prints the JSON result (only under `--json`). */
export function emitJson(value: unknown): void {
  if (jsonMode) process.stdout.write(JSON.stringify(value, null, 1) + "\n");
}

export function median(v: readonly number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : 0.5 * (s[k - 1] + s[k]);
}

export function quantile(v: readonly number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** The 1, 5 and 15 minute load averages, rounded to 2 decimals. */
export function loadAverage(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

export function loadLine(when = ""): string {
  return `load average${when ? ` ${when}` : ""} (1, 5, 15 min): ${loadAverage().join(" ")} on ${cpus().length} cores (shared machine: times grow with load)`;
}

/** Value of `--name N` (a number), or `dflt`. */
export function numArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  return Number.isFinite(v) ? v : dflt;
}

export function strArg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
