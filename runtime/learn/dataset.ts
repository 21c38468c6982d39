// Transition data sets for off-policy / offline learning: rollouts of (s, a, cost, s') tuples,
// read from JSONL (one object per line: {"episode"?, "s"|"state", "a"|"action", "cost", "s_next"|"next_state"})
// (optionally "theta": the behaviour policy's parameters) or CSV (a header naming s0.., a0.., cost, n0.. and optionally episode), or recorded by rolling
// out a policy on a plant.

import { plantStepFailure } from "../plants/failure.js";
import type { Plant } from "../plants/types.js";
import { episodeSeed } from "./types.js";

export interface Transition {
  readonly s: Float64Array;
  readonly a: Float64Array;
  readonly cost: number;
  readonly sNext: Float64Array;
  readonly violations: number;
  /** The behaviour policy's parameters, when the data set recorded them (JSONL `theta`). */
  readonly theta?: Float64Array;
}

export type Rollout = readonly Transition[];

function vec(v: unknown, n: number, what: string, line: number): Float64Array {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new Error(`line ${line}: \`${what}\` must be an array of ${n} finite numbers`);
  }
  return Float64Array.from(v as number[]);
}

export function parseDataset(text: string, nx: number, nu: number): Rollout[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (lines.length === 0) throw new Error("the data set is empty");
  const groups = new Map<number, Transition[]>();
  const add = (ep: number, t: Transition) => {
    const g = groups.get(ep);
    if (g) g.push(t);
    else groups.set(ep, [t]);
  };
  if (lines[0].trim().startsWith("{")) {
    lines.forEach((l, i) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`line ${i + 1}: not valid JSON`);
      }
      const cost = o.cost;
      if (typeof cost !== "number" || !Number.isFinite(cost)) throw new Error(`line ${i + 1}: \`cost\` must be a finite number`);
      add(typeof o.episode === "number" ? o.episode : 0, {
        s: vec(o.s ?? o.state, nx, "s", i + 1),
        a: vec(o.a ?? o.action, nu, "a", i + 1),
        cost,
        sNext: vec(o.s_next ?? o.next_state, nx, "s_next", i + 1),
        violations: typeof o.violations === "number" ? o.violations : 0,
        ...(o.theta !== undefined ? { theta: vec(o.theta, Array.isArray(o.theta) ? o.theta.length : -1, "theta", i + 1) } : {}),
      });
    });
  } else {
    const head = lines[0].split(",").map((h) => h.trim());
    const col = (name: string): number => {
      const k = head.indexOf(name);
      if (k < 0) throw new Error(`the CSV header lacks the column \`${name}\``);
      return k;
    };
    const sc = Array.from({ length: nx }, (_, i) => col(`s${i}`));
    const ac = Array.from({ length: nu }, (_, i) => col(`a${i}`));
    const nc = Array.from({ length: nx }, (_, i) => col(`n${i}`));
    const cc = col("cost");
    const ec = head.indexOf("episode");
    lines.slice(1).forEach((l, i) => {
      const v = l.split(",").map(Number);
      if (v.some((x) => !Number.isFinite(x))) throw new Error(`line ${i + 2}: every entry must be a finite number`);
      add(ec >= 0 ? v[ec] : 0, {
        s: Float64Array.from(sc.map((k) => v[k])),
        a: Float64Array.from(ac.map((k) => v[k])),
        cost: v[cc],
        sNext: Float64Array.from(nc.map((k) => v[k])),
        violations: 0,
      });
    });
  }
  return [...groups.entries()].sort((x, y) => x[0] - y[0]).map(([, g]) => g);
}

/** Records `count` rollouts of `steps` steps with a fixed policy (e.g. the initial MPC). A plant
 *  step with a non-finite state or cost ends its rollout before that step and is reported to
 *  `onFailure` (rollout index, step, why). */
export function recordRollouts(
  plant: Plant,
  policy: (s: Float64Array) => Float64Array,
  count: number,
  steps: number,
  seed: number,
  onFailure?: (rollout: number, step: number, why: string) => void,
): Rollout[] {
  const out: Rollout[] = [];
  for (let r = 0; r < count; r++) {
    let s = plant.reset(episodeSeed(seed, r));
    const ro: Transition[] = [];
    for (let k = 0; k < steps; k++) {
      const a = policy(s);
      const st = plant.step(a);
      // a plant that left its domain (non-finite state or cost): the rollout ends before that step
      const failure = plantStepFailure(st);
      if (failure !== null) {
        onFailure?.(r, k, failure);
        break;
      }
      ro.push({ s, a: Float64Array.from(a), cost: st.cost, sNext: st.observation, violations: st.info.violations });
      s = st.observation;
      if (st.terminated || st.truncated) break;
    }
    out.push(ro);
  }
  return out;
}

export function datasetToJsonl(rollouts: readonly Rollout[]): string {
  return rollouts
    .flatMap((ro, e) =>
      ro.map((t) => JSON.stringify({ episode: e, s: Array.from(t.s), a: Array.from(t.a), cost: t.cost, s_next: Array.from(t.sNext) })),
    )
    .join("\n") + "\n";
}
