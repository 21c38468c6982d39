// Runtime monitors: per-step counts of plant constraint violations, active slacks, solver failures
// and fallbacks, accumulated per episode and over the run.

export interface MonitorTotals {
  violationSteps: number;
  violations: number;
  activeSlackSteps: number;
  solverFailures: number;
  fallbacks: number;
  lastViolationStep: number; // global step index, -1 if none
  rejectedUpdates: number;
  /** Steps whose plant state or stage cost was not finite (each stops its episode). */
  plantFailures: number;
}

export function emptyTotals(): MonitorTotals {
  return {
    violationSteps: 0,
    violations: 0,
    activeSlackSteps: 0,
    solverFailures: 0,
    fallbacks: 0,
    lastViolationStep: -1,
    rejectedUpdates: 0,
    plantFailures: 0,
  };
}

export function countActiveSlacks(slack: Float64Array, tol = 1e-6): number {
  let k = 0;
  for (let i = 0; i < slack.length; i++) if (slack[i] > tol) k++;
  return k;
}

export function isSolved(status: string): boolean {
  return status === "solved" || status === "solved_inaccurate";
}

export class Monitor {
  run: MonitorTotals = emptyTotals();
  episode: MonitorTotals = emptyTotals();

  startEpisode(): void {
    this.episode = emptyTotals();
  }

  /** Records one step: plant violations, and the solve that produced the applied action. */
  record(globalStep: number, violations: number, slacks: number, fallback: boolean, solverFailed: boolean): void {
    for (const t of [this.run, this.episode]) {
      if (violations > 0) {
        t.violationSteps++;
        t.violations += violations;
        t.lastViolationStep = globalStep;
      }
      if (slacks > 0) t.activeSlackSteps++;
      if (solverFailed) t.solverFailures++;
      if (fallback) t.fallbacks++;
    }
  }

  /** A plant step with a non-finite state or stage cost (the episode stops). */
  plantFailed(): void {
    this.run.plantFailures++;
    this.episode.plantFailures++;
  }

  rejected(): void {
    this.run.rejectedUpdates++;
    this.episode.rejectedUpdates++;
  }
}
