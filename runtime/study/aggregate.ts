// Per-configuration statistics of a study and its ranking (docs/studies.md). Pure, browser-safe.

import type { StudySettingValue, TrialRecord } from "./types.js";

export interface Spread {
  /** How many values (finite ones: a trial without a finite value is not counted) back the figures. */
  readonly n: number;
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly q25: number | null;
  readonly q75: number | null;
}

/** Linear-interpolation quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function spread(values: readonly (number | null)[]): Spread {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  return { n: v.length, median: quantile(v, 0.5), min: v[0] ?? null, max: v[v.length - 1] ?? null, q25: quantile(v, 0.25), q75: quantile(v, 0.75) };
}

export interface ConfigStats {
  readonly config: number;
  readonly settings: Readonly<Record<string, StudySettingValue>>;
  readonly trials: number;
  readonly completed: number;
  readonly failed: number;
  readonly evalCost: Spread;
  readonly evalViolations: Spread;
  readonly finalJ: Spread;
  /** Per window of the training: spread over seeds of the mean stage cost (learning curve band). */
  readonly curve: Spread[];
  /** The completed trial with the lowest evaluation cost: its id, seed and parameters. */
  readonly best?: { readonly id: string; readonly seed: number; readonly evalCost: number | null; readonly params: unknown };
  /** 1-based rank by median evaluation cost, then median violations (undefined: nothing completed). */
  rank?: number;
}

export function aggregate(records: readonly TrialRecord[]): ConfigStats[] {
  const byConfig = new Map<number, TrialRecord[]>();
  for (const r of records) {
    const list = byConfig.get(r.config) ?? [];
    list.push(r);
    byConfig.set(r.config, list);
  }
  const out: ConfigStats[] = [];
  for (const [config, rs] of [...byConfig.entries()].sort((a, b) => a[0] - b[0])) {
    const done = rs.filter((r): r is Extract<TrialRecord, { status: "completed" }> => r.status === "completed");
    const windows = Math.max(0, ...done.map((r) => r.curve.length));
    const curve = Array.from({ length: windows }, (_, i) => spread(done.map((r) => r.curve[i] ?? null)));
    let best: ConfigStats["best"];
    for (const r of done) {
      const c = r.evaluation.cost;
      if (!best || (c !== null && (best.evalCost === null || c < best.evalCost))) best = { id: r.id, seed: r.seed, evalCost: c, params: r.params };
    }
    out.push({
      config,
      settings: rs[0].settings,
      trials: rs.length,
      completed: done.length,
      failed: rs.length - done.length,
      evalCost: spread(done.map((r) => r.evaluation.cost)),
      evalViolations: spread(done.map((r) => r.evaluation.violations)),
      finalJ: spread(done.map((r) => r.final.J)),
      curve,
      ...(best ? { best } : {}),
    });
  }
  const ranked = out.filter((c) => c.completed > 0);
  const key = (x: number | null): number => (x === null ? Infinity : x);
  ranked.sort((a, b) => key(a.evalCost.median) - key(b.evalCost.median) || key(a.evalViolations.median) - key(b.evalViolations.median) || a.config - b.config);
  ranked.forEach((c, i) => (c.rank = i + 1));
  return out;
}

/** The configurations in rank order (unranked ones last). */
export function ranking(stats: readonly ConfigStats[]): ConfigStats[] {
  return [...stats].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.config - b.config);
}

/** A setting's value as text (arrays in brackets). */
export function settingText(v: StudySettingValue): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  if (typeof v === "string") return v;
  return `[${v.map(settingText).join(", ")}]`;
}
