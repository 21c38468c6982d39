// One trial of a study (docs/studies.md): train the configuration's spec with the trial's seed in a
// temporary run folder, evaluate its final parameters on the study's held-out episodes, and return
// the deterministic result (no times, no host: the caller adds them). Used by the local pool's
// threads (study_thread.ts) and by `mpcrl worker` through the same threads.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMetrics } from "../runtime/run/summary.js";
import type { TrialOutcome } from "../runtime/study/types.js";
import { runJob } from "./train_run.js";

export interface TrialJob {
  readonly id: string;
  readonly specPath: string;
  /** The configuration's spec text (values written in, study removed). */
  readonly source: string;
  readonly seed: number;
  readonly evaluation: { readonly episodes: number; readonly steps?: number; readonly seed: number };
}

/** Mean stage cost over at most `points` equal windows of the run's steps. */
function curve(costs: readonly number[], points = 40): number[] {
  const n = costs.length;
  const w = Math.max(1, Math.ceil(n / points));
  const out: number[] = [];
  for (let i = 0; i < n; i += w) {
    let s = 0;
    const end = Math.min(n, i + w);
    for (let j = i; j < end; j++) s += costs[j];
    out.push(s / (end - i));
  }
  return out;
}

export async function runTrial(job: TrialJob): Promise<TrialOutcome> {
  const root = mkdtempSync(join(tmpdir(), `mpcrl-trial-${job.id}-`));
  try {
    const trainDir = join(root, "train");
    const train = await runJob({ specPath: job.specPath, source: job.source, flags: { color: false }, seed: job.seed, dir: trainDir, resume: false, learn: true });
    const s = train.summary;
    const stepCosts = readMetrics(trainDir).steps.map((l) => l.cost);
    const ev = job.evaluation;
    const evalFlags = { color: false, episodes: String(ev.episodes), ...(ev.steps !== undefined ? { steps: String(ev.steps) } : {}) };
    const evalRun = await runJob({
      specPath: job.specPath,
      source: job.source,
      flags: evalFlags,
      seed: ev.seed,
      dir: join(root, "eval"),
      resume: false,
      learn: false,
      params: s.params,
      episodeRange: [0, ev.episodes],
    });
    const e = evalRun.summary;
    return {
      status: "completed",
      final: {
        J: s.J,
        episodes: s.episodes,
        steps: s.steps,
        lastEpisodeCost: s.episodeCosts[s.episodeCosts.length - 1] ?? null,
        violatingSteps: s.violatingSteps,
        lastViolatingStep: s.lastViolatingStep,
        solverFailures: s.solverFailures,
        rejectedUpdates: s.rejectedUpdates,
      },
      evaluation: {
        cost: e.episodeCosts.length > 0 ? e.episodeCosts.reduce((a, b) => a + b, 0) / e.episodeCosts.length : null,
        violations: e.violatingSteps / Math.max(1, e.episodeCosts.length),
        episodeCosts: e.episodeCosts,
        violatingSteps: e.violatingSteps,
        steps: e.steps,
        seed: ev.seed,
      },
      params: s.params,
      curve: curve(stepCosts),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
