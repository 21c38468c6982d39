// The run's figures, computed from metrics.jsonl (so a resumed run is summarized like an
// uninterrupted one): total cost J, per-episode costs, TD errors early and late, violations per
// 500-step block, the last violating step, failure counts, final parameters.

import { rejectionEvents } from "../learn/types.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ParamLayout } from "../mpc/types.js";
import { thetaToJson, type ParamsJson, type ParamValue } from "./params.js";

export interface StepLine {
  type: "step";
  t: number;
  episode: number;
  step: number;
  state: number[];
  action: number[];
  cost: number;
  td_error: number | null;
  violations: number;
  active_slacks: number;
  solver_failure: boolean;
  fallback: boolean;
  updated: boolean;
  rejected: string | null;
  /** An event the learner logged at this step (e.g. identification for control). */
  note?: string;
  /** Why the plant step failed (a non-finite state or stage cost; the episode stopped there). */
  failure?: string;
}

export interface EpisodeLine {
  type: "episode";
  episode: number;
  steps: number;
  cost: number;
  mean_abs_td_error: number | null;
  violation_steps: number;
  [key: string]: unknown;
}

/** One line of params-history.jsonl (fields after `theta` are absent in older run folders). */
export interface HistoryLine {
  t: number;
  episode: number;
  theta: number[];
  /** The parameters in their declared shapes (params.json's format). */
  params?: Record<string, ParamValue>;
  /** The controller's effective bounds on the predicted state x_k (k = bounds_stage) at these parameters; null: unbounded. */
  state_lb?: (number | null)[];
  state_ub?: (number | null)[];
  bounds_stage?: number;
}

export function readHistory(dir: string): HistoryLine[] {
  const path = join(dir, "params-history.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as HistoryLine);
}

export interface ControllerBoundsSummary {
  /** The prediction stage k the bounds apply to (the first with any). */
  readonly stage: number;
  readonly initial: { readonly lower: (number | null)[]; readonly upper: (number | null)[] };
  readonly final: { readonly lower: (number | null)[]; readonly upper: (number | null)[] };
}

export interface RunSummary {
  readonly status: "completed" | "stopped";
  readonly settings: Record<string, unknown>;
  readonly steps: number;
  readonly episodes: number;
  /** Total cost over all steps; NaN (null in summary.json) when a stage cost was not finite or the
   *  plant failed (`plantFailures`): a cost summed over the finite steps only would hide it. */
  readonly J: number;
  readonly episodeCosts: number[];
  readonly meanAbsTdFirst100: number | null;
  readonly meanAbsTdLast100: number | null;
  readonly meanStageCostLast1000: number;
  readonly violatingSteps: number;
  readonly violationsPer500: number[];
  /** Global index (0-based) of the last step whose pre-step state violated a bound; null if none. */
  readonly lastViolatingStep: number | null;
  readonly activeSlackSteps: number;
  readonly solverFailures: number;
  readonly fallbacks: number;
  readonly updates: number;
  readonly rejectedUpdates: number;
  /** Events the learner logged (StepRecord.note), in order. */
  readonly notes: readonly { readonly t: number; readonly note: string }[];
  /** Plant steps with a non-finite state or stage cost (each stopped its episode), in order; absent: none. */
  readonly plantFailures?: readonly { readonly t: number; readonly episode: number; readonly message: string }[];
  readonly wallTime: number;
  readonly stepsPerSecond: number;
  readonly params: ParamsJson;
  /** Bayesian optimization (episodes with an \`objective\`): the lowest objective and the episode that gave it. */
  readonly bestObjective?: number;
  readonly bestEpisode?: number;
  /** The controller's effective state bounds at the initial and final parameters (when the run recorded them). */
  readonly controllerStateBounds?: ControllerBoundsSummary;
  /** Offline learning with the guard (episodes with `ope_estimate`): the off-policy estimates beside the true evaluations. */
  readonly offPolicy?: OffPolicySummary;
}

/** The guard's figures over a run (docs/training.md, summary.json). */
export interface OffPolicySummary {
  /** Off-policy estimate of the behaviour parameters' cost per rollout (on the identified model). */
  readonly behaviourEstimate: number;
  /** The final (accepted) parameters' estimate. */
  readonly finalEstimate: number;
  /** finalEstimate / behaviourEstimate. */
  readonly estimatedRatio: number | null;
  /** Passes whose candidate the guard accepted / rejected. */
  readonly guardAccepted: number;
  readonly guardRejected: number;
  /** The last evaluation on the plant (`eval_cost`) and the estimate at that episode; null without evaluations. */
  readonly lastEvalCost: number | null;
  readonly estimateAtLastEval: number | null;
}

function offPolicySummary(episodes: readonly EpisodeLine[]): OffPolicySummary | undefined {
  const g = episodes.filter((e) => typeof e.ope_estimate === "number" || e.ope_estimate === null);
  if (g.length === 0) return undefined;
  const num = (v: unknown): number => (typeof v === "number" ? v : Infinity);
  const last = g[g.length - 1];
  const evals = episodes.filter((e) => typeof e.eval_cost === "number");
  const le = evals[evals.length - 1];
  const b = num(last.ope_behaviour);
  const f = num(last.ope_estimate);
  return {
    behaviourEstimate: b,
    finalEstimate: f,
    estimatedRatio: b > 0 && Number.isFinite(b) ? f / b : null,
    guardAccepted: g.filter((e) => e.guard_accepted === 1).length,
    guardRejected: g.filter((e) => e.guard_accepted === 0).length,
    lastEvalCost: le ? (le.eval_cost as number) : null,
    estimateAtLastEval: le && typeof le.ope_estimate === "number" ? le.ope_estimate : null,
  };
}

export function readMetrics(dir: string): { steps: StepLine[]; episodes: EpisodeLine[] } {
  const steps: StepLine[] = [];
  const episodes: EpisodeLine[] = [];
  const text = readFileSync(join(dir, "metrics.jsonl"), "utf8");
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    const rec = JSON.parse(line) as StepLine | EpisodeLine;
    if (rec.type === "step") steps.push(rec);
    else episodes.push(rec);
  }
  return { steps, episodes };
}

