// Records and interfaces shared by the learners and the run driver (runtime/run/).

import type { RngState } from "../rng.js";
import type { MonitorTotals } from "./monitors.js";

/** One environment step. The trainer reuses one record object: copy what you keep. */
export interface StepRecord {
  episode: number;
  /** Step within the episode (0-based). */
  step: number;
  /** Global step counter over the run (0-based). */
  t: number;
  /** Pre-step state and applied action (buffers reused between steps). */
  state: Float64Array;
  action: Float64Array;
  cost: number;
  /** TD error (NaN when not computed, e.g. a failed solve or a non-Q algorithm). */
  tdError: number;
  violations: number;
  activeSlacks: number;
  solverFailure: boolean;
  fallback: boolean;
  /** Whether a parameter update was attempted after this step, and its outcome. */
  updated: boolean;
  /** Why an update was rejected at this step, else null; a step that also reverted the last update
   *  or restored the parameters gives each event in order, joined by REJECTION_SEPARATOR
   *  (`rejectionEvents` splits them: one per rejected update or restore). */
  rejected: string | null;
  done: boolean;
  /** An event of this step worth logging (e.g. what identification derived); absent: none. */
  note?: string;
  /** Why the plant step failed (a non-finite state or stage cost: RolloutBase.plantStep); the
   *  episode stops there (`done`) and its cost is NaN. Absent: the step is fine. */
  failure?: string;
}

export interface EpisodeRecord {
  episode: number;
  steps: number;
  cost: number;
  meanAbsTdError: number;
  totals: MonitorTotals;
  /** Extra per-algorithm figures (e.g. an evaluation score). */
  extra?: Record<string, number>;
}

export interface TrainerCheckpoint {
  readonly algorithm: string;
  readonly theta: number[];
  readonly episode: number;
  /** Steps already taken in `episode` (0: at a boundary). */
  readonly step: number;
  readonly globalStep: number;
  /** Actions applied so far in the current episode, to replay the plant deterministically. */
  readonly episodeActions: number[][];
  readonly rng: Record<string, RngState>;
  readonly extra: Record<string, unknown>;
}

export interface EpisodicTrainer {
  readonly algorithm: string;
  readonly record: StepRecord;
  /** Steps already taken in the current episode (non-zero after restoring a mid-episode checkpoint). */
  readonly stepsInEpisode: number;
  /** Run-wide monitor counts. */
  readonly monitor: { readonly run: MonitorTotals };
  /** Starts an episode (resets the plant with the episode's seed). */
  beginEpisode(episode: number): void;
  /** Takes one step; the returned record is `record` (reused). */
  step(): StepRecord;
  /** Ends the episode; algorithms that learn per rollout update here. */
  endEpisode(): EpisodeRecord;
  getTheta(): Float64Array;
  checkpoint(): TrainerCheckpoint;
  /** Restores a checkpoint (re-simulating the plant through the recorded actions mid-episode). */
  restore(cp: TrainerCheckpoint): void;
}

/** The plant seed of an episode: distinct for (seed, episode) pairs, stable across runs. */
export function episodeSeed(seed: number, episode: number): number {
  return (Math.imul(seed >>> 0, 1000003) + episode * 7919 + 12345) >>> 0;
}

export function newStepRecord(nx: number, nu: number): StepRecord {
  return {
    episode: 0,
    step: 0,
    t: 0,
    state: new Float64Array(nx),
    action: new Float64Array(nu),
    cost: 0,
    tdError: NaN,
    violations: 0,
    activeSlacks: 0,
    solverFailure: false,
    fallback: false,
    updated: false,
    rejected: null,
    done: false,
  };
}

/** Joins the events of one step's `rejected` (a revert or a restore, then the step's own rejection):
 *  no message contains it, unlike "; ". */
export const REJECTION_SEPARATOR = " | ";

/** The events of a step's `rejected`: one per rejected update (or parameter restore). */
export function rejectionEvents(rejected: string | null): string[] {
  return rejected === null ? [] : rejected.split(REJECTION_SEPARATOR);
}
