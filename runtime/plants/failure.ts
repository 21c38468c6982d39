// A plant step that left the plant's domain: a non-finite stage cost or next state. Such a step is
// never learned from nor summed away (the rollouts stop there, the run reports it).

import type { PlantStep } from "./types.js";

/** Null when the step's stage cost and next state are finite, else why not (naming the first entry). */
export function plantStepFailure(st: PlantStep): string | null {
  if (!Number.isFinite(st.cost)) return `the plant's stage cost is ${st.cost}`;
  const o = st.observation;
  for (let i = 0; i < o.length; i++) if (!Number.isFinite(o[i])) return `the plant's next state[${i}] is ${o[i]}`;
  return null;
}
