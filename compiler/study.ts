// A spec's `study` expanded into configurations and trials (docs/studies.md). Pure and
// deterministic: the same spec text gives the same configurations, random draws, trial specs and
// order on every machine. A configuration's spec is the spec text with each varied value written in
// place (language/check/study.ts gives where) and the `study { }` block removed; a trial is a
// configuration and a seed. Trial ids (hashes) are computed by the caller (cli/study_plan.ts).

import { check, type Diagnostic } from "../language/index.js";
import { studyPlan, type StudyAxis, type StudyEvaluation, type StudyPlan, type StudyValue } from "../language/check/study.js";
import { Model } from "../language/check/model.js";
import { Rng } from "../runtime/rng.js";
import { proposeBatch } from "../runtime/study/bayes.js";

export type { StudyPlan, StudyValue, StudyAxis, StudyEvaluation };

export interface StudyConfig {
  /** 0-based, in the study's order (grids crossed, first axis slowest, then random draws). */
  readonly index: number;
  /** Axis label -> value (numbers, nested arrays, or the text of a word/call). */
  readonly settings: Readonly<Record<string, StudyValue>>;
  /** The spec of this configuration: values written in, the study removed. */
  readonly source: string;
}

export interface ExpandedStudy {
  readonly plan: StudyPlan;
  readonly configs: readonly StudyConfig[];
  /** Trials: every configuration with every seed (configuration-major). */
  readonly trials: readonly { readonly config: number; readonly seed: number }[];
}

/** The seed of the random draws' streams (one stream per random axis, named after it). */
const DRAW_SEED = 0x57d1;

/** A value as spec text: numbers in JavaScript's shortest round-trip form, arrays as `[a, b]`. */
export function valueText(v: StudyValue): string {
  if (typeof v === "number") return Object.is(v, -0) ? "0" : String(v);
  if (typeof v === "string") return v;
  return `[${v.map(valueText).join(", ")}]`;
}

function draw(rng: Rng, a: NonNullable<StudyAxis["random"]>): number {
  return fromUnit(a, rng.next());
}

