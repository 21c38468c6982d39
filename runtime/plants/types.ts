// The environment interface learners train on (gymnasium-like). Plants generated from a spec's
// `plant` block and hand-written TypeScript plants both implement it.

export interface PlantStep {
  /** State after the step (owned by the caller after return: plants return a fresh array). */
  readonly observation: Float64Array;
  /** Stage cost of this step (a reward is negated), evaluated at the pre-step state and the action. */
  readonly cost: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly info: {
    /** Number of the plant's declared constraints violated at the pre-step state. */
    readonly violations: number;
    /** Disturbance realized in this step (flattened), for logging and replay. */
    readonly disturbance?: Float64Array;
  };
}

export interface Plant {
  readonly nx: number;
  readonly nu: number;
  /** Resets the plant; the same seed gives the same episode. Returns the initial state. */
  reset(seed: number): Float64Array;
  step(action: ArrayLike<number>): PlantStep;
}
