// Disturbance sources for simulated plants: seeded random draws, or a recorded sequence replayed
// step by step (measured disturbances, or the noise of a published run, which makes the plant
// deterministic and comparable).

import type { Rng } from "../rng.js";

export interface DisturbanceSource {
  /** Number of disturbance entries per step. */
  readonly size: number;
  /** Writes the disturbance of `step` (0-based within the episode) into out. */
  sample(step: number, rng: Rng, out: Float64Array): void;
}

export type Distribution =
  | { readonly kind: "constant"; readonly value: number }
  | { readonly kind: "uniform"; readonly low: number; readonly high: number }
  | { readonly kind: "normal"; readonly mean: number; readonly std: number };

/** Independent draws per entry, from the plant's "noise" stream. */
export class RandomDisturbance implements DisturbanceSource {
  readonly size: number;
  constructor(readonly entries: readonly Distribution[]) {
    this.size = entries.length;
  }
  sample(_step: number, rng: Rng, out: Float64Array): void {
    for (let i = 0; i < this.size; i++) {
      const d = this.entries[i];
      out[i] = d.kind === "constant" ? d.value : d.kind === "uniform" ? rng.uniform(d.low, d.high) : rng.normal(d.mean, d.std);
    }
  }
}

/** Replays a recorded disturbance sequence; past its end it repeats (loop) or throws. */
export class RecordedDisturbance implements DisturbanceSource {
  readonly size: number;
  readonly length: number;
  private readonly data: Float64Array;
  constructor(
    rows: readonly (readonly number[])[] | readonly Float64Array[],
    readonly loop = false,
  ) {
    if (rows.length === 0) throw new Error("the recorded disturbance is empty");
    this.size = rows[0].length;
    this.length = rows.length;
    this.data = new Float64Array(this.size * this.length);
    rows.forEach((r, k) => {
      if (r.length !== this.size) {
        throw new Error(`recorded disturbance row ${k + 1} has ${r.length} entries, expected ${this.size}`);
      }
      for (let i = 0; i < this.size; i++) {
        if (!Number.isFinite(r[i])) throw new Error(`recorded disturbance row ${k + 1} has a non-finite entry`);
        this.data[k * this.size + i] = r[i];
      }
    });
  }
  sample(step: number, _rng: Rng, out: Float64Array): void {
    if (step >= this.length && !this.loop) {
      throw new Error(`the recorded disturbance has ${this.length} steps; step ${step + 1} was asked for`);
    }
    const k = step % this.length;
    for (let i = 0; i < this.size; i++) out[i] = this.data[k * this.size + i];
  }
}

/**
 * Parses a recorded disturbance from JSON text: an array of rows, an array of numbers (one entry
 * per step), or an object with a `disturbance` (or `noise_e`, as in the mpcrl anchor files)
 * field. A row shorter than `size` is an error, except a single number per step, which fills the
 * first entry (the others are zero), matching the anchors' noise on the first state only.
 */
export function parseDisturbance(text: string, size: number, loop = false): RecordedDisturbance {
  // a plant without a disturbance has nothing to replay into (a row of one entry was widened to a
  // row the plant cannot hold, and the run crashed after writing its first lines)
  if (size < 1) throw new Error("the plant declares no disturbance, so there is nothing to replay: drop the recorded disturbance or declare one in the plant");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // JSON that does not parse is not read as CSV (whose header rule dropped its one line: "empty")
    const first = text.trimStart()[0];
    if (first === "[" || first === "{") throw new Error(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    // CSV / whitespace-separated rows
    const rows = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0 && !l.startsWith("#"))
      .map((l) => l.split(/[,\s]+/).map(Number));
    if (rows.length > 0 && rows[0].some((v) => Number.isNaN(v))) rows.shift(); // header
    return new RecordedDisturbance(rows.map((r) => widen(r, size)), loop);
  }
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    raw = o.disturbance ?? o.noise_e;
  }
  if (!Array.isArray(raw)) throw new Error("expected an array of disturbance rows (or a `disturbance` field)");
  const rows = raw.map((r: unknown, k: number) => {
    if (typeof r === "number") return widen([r], size);
    if (Array.isArray(r) && r.every((v) => typeof v === "number")) return widen(r as number[], size);
    throw new Error(`disturbance row ${k + 1} is not a number or an array of numbers`);
  });
  return new RecordedDisturbance(rows, loop);
}

function widen(r: number[], size: number): number[] {
  if (r.length === size) return r;
  if (r.length === 1) {
    const out = new Array<number>(size).fill(0);
    out[0] = r[0];
    return out;
  }
  throw new Error(`a disturbance row has ${r.length} entries; the plant's disturbance has ${size}`);
}

/**
 * Null when a recorded disturbance covers an episode of `steps` steps (replayed from its first
 * row each episode, without `loop`); otherwise why not. Checked before a run starts, so a short
 * recording is refused up front instead of stopping the run at the step past its end.
 */
export function recordedDisturbanceShortfall(d: RecordedDisturbance, steps: number): string | null {
  if (d.loop || d.length >= steps) return null;
  return `the recorded disturbance has ${d.length} step(s) but an episode needs ${steps}: record a longer one, or lower --steps`;
}