const mean = (v: number[]): number | null => (v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length);

export function summarizeRun(
  dir: string,
  settings: Record<string, unknown>,
  layout: readonly ParamLayout[],
  theta: ArrayLike<number>,
  status: "completed" | "stopped",
  wallTime: number,
): RunSummary {
  const { steps, episodes } = readMetrics(dir);
  const tds = steps.map((s) => s.td_error).filter((v): v is number => v !== null).map(Math.abs);
  const blocks: number[] = [];
  let last: number | null = null;
  let J = 0;
  for (const s of steps) {
    // a non-finite cost is null in metrics.jsonl: J is then not a number (never summed as 0)
    J += typeof s.cost === "number" ? s.cost : NaN;
    const b = Math.floor(s.t / 500);
    while (blocks.length <= b) blocks.push(0);
    if (s.violations > 0) {
      blocks[b]++;
      last = s.t;
    }
  }
  const failures = steps.flatMap((s) => (typeof s.failure === "string" ? [{ t: s.t, episode: s.episode, message: s.failure }] : []));
  if (failures.length > 0) J = NaN;
  const tail = steps.slice(-1000).map((s) => (typeof s.cost === "number" ? s.cost : NaN));
  let best: { episode: number; objective: number } | undefined;
  for (const e of episodes) {
    const o = e.objective;
    if (typeof o === "number" && Number.isFinite(o) && (best === undefined || o < best.objective)) best = { episode: e.episode, objective: o };
  }
  const hist = readHistory(dir);
  const first = hist[0];
  const lastH = hist[hist.length - 1];
  const bounds: ControllerBoundsSummary | undefined =
    first?.state_lb && first.state_ub && lastH?.state_lb && lastH.state_ub
      ? { stage: first.bounds_stage ?? 1, initial: { lower: first.state_lb, upper: first.state_ub }, final: { lower: lastH.state_lb, upper: lastH.state_ub } }
      : undefined;
  return {
    status,
    settings,
    steps: steps.length,
    episodes: episodes.length,
    J,
    episodeCosts: episodes.map((e) => e.cost),
    meanAbsTdFirst100: mean(tds.slice(0, 100)),
    meanAbsTdLast100: mean(tds.slice(-100)),
    meanStageCostLast1000: mean(tail) ?? 0,
    violatingSteps: steps.filter((s) => s.violations > 0).length,
    violationsPer500: blocks,
    lastViolatingStep: last,
    activeSlackSteps: steps.filter((s) => s.active_slacks > 0).length,
    solverFailures: steps.filter((s) => s.solver_failure).length,
    fallbacks: steps.filter((s) => s.fallback).length,
    updates: steps.filter((s) => s.updated).length,
    rejectedUpdates: steps.reduce((n, s) => n + rejectionEvents(s.rejected).length, 0),
    notes: steps.flatMap((s) => (typeof s.note === "string" ? [{ t: s.t, note: s.note }] : [])),
    ...(failures.length > 0 ? { plantFailures: failures } : {}),
    wallTime,
    stepsPerSecond: wallTime > 0 ? steps.length / wallTime : 0,
    params: thetaToJson(layout, theta),
    ...(best ? { bestObjective: best.objective, bestEpisode: best.episode } : {}),
    ...(bounds ? { controllerStateBounds: bounds } : {}),
    ...(offPolicySummary(episodes) ? { offPolicy: offPolicySummary(episodes) } : {}),
  };
}
