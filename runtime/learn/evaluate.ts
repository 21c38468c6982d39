// A policy run without learning (for `mpcrl eval` and baselines): the MPC acts, the plant steps,
// monitors count; parameters never change.

import { RolloutBase } from "./rollout.js";
import type { StepRecord } from "./types.js";

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
