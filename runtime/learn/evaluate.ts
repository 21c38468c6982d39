// A policy run without learning (for `mpcrl eval` and baselines): the MPC acts, the plant steps,
// monitors count; parameters never change. `evaluateHeldOut`: the held-out episodes of the verdict
// (verdict.ts), failures counted, never thrown.

import type { LearnableMpc } from "../mpc/types.js";
import type { Plant } from "../plants/types.js";
import { RolloutBase } from "./rollout.js";
import { episodeSeed, type StepRecord } from "./types.js";
import type { ArmEpisode } from "./verdict.js";

export class PolicyEvaluation extends RolloutBase {
  readonly algorithm = "evaluation";

  step(): StepRecord {
    const st = this.plantStep();
    this.s.set(st.observation);
    this.policy(this.s, this.a); // the next action; its solve is recorded with the next step
    this.finishStep(false);
    return this.record;
  }

  protected extraState(): Record<string, unknown> {
    return {};
  }

  protected restoreExtra(): void {}
}

export interface HeldOutOptions {
  /** The held-out seed: episode e resets the plant with episodeSeed(seed, e). */
  readonly seed: number;
  readonly episodes: number;
  readonly steps: number;
  readonly inputLower?: ArrayLike<number>;
  readonly inputUpper?: ArrayLike<number>;
}

/** One held-out episode (verdict.ts `ArmEpisode`) and its plant seed. */
export interface HeldOutEpisode extends ArmEpisode {
  readonly plantSeed: number;
}

/**
 * Runs `theta` on the held-out episodes 0..episodes-1 of `seed` (no learning, no exploration).
 * A failed MPC solve applies the controller's fallback and is counted; a rollout that throws (or
 * gives a non-finite cost, or whose plant left its domain: the episode stops there) is recorded
 * with `error` and the next episode runs: never a crash.
 * Evaluating two parameter sets with the same options gives paired episodes (same plant seeds).
 */
export function evaluateHeldOut(mpc: LearnableMpc, plant: Plant, theta: ArrayLike<number>, opts: HeldOutOptions): HeldOutEpisode[] {
  mpc.setTheta(theta);
  const ev = new PolicyEvaluation(mpc, plant, { seed: opts.seed, exploration: { kind: "none" }, inputLower: opts.inputLower, inputUpper: opts.inputUpper });
  const out: HeldOutEpisode[] = [];
  for (let e = 0; e < opts.episodes; e++) {
    const plantSeed = episodeSeed(opts.seed, e);
    let steps = 0;
    try {
      ev.beginEpisode(e);
      for (; steps < opts.steps; ) {
        const r = ev.step();
        steps++;
        if (r.done) break;
      }
      const er = ev.endEpisode();
      const t = er.totals;
      out.push({
        plantSeed,
        cost: er.cost,
        steps: er.steps,
        violationSteps: t.violationSteps,
        solverFailures: t.solverFailures,
        fallbacks: t.fallbacks,
        // a plant failure (non-finite state or cost) stopped the episode: its reason
        ...(Number.isFinite(er.cost) ? {} : { error: ev.record.failure ?? `non-finite cost (${er.cost})` }),
      });
    } catch (err) {
      const t = ev.monitor.episode;
      out.push({
        plantSeed,
        cost: NaN,
        steps,
        violationSteps: t.violationSteps,
        solverFailures: t.solverFailures,
        fallbacks: t.fallbacks,
        error: `step ${steps}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  return out;
}
