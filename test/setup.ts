// Vitest setup: every fast-check property runs from a fixed seed, so a run is reproducible and a
// failure reprints the same counterexample. A test may pass its own `seed`; FC_SEED overrides the
// default for exploring (e.g. FC_SEED=$RANDOM npm test), never in CI.
import fc from "fast-check";

const seed = process.env.FC_SEED === undefined ? 20261205 : Number(process.env.FC_SEED);
if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${process.env.FC_SEED}`);
fc.configureGlobal({ seed });
