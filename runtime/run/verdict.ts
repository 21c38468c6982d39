// verdict.json in the run folder (docs/training.md, "The verdict"): after a completed training run,
// the initial parameters (theta0) and the learned ones on the same held-out episodes, compared
// (runtime/learn/verdict.ts), with the learning diagnostics read from the run's own files
// (metrics.jsonl, params-history.jsonl, summary.json's settings). This file does the reading and
// writing; the statistics and the hint rules are in runtime/learn/verdict.ts.

import { rejectionEvents } from "../learn/types.js";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { evaluateHeldOut, type HeldOutEpisode } from "../learn/evaluate.js";
import {
  buildVerdict,
  learningDiagnostics,
  verdictHints,
  type ArmEpisode,
  type DiagnosticsInput,
  type EvaluationProtocol,
  type LearningDiagnostics,
  type Verdict,
  type VerdictEpisode,
} from "../learn/verdict.js";
import type { LearnableMpc } from "../mpc/types.js";
import type { Plant } from "../plants/types.js";
import type { ParamLayoutJson } from "./params.js";
import { readHistory, readMetrics } from "./summary.js";

export const VERDICT_FILE = "verdict.json";

/** The diagnostics' input from a finished run folder and its final theta. */
export function diagnosticsInputFromRun(dir: string, settings: Record<string, unknown>, thetaFinal: ArrayLike<number>): DiagnosticsInput {
  const { steps, episodes } = readMetrics(dir);
  const hist = readHistory(dir);
  const td: { t: number; abs: number }[] = [];
  const rejected: string[] = [];
  const gradients: { t: number; norm: number }[] = [];
  let attempted = 0;
  for (const s of steps) {
    if (typeof s.td_error === "number" && Number.isFinite(s.td_error)) td.push({ t: s.t, abs: Math.abs(s.td_error) });
    if (s.updated) attempted++;
    rejected.push(...rejectionEvents(s.rejected));
    const g = (s as unknown as Record<string, unknown>).policy_gradient_norm;
    if (typeof g === "number") gradients.push({ t: s.t, norm: g });
  }
  // updates at an episode's end (`update every n episodes`) are marked on the episode line
  for (const e of episodes) if (e.updated === 1) attempted++;
  // DPG updates at an episode's end carry their figures on the episode line
  for (const e of episodes) if (typeof e.policy_gradient_norm === "number") gradients.push({ t: -1, norm: e.policy_gradient_norm });
  const changes: { t: number; norm: number }[] = [];
  for (let i = 1; i < hist.length; i++) {
    const a = hist[i - 1].theta;
    const b = hist[i].theta;
    let s = 0;
    for (let j = 0; j < b.length; j++) s += (b[j] - (a[j] ?? 0)) ** 2;
    changes.push({ t: hist[i].t, norm: Math.sqrt(s) });
  }
  const layout = (settings.paramLayout as ParamLayoutJson[] | undefined) ?? [];
  const n = thetaFinal.length;
  const lower: (number | null)[] = new Array(n).fill(null);
  const upper: (number | null)[] = new Array(n).fill(null);
  for (const p of layout) {
    for (let i = 0; i < p.size; i++) {
      lower[p.offset + i] = p.lower[i] ?? null;
      upper[p.offset + i] = p.upper[i] ?? null;
    }
  }
  return {
    algorithm: String(settings.algorithm ?? ""),
    totalSteps: steps.length,
    episodes: episodes.length,
    td,
    updatesAttempted: attempted,
    rejectedReasons: rejected,
    parameterChanges: changes,
    policyGradientNorms: gradients,
    thetaNames: (settings.thetaNames as string[] | undefined) ?? [],
    thetaInitial: hist[0]?.theta ?? Array.from(thetaFinal),
    thetaFinal: Array.from(thetaFinal),
    lower,
    upper,
    exploration: settings.exploration,
    inputLower: settings.inputLower as number[] | undefined,
    inputUpper: settings.inputUpper as number[] | undefined,
  };
}

export interface VerdictJob {
  readonly dir: string;
  /** The run's settings (summary.json's: algorithm, thetaNames, paramLayout, exploration, input box). */
  readonly settings: Record<string, unknown>;
  readonly protocol: EvaluationProtocol;
  readonly thetaInitial: ArrayLike<number>;
  readonly thetaLearned: ArrayLike<number>;
  /** A fresh controller and plant per parameter set (so neither inherits the other's solver state). */
  readonly controller: () => LearnableMpc;
  readonly plant: () => Plant | Promise<Plant>;
  readonly inputLower?: ArrayLike<number>;
  readonly inputUpper?: ArrayLike<number>;
  readonly notes?: readonly string[];
}

const arm = (e: HeldOutEpisode): ArmEpisode => {
  const { plantSeed: _seed, ...rest } = e;
  return rest;
};

/** Evaluates both parameter sets on the held-out episodes, builds the verdict and writes verdict.json. */
export async function writeRunVerdict(job: VerdictJob): Promise<Verdict> {
  const { protocol } = job;
  const opts = { seed: protocol.seed, episodes: protocol.episodes, steps: protocol.steps, inputLower: job.inputLower, inputUpper: job.inputUpper };
  const initial = evaluateHeldOut(job.controller(), await job.plant(), job.thetaInitial, opts);
  const learned = evaluateHeldOut(job.controller(), await job.plant(), job.thetaLearned, opts);
  const episodes: VerdictEpisode[] = initial.map((a, i) => ({ episode: i, plantSeed: a.plantSeed, initial: arm(a), learned: arm(learned[i]) }));
  const diagnostics = learningDiagnostics(diagnosticsInputFromRun(job.dir, job.settings, job.thetaLearned));
  const verdict = buildVerdict(protocol, episodes, diagnostics, job.notes ?? []);
  writeFileSync(join(job.dir, VERDICT_FILE), JSON.stringify(verdict, null, 2) + "\n");
  return verdict;
}

/** The diagnostics and hints without held-out episodes (`--no-eval`): returned, not written. The
 *  final parameters are the last line of params-history.jsonl (Bayesian optimization: the best). */
export function runDiagnostics(dir: string, settings: Record<string, unknown>): { diagnostics: LearningDiagnostics; hints: ReturnType<typeof verdictHints> } {
  const hist = readHistory(dir);
  const thetaFinal = hist[hist.length - 1]?.theta ?? [];
  const diagnostics = learningDiagnostics(diagnosticsInputFromRun(dir, settings, thetaFinal));
  return { diagnostics, hints: verdictHints(diagnostics) };
}

/** verdict.json of a run folder, or undefined when there is none (or it does not parse). */
export function readVerdict(dir: string): Verdict | undefined {
  const path = join(dir, VERDICT_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as Verdict;
    return v && v.version === 1 ? v : undefined;
  } catch {
    return undefined;
  }
}