/** The spec text with the values of `settings` written in and the study removed. */
export function configSource(text: string, plan: StudyPlan, values: readonly StudyValue[]): string {
  // the study's lines go entirely when it stands on lines of its own
  let start = plan.span.start;
  let end = plan.span.end;
  while (start > 0 && (text[start - 1] === " " || text[start - 1] === "\t")) start--;
  if (start === 0 || text[start - 1] === "\n") {
    let e = end;
    while (e < text.length && (text[e] === " " || text[e] === "\t")) e++;
    if (text[e] === "\n") end = e + 1;
    else if (text.startsWith("\r\n", e)) end = e + 2;
    else start = plan.span.start;
  } else start = plan.span.start;
  const edits: { start: number; end: number; text: string }[] = [{ start, end, text: "" }];
  plan.axes.forEach((a, i) => {
    const v = valueText(values[i]);
    if (a.site.kind === "replace") edits.push({ start: a.site.start, end: a.site.end, text: v });
    else edits.push({ start: a.site.at, end: a.site.at, text: a.site.prefix + v + a.site.suffix });
  });
  edits.sort((x, y) => y.start - x.start || y.end - x.end);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/**
 * Expands the spec's study. Errors in the spec (or no study) give diagnostics and no study; the
 * caller renders them.
 */
export function expandStudy(text: string): { diagnostics: readonly Diagnostic[]; study?: ExpandedStudy; hasStudy: boolean } {
  const checked = check(text);
  const diagnostics = checked.diagnostics;
  const model = checked.model;
  if (!(model instanceof Model)) return { diagnostics, hasStudy: false };
  const { plan, train } = studyPlan(model.ctx);
  const hasStudy = train?.settings.some((s) => s.key.name === "study") ?? false;
  if (!plan || diagnostics.some((d) => d.severity === "error")) return { diagnostics, hasStudy };
  const streams = plan.axes.map((a) => new Rng(DRAW_SEED, `study/${a.label}`));
  const gridAxes = plan.axes.map((a, i) => ({ a, i })).filter((x) => x.a.grid);
  const gridCount = gridAxes.reduce((n, x) => n * x.a.grid!.length, 1);
  const configs: StudyConfig[] = [];
  for (let g = 0; g < gridCount; g++) {
    // mixed-radix digits of g, first grid axis slowest
    const values: StudyValue[] = new Array(plan.axes.length);
    let rest = g;
    for (let j = gridAxes.length - 1; j >= 0; j--) {
      const n = gridAxes[j].a.grid!.length;
      values[gridAxes[j].i] = gridAxes[j].a.grid![rest % n];
      rest = Math.floor(rest / n);
    }
    for (let k = 0; k < plan.samples; k++) {
      const vs = values.slice();
      plan.axes.forEach((a, i) => {
        if (a.random) vs[i] = draw(streams[i], a.random);
      });
      const settings: Record<string, StudyValue> = {};
      plan.axes.forEach((a, i) => (settings[a.label] = vs[i]));
      configs.push({ index: configs.length, settings, source: configSource(text, plan, vs) });
    }
  }
  const trials = configs.flatMap((c) => plan.seeds.map((seed) => ({ config: c.index, seed })));
  return { diagnostics, study: { plan, configs, trials }, hasStudy };
}

type RandomRange = NonNullable<StudyAxis["random"]>;

/** A random axis's value in [0, 1] (the inverse of `fromUnit`; an integer at its stratum's middle). */
export function toUnit(r: RandomRange, v: number): number {
  if (r.integer) {
    const lo = Math.ceil(r.lo);
    const hi = Math.floor(r.hi);
    return (v - lo + 0.5) / (hi - lo + 1);
  }
  const u = r.dist === "log_uniform" ? (Math.log(v) - Math.log(r.lo)) / (Math.log(r.hi) - Math.log(r.lo)) : (v - r.lo) / (r.hi - r.lo);
  return Math.min(1, Math.max(0, u));
}

/** The value at u in [0, 1] of a random axis (as `draw` maps its uniform number). */
export function fromUnit(r: RandomRange, u: number): number {
  if (r.integer) {
    const lo = Math.ceil(r.lo);
    const hi = Math.floor(r.hi);
    return lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1)));
  }
  if (r.dist === "log_uniform") return Math.min(r.hi, Math.max(r.lo, Math.exp(Math.log(r.lo) + u * (Math.log(r.hi) - Math.log(r.lo)))));
  return r.lo + u * (r.hi - r.lo);
}

/** The configuration with these settings (axis label -> value), e.g. one proposed by Bayesian optimization. */
export function configFromSettings(text: string, plan: StudyPlan, index: number, settings: Readonly<Record<string, StudyValue>>): StudyConfig {
  const values = plan.axes.map((a) => settings[a.label]);
  const ordered: Record<string, StudyValue> = {};
  plan.axes.forEach((a, i) => (ordered[a.label] = values[i]));
  return { index, settings: ordered, source: configSource(text, plan, values) };
}

/**
 * Round `round` (1-based) of `search bayesopt`: `plan.search.batch` new configurations from the
 * configurations observed so far (their objective: the median evaluation cost over seeds, to
 * minimize; modelled in log when every objective is positive). Deterministic: the same
 * observations give the same proposals.
 */
export function proposeRound(
  text: string,
  plan: StudyPlan,
  observed: readonly { readonly settings: Readonly<Record<string, StudyValue>>; readonly objective: number }[],
  round: number,
  firstIndex: number,
): StudyConfig[] {
  const q = plan.search?.batch ?? 0;
  const ok = observed.filter((o) => Number.isFinite(o.objective));
  const X = ok.map((o) => plan.axes.map((a) => toUnit(a.random!, o.settings[a.label] as number)));
  const logY = ok.length > 0 && ok.every((o) => o.objective > 0);
  const y = ok.map((o) => (logY ? Math.log(o.objective) : o.objective));
  const us = proposeBatch(X, y, q, new Rng(DRAW_SEED, `study/bayesopt/${round}`));
  return us.map((u, j) => {
    const settings: Record<string, StudyValue> = {};
    plan.axes.forEach((a, i) => (settings[a.label] = fromUnit(a.random!, u[i])));
    return configFromSettings(text, plan, firstIndex + j, settings);
  });
}
