// The verdict of a training run (docs/training.md, "The verdict"): the initial parameters (theta0
// of the spec) and the learned ones evaluated on the same held-out episodes (paired: the same plant
// seeds, so the same initial states, disturbances and noise for both), a paired t interval on the
// difference of their episode costs, and learning diagnostics computed from what the run recorded
// (TD errors, parameter changes, policy-gradient norms, rejected updates, parameters at their
// bounds, exploration), with plain-language hints derived from those numbers by the explicit rules
// of `verdictHints` (each rule's threshold is a named constant below).
//
// Browser-safe: plain numbers in, plain data out; no Node API. The CLI runs the held-out episodes
// (evaluate.ts `evaluateHeldOut`) and writes verdict.json (runtime/run/verdict.ts).

// ---- Student's t distribution ------------------------------------------------------------------

/** log Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-14). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes' betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1. */
export function incompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  // the continued fraction converges fast for x < (a + 1) / (a + b + 2); else use the symmetry
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with `df` > 0 degrees of freedom: 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2 for t > 0. */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / 2, 0.5, df / (df + t * t));
  return t > 0 ? 1 - tail : tail;
}

/** The density of Student's t with `df` degrees of freedom. */
export function studentTPdf(t: number, df: number): number {
  const lnC = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  return Math.exp(lnC - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/**
 * The p-quantile of Student's t with `df` > 0 degrees of freedom (t_{p,df}: P(T <= t) = p).
 * df = 1 and df = 2 in closed form; otherwise the incomplete-beta CDF above inverted by Newton's
 * method safeguarded by bisection on a bracket, to |dt| <= 1e-13 (1 + |t|).
 */
export function tQuantile(p: number, df: number): number {
  if (!(df > 0) || Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  if (df === 1) return Math.tan(Math.PI * (p - 0.5));
  if (df === 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
  return tQuantileByInversion(p, df);
}

/** The general path of `tQuantile` for p > 0.5 (exported for tests against the closed forms). */
export function tQuantileByInversion(p: number, df: number): number {
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p && hi < 1e300) {
    lo = hi;
    hi *= 2;
  }
  let t = 0.5 * (lo + hi);
  for (let i = 0; i < 200; i++) {
    const f = studentTCdf(t, df) - p;
    if (f === 0) return t;
    if (f < 0) lo = t;
    else hi = t;
    const step = f / studentTPdf(t, df);
    let next = t - step;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi); // Newton left the bracket: bisect
    if (Math.abs(next - t) <= 1e-13 * (1 + Math.abs(t))) return next;
    t = next;
  }
  return t;
}

// ---- held-out episodes and their paired comparison ---------------------------------------------

/** One held-out episode of one set of parameters. */
export interface ArmEpisode {
  /** Sum of the plant's stage costs (NaN when the episode failed). */
  readonly cost: number;
  readonly steps: number;
  /** Steps whose state violated the plant's constraints. */
  readonly violationSteps: number;
  /** Steps whose MPC solve failed (the controller then applied its fallback). */
  readonly solverFailures: number;
  readonly fallbacks: number;
  /** Set when the rollout itself failed (an exception, or a non-finite cost): left out of the comparison. */
  readonly error?: string;
}

export interface PairedComparison {
  /** Pairs used (both episodes finished with a finite cost). */
  readonly n: number;
  /** Pairs left out because one of their episodes failed. */
  readonly excluded: number;
  /** Distinct (initial, learned) cost pairs among the n: 1 with n >= 2 means every held-out episode
   *  was the same (a recorded disturbance replayed, no random initial state): no interval. */
  readonly distinct: number;
  readonly meanInitial: number | null;
  readonly meanLearned: number | null;
  /** Mean of learned - initial over the pairs. */
  readonly meanDifference: number | null;
  /** Sample standard deviation of the differences (n - 1 in the denominator); null for n < 2. */
  readonly sdDifference: number | null;
  /** n - 1. */
  readonly df: number | null;
  /** t_{0.975, n-1}; null for n < 2. */
  readonly tQuantile: number | null;
  /** 95 % paired t interval of the mean difference; null for n < 2. */
  readonly ci95: readonly [number, number] | null;
  /** 100 * meanDifference / meanInitial (null when meanInitial <= 0). */
  readonly relativePercent: number | null;
  /** The interval divided by meanInitial (the initial mean taken as fixed), in percent. */
  readonly relativeCi95Percent: readonly [number, number] | null;
  /** The interval excludes 0 (null without an interval). */
  readonly significant: boolean | null;
  readonly outcome: "helped" | "no_difference" | "worse" | "inconclusive";
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/**
 * Paired comparison of episode costs: d_i = learned_i - initial_i over the pairs where both are
 * finite; mean d, s_d, and the interval mean d +- t_{0.975,n-1} s_d / sqrt(n). Outcome: "helped"
 * when the interval lies below 0, "worse" above 0, "no_difference" when it contains 0 (or every
 * difference is 0), "inconclusive" with fewer than 2 pairs (no interval from one episode).
 * Zero variance with a non-zero difference gives the degenerate interval [d, d] (significant),
 * except when every pair is the same pair (identical episodes): then "inconclusive", no interval.
 */
export function pairedComparison(initial: readonly ArmEpisode[], learned: readonly ArmEpisode[]): PairedComparison {
  const a: number[] = [];
  const b: number[] = [];
  let excluded = 0;
  for (let i = 0; i < Math.min(initial.length, learned.length); i++) {
    const x = initial[i];
    const y = learned[i];
    if (x.error !== undefined || y.error !== undefined || !Number.isFinite(x.cost) || !Number.isFinite(y.cost)) excluded++;
    else {
      a.push(x.cost);
      b.push(y.cost);
    }
  }
  const n = a.length;
  const distinct = new Set(a.map((x, i) => `${x} ${b[i]}`)).size;
  const empty = { n, excluded, distinct, meanInitial: null, meanLearned: null, meanDifference: null, sdDifference: null, df: null, tQuantile: null, ci95: null, relativePercent: null, relativeCi95Percent: null, significant: null, outcome: "inconclusive" as const };
  if (n === 0) return empty;
  const d = a.map((x, i) => b[i] - x);
  const mI = mean(a);
  const mL = mean(b);
  const md = mean(d);
  const rel = (v: number): number | null => (mI > 0 ? (100 * v) / mI : null);
  if (n === 1 || distinct === 1) return { ...empty, meanInitial: mI, meanLearned: mL, meanDifference: md, relativePercent: rel(md), ...(n > 1 ? { sdDifference: 0, df: n - 1 } : {}) };
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - md) * (x - md), 0) / (n - 1));
  const tq = tQuantile(0.975, n - 1);
  const half = (tq * sd) / Math.sqrt(n);
  const ci: [number, number] = [md - half, md + half];
  const allZero = d.every((x) => x === 0);
  const significant = !allZero && (ci[0] > 0 || ci[1] < 0);
  const relLo = rel(ci[0]);
  const relHi = rel(ci[1]);
  return {
    n,
    excluded,
    distinct,
    meanInitial: mI,
    meanLearned: mL,
    meanDifference: md,
    sdDifference: sd,
    df: n - 1,
    tQuantile: tq,
    ci95: ci,
    relativePercent: rel(md),
    relativeCi95Percent: relLo !== null && relHi !== null ? [relLo, relHi] : null,
    significant,
    outcome: !significant ? "no_difference" : ci[1] < 0 ? "helped" : "worse",
  };
}

/** Totals of one arm over the held-out episodes. */
export interface ArmTotals {
  readonly episodes: number;
  readonly failedEpisodes: number;
  /** Mean episode cost over the episodes that finished (all of them, not only the paired ones). */
  readonly meanCost: number | null;
  readonly violationSteps: number;
  readonly violatingEpisodes: number;
  readonly solverFailures: number;
  readonly fallbacks: number;
}

export function armTotals(eps: readonly ArmEpisode[]): ArmTotals {
  const ok = eps.filter((e) => e.error === undefined && Number.isFinite(e.cost));
  return {
    episodes: eps.length,
    failedEpisodes: eps.length - ok.length,
    meanCost: ok.length > 0 ? mean(ok.map((e) => e.cost)) : null,
    violationSteps: eps.reduce((s, e) => s + e.violationSteps, 0),
    violatingEpisodes: eps.filter((e) => e.violationSteps > 0).length,
    solverFailures: eps.reduce((s, e) => s + e.solverFailures, 0),
    fallbacks: eps.reduce((s, e) => s + e.fallbacks, 0),
  };
}

const sig = (v: number, digits = 4): string => {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e7) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
};
const pct = (v: number): string => `${v > 0 ? "+" : v < 0 ? "-" : ""}${Math.abs(v).toFixed(1)} %`;
const pctPlain = (v: number): string => `${v < 0 ? "-" : ""}${Math.abs(v).toFixed(1)} %`;

/** The plain verdict line (relative figures when the initial mean cost is positive, else absolute). */
export function verdictLine(c: PairedComparison): string {
  const pairs = `${c.n} paired episode${c.n === 1 ? "" : "s"}`;
  const excl = c.excluded > 0 ? `; ${c.excluded} failed and left out` : "";
  if (c.n === 0) return `no verdict: no held-out episode finished for both parameter sets${excl}`;
  const change = c.relativePercent !== null ? pct(c.relativePercent) : `${c.meanDifference! > 0 ? "+" : ""}${sig(c.meanDifference!)}`;
  if (c.n > 1 && c.distinct === 1) {
    return `inconclusive: cost ${change} on one episode: all ${c.n} held-out episodes were identical (a recorded disturbance replayed?), which gives no confidence interval${excl}`;
  }
  if (c.n === 1 || c.ci95 === null) return `inconclusive: cost ${change} on 1 paired episode (no confidence interval from one episode${excl}; use --eval-episodes 2 or more)`;
  const ci =
    c.relativeCi95Percent !== null
      ? `95% CI ${pctPlain(c.relativeCi95Percent[0])} to ${pctPlain(c.relativeCi95Percent[1])}`
      : `95% CI ${sig(c.ci95[0])} to ${sig(c.ci95[1])}`;
  const tail = `(${ci}, ${pairs}${excl})`;
  if (c.outcome === "helped") return `learning helped: cost ${change} ${tail}`;
  if (c.outcome === "worse") return `learning made it worse: cost ${change} ${tail}`;
  if (c.meanDifference === 0 && c.sdDifference === 0) return `no difference: the same cost on every held-out episode (${pairs}${excl})`;
  return `no significant difference: cost ${change} ${tail}`;
}

// ---- learning diagnostics -----------------------------------------------------------------------

/** What the diagnostics read from a run (runtime/run/verdict.ts fills it from the run folder). */
export interface DiagnosticsInput {
  readonly algorithm: string;
  /** Steps of the run. */
  readonly totalSteps: number;
  /** Episodes of the run (exploration schedules step once per episode). */
  readonly episodes: number;
  /** The steps that have a TD error, in order: global step t and |TD error|. */
  readonly td: readonly { readonly t: number; readonly abs: number }[];
  /** Attempted updates, and the reasons of the rejected ones (one entry per rejected update). */
  readonly updatesAttempted: number;
  readonly rejectedReasons: readonly string[];
  /** Each parameter change (params-history.jsonl after its first line): global step t and ||theta_new - theta_old||_2. */
  readonly parameterChanges: readonly { readonly t: number; readonly norm: number }[];
  /** DPG: the policy-gradient norm at each update. */
  readonly policyGradientNorms: readonly { readonly t: number; readonly norm: number }[];
  readonly thetaNames: readonly string[];
  readonly thetaInitial: readonly number[];
  readonly thetaFinal: readonly number[];
  /** Box per theta entry (null or +-Infinity: unbounded). */
  readonly lower: readonly (number | null)[];
  readonly upper: readonly (number | null)[];
  /** The run's exploration setting (settings.exploration) and the first input's box. */
  readonly exploration?: unknown;
  readonly inputLower?: readonly number[];
  readonly inputUpper?: readonly number[];
}

export interface TdTrend {
  readonly count: number;
  /** Mean |TD error| over the first and the last quarter of the steps that have one. */
  readonly firstQuarter: number;
  readonly lastQuarter: number;
  /** lastQuarter / firstQuarter (null when firstQuarter is 0). */
  readonly ratio: number | null;
  /**
   * The global step from which the TD error stays at its final level: the start of the first of
   * (at most 20) equal windows from which every window's mean |TD| is at most TD_LEVEL_BAND times
   * the last quarter's mean (null with fewer than 4 windows).
   */
  readonly settledStep: number | null;
}

export interface SeriesTrend {
  readonly count: number;
  readonly first: number;
  readonly last: number;
  /** Mean over the first and the last quarter of the series (one value when it has fewer than 4). */
  readonly firstQuarter: number;
  readonly lastQuarter: number;
  readonly ratio: number | null;
}

export interface BoundEntry {
  readonly name: string;
  readonly side: "lower" | "upper";
  readonly value: number;
  /** It was already at that bound initially (and there at the end). */
  readonly initially: boolean;
}

export interface ExplorationLevel {
  readonly kind: string;
  /** The perturbation's scale at the start and at the end of the run (epsilon-greedy: the
   *  probability epsilon, with the perturbation `strength`; additive/gradient: sigma; OU: sigma). */
  readonly initial: number | null;
  readonly final: number | null;
  readonly strength?: number;
  /** final scale / width of the narrowest bounded input (null when no input is bounded). */
  readonly relativeToInputRange: number | null;
}

export interface LearningDiagnostics {
  readonly algorithm: string;
  readonly totalSteps: number;
  readonly td: TdTrend | null;
  readonly parameterChanges: SeriesTrend | null;
  readonly policyGradientNorm: SeriesTrend | null;
  readonly updates: { readonly attempted: number; readonly rejected: number; readonly rejectedFraction: number | null; readonly reasons: Readonly<Record<string, number>> };
  readonly parametersChanged: number;
  readonly atBounds: readonly BoundEntry[];
  readonly exploration: ExplorationLevel | null;
}

/** Fewer TD errors than this: no trend. */
export const MIN_TD_FOR_TREND = 8;
/** A window is "at the final level" when its mean |TD| is at most this times the last quarter's. */
export const TD_LEVEL_BAND = 1.25;
/** Windows of the TD series for the settled step. */
export const TD_WINDOWS = 20;
/** Relative distance to a bound (times max(1, |bound|)) that counts as "at the bound". */
export const BOUND_TOL = 1e-9;

function seriesTrend(v: readonly number[]): SeriesTrend | null {
  if (v.length === 0) return null;
  const q = Math.max(1, Math.floor(v.length / 4));
  const fq = mean(v.slice(0, q));
  const lq = mean(v.slice(v.length - q));
  return { count: v.length, first: v[0], last: v[v.length - 1], firstQuarter: fq, lastQuarter: lq, ratio: fq > 0 ? lq / fq : null };
}

function tdTrend(td: readonly { t: number; abs: number }[]): TdTrend | null {
  const n = td.length;
  if (n < MIN_TD_FOR_TREND) return null;
  const q = Math.floor(n / 4);
  const first = mean(td.slice(0, q).map((x) => x.abs));
  const last = mean(td.slice(n - q).map((x) => x.abs));
  const w = Math.min(TD_WINDOWS, Math.floor(n / 2));
  let settledStep: number | null = null;
  if (w >= 4) {
    const size = n / w;
    const means: number[] = [];
    const starts: number[] = [];
    for (let i = 0; i < w; i++) {
      const s = Math.floor(i * size);
      const e = Math.floor((i + 1) * size);
      means.push(mean(td.slice(s, e).map((x) => x.abs)));
      starts.push(td[s].t);
    }
    let k = w;
    while (k > 0 && means[k - 1] <= TD_LEVEL_BAND * last) k--;
    settledStep = k < w ? starts[k] : null;
  }
  return { count: n, firstQuarter: first, lastQuarter: last, ratio: first > 0 ? last / first : null, settledStep };
}

function scheduleValue(v: unknown, k: number): number | null {
  if (typeof v === "number") return v;
  if (typeof v !== "object" || v === null) return null;
  const s = v as { kind?: string; value?: number; factor?: number; end?: number; steps?: number };
  if (typeof s.value !== "number") return null;
  if (s.kind === "exponential" && typeof s.factor === "number") return s.value * Math.pow(s.factor, k);
  if (s.kind === "linear" && typeof s.end === "number" && typeof s.steps === "number") return k >= s.steps ? s.end : s.value + ((s.end - s.value) * k) / s.steps;
  return s.value;
}

/** The exploration's scale at the start and after `episodes` schedule steps (schedules step once per episode). */
export function explorationLevel(spec: unknown, episodes: number, inputLower?: readonly number[], inputUpper?: readonly number[]): ExplorationLevel | null {
  if (typeof spec !== "object" || spec === null) return null;
  const s = spec as { kind?: string; epsilon?: unknown; strength?: number; scale?: unknown; sigma?: number };
  if (typeof s.kind !== "string") return null;
  let initial: number | null = null;
  let final: number | null = null;
  let strength: number | undefined;
  if (s.kind === "none") initial = final = 0;
  else if (s.kind === "epsilon_greedy") {
    initial = scheduleValue(s.epsilon, 0);
    final = scheduleValue(s.epsilon, Math.max(0, episodes - 1));
    strength = s.strength;
  } else if (s.kind === "additive" || s.kind === "gradient") {
    initial = scheduleValue(s.scale, 0);
    final = scheduleValue(s.scale, Math.max(0, episodes - 1));
  } else if (s.kind === "ornstein_uhlenbeck") initial = final = typeof s.sigma === "number" ? s.sigma : null;
  let width = Infinity;
  if (inputLower && inputUpper) for (let i = 0; i < Math.min(inputLower.length, inputUpper.length); i++) {
    const d = inputUpper[i] - inputLower[i];
    if (Number.isFinite(d) && d > 0) width = Math.min(width, d);
  }
  // epsilon-greedy's size is its strength; the others' their scale
  const size = s.kind === "epsilon_greedy" ? (final !== null && strength !== undefined ? final * strength : null) : final;
  return { kind: s.kind, initial, final, ...(strength !== undefined ? { strength } : {}), relativeToInputRange: size !== null && Number.isFinite(width) ? size / width : null };
}

export function learningDiagnostics(input: DiagnosticsInput): LearningDiagnostics {
  const reasons: Record<string, number> = {};
  for (const r of input.rejectedReasons) reasons[r] = (reasons[r] ?? 0) + 1;
  const atBounds: BoundEntry[] = [];
  let changed = 0;
  const fin = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v);
  const near = (x: number, b: number): boolean => Math.abs(x - b) <= BOUND_TOL * Math.max(1, Math.abs(b));
  input.thetaFinal.forEach((x, i) => {
    const x0 = input.thetaInitial[i];
    if (x !== x0) changed++;
    const lo = input.lower[i];
    const hi = input.upper[i];
    const name = input.thetaNames[i] ?? `theta[${i}]`;
    if (fin(lo) && near(x, lo)) atBounds.push({ name, side: "lower", value: x, initially: x0 !== undefined && near(x0, lo) });
    else if (fin(hi) && near(x, hi)) atBounds.push({ name, side: "upper", value: x, initially: x0 !== undefined && near(x0, hi) });
  });
  const rejected = input.rejectedReasons.length;
  return {
    algorithm: input.algorithm,
    totalSteps: input.totalSteps,
    td: tdTrend(input.td),
    parameterChanges: seriesTrend(input.parameterChanges.map((c) => c.norm)),
    policyGradientNorm: seriesTrend(input.policyGradientNorms.map((c) => c.norm)),
    updates: { attempted: input.updatesAttempted, rejected, rejectedFraction: input.updatesAttempted > 0 ? rejected / input.updatesAttempted : null, reasons },
    parametersChanged: changed,
    atBounds,
    exploration: explorationLevel(input.exploration, input.episodes, input.inputLower, input.inputUpper),
  };
}

// ---- hints: explicit rules over the numbers ------------------------------------------------------

/** td_flat: the last quarter's mean |TD| is at least this fraction of the first quarter's (it fell by at most 20 %). */
export const TD_FLAT_RATIO = 0.8;
/** td_rising: the last quarter's mean |TD| exceeds the first quarter's by this factor. */
export const TD_RISING_RATIO = 1.25;
/** td_settled_early: the TD error settled within this fraction of the run (and learning helped). */
export const EARLY_FRACTION = 0.25;
/** updates_vanished / gradient_vanished: the last quarter's mean is below this fraction of the first quarter's. */
export const VANISHED_RATIO = 0.01;
/** rejected_many: at least this fraction of the attempted updates was rejected. */
export const REJECTED_FRACTION = 0.1;
/** wide_interval: no significant difference and the interval's half-width exceeds this many percent of the initial cost. */
export const WIDE_CI_PERCENT = 5;

export interface Hint {
  /** The rule that fired (docs/training.md lists them). */
  readonly rule: string;
  readonly text: string;
}

export interface VerdictEvaluation {
  readonly comparison: PairedComparison;
  readonly initial: ArmTotals;
  readonly learned: ArmTotals;
}

const list = (names: readonly string[], max = 4): string => (names.length <= max ? names.join(", ") : `${names.slice(0, max).join(", ")} and ${names.length - max} more`);

/**
 * The hints, in this order, each from its rule (thresholds above; docs/training.md "Hints"):
 * eval_failures, identical_episodes, single_episode, worse, violations_up, no_updates, params_unchanged,
 * rejected_many, at_bounds, td_noise_level, td_rising, td_settled_early, updates_vanished,
 * gradient_vanished, wide_interval. `ev` absent (--no-eval): only the rules on the run's numbers.
 */
export function verdictHints(d: LearningDiagnostics, ev?: VerdictEvaluation): Hint[] {
  const hints: Hint[] = [];
  const c = ev?.comparison;
  const learns = d.algorithm !== "evaluation";
  if (ev && (ev.initial.failedEpisodes > 0 || ev.learned.failedEpisodes > 0)) {
    hints.push({
      rule: "eval_failures",
      text: `${ev.initial.failedEpisodes} held-out episode(s) failed with the initial parameters and ${ev.learned.failedEpisodes} with the learned ones; their pairs are left out of the comparison`,
    });
  }
  if (ev && (ev.initial.solverFailures > 0 || ev.learned.solverFailures > 0) && ev.learned.solverFailures > ev.initial.solverFailures) {
    hints.push({
      rule: "eval_failures",
      text: `the MPC failed to solve on ${ev.learned.solverFailures} held-out step(s) with the learned parameters against ${ev.initial.solverFailures} with the initial ones (the fallback input was applied)`,
    });
  }
  if (c && c.n > 1 && c.distinct === 1) {
    hints.push({
      rule: "identical_episodes",
      text: `all ${c.n} held-out episodes gave the same costs: the plant is deterministic across seeds (a replayed disturbance and a fixed initial state); the comparison holds for that one sequence only`,
    });
  }
  if (c && c.n === 1) hints.push({ rule: "single_episode", text: "one paired episode gives no confidence interval: evaluate on 2 or more (--eval-episodes), 10 for a useful interval" });
  if (c?.outcome === "worse") {
    hints.push({
      rule: "worse",
      text: `the learned parameters cost ${c.relativePercent !== null ? `${c.relativePercent.toFixed(1)} %` : sig(c.meanDifference!)} more than the initial ones on held-out episodes: keep the initial parameters, or lower the learning rate / add a trust_region and train again`,
    });
  }
  if (ev && ev.learned.violationSteps > ev.initial.violationSteps) {
    hints.push({
      rule: "violations_up",
      text: `the learned controller violates the plant's constraints on ${ev.learned.violationSteps} held-out step(s), the initial one on ${ev.initial.violationSteps}: the learned parameters trade safety for cost`,
    });
  }
  // Bayesian optimization marks no step as an update (each episode is one evaluation)
  if (learns && d.updates.attempted === 0 && d.algorithm !== "bayesopt") {
    hints.push({ rule: "no_updates", text: `no parameter update was attempted in ${d.totalSteps} steps: the run is shorter than the update period (\`update every\`, \`rollout_length\`) or the learner never had data` });
  } else if (learns && d.parametersChanged === 0 && d.algorithm !== "bayesopt") {
    hints.push({ rule: "params_unchanged", text: `${d.updates.attempted} update(s) were attempted but the final parameters equal the initial ones` });
  }
  const u = d.updates;
  if (u.attempted > 0 && u.rejected > 0 && u.rejected >= REJECTED_FRACTION * u.attempted) {
    const top = Object.entries(u.reasons).sort((x, y) => y[1] - x[1])[0];
    hints.push({
      rule: "rejected_many",
      text: `${u.rejected} of ${u.attempted} updates (${((100 * u.rejected) / u.attempted).toFixed(0)} %) were rejected (most often: ${top[0]}): lower the learning rate or add a trust_region`,
    });
  }
  if (d.atBounds.length > 0) {
    const stayed = d.atBounds.filter((b) => b.initially).length;
    const names = d.atBounds.map((b) => `${b.name} at its ${b.side} bound`);
    hints.push({
      rule: "at_bounds",
      text:
        `${d.atBounds.length} parameter entr${d.atBounds.length === 1 ? "y" : "ies"} ended at their bounds (${list(names)}${stayed > 0 ? `; ${stayed} of them started there` : ""}): ` +
        `the boxes limit what learning can reach; widen them where the checker still proves the MPC convex`,
    });
  }
  const td = d.td;
  const helped = c?.outcome === "helped";
  if (td && td.ratio !== null && td.ratio >= TD_FLAT_RATIO && td.ratio <= TD_RISING_RATIO && !helped && c?.outcome !== "worse") {
    const from = td.settledStep !== null ? ` from step ${td.settledStep}` : "";
    const gain = c === undefined ? "" : c.outcome === "inconclusive" ? " and the held-out comparison is inconclusive" : " and the held-out cost did not improve significantly";
    hints.push({
      rule: "td_noise_level",
      text:
        `the mean |TD error| is at its noise level (${sig(td.lastQuarter)})${from}: it fell only from ${sig(td.firstQuarter)} (first quarter) to ${sig(td.lastQuarter)} (last quarter)${gain}; ` +
        `the initial controller is already near-optimal for this cost, or the learnable parameters cannot express a better one`,
    });
  }
  if (td && td.ratio !== null && td.ratio > TD_RISING_RATIO) {
    hints.push({
      rule: "td_rising",
      text: `the mean |TD error| grew from ${sig(td.firstQuarter)} (first quarter) to ${sig(td.lastQuarter)} (last quarter): the learning rate may be too large, or the states visited moved away from where learning started`,
    });
  }
  if (td && helped && td.settledStep !== null && td.settledStep > 0 && td.settledStep <= EARLY_FRACTION * d.totalSteps) {
    hints.push({
      rule: "td_settled_early",
      text: `the TD error reached its final level (${sig(td.lastQuarter)}) by step ${td.settledStep}, ${((100 * td.settledStep) / Math.max(1, d.totalSteps)).toFixed(0)} % into the run: a shorter run would likely learn as much`,
    });
  }
  const pc = d.parameterChanges;
  if (pc && pc.count >= 4 && pc.ratio !== null && pc.ratio < VANISHED_RATIO) {
    hints.push({
      rule: "updates_vanished",
      text: `parameter changes shrank to ${(100 * pc.ratio).toPrecision(2)} % of their early size (mean step ${sig(pc.firstQuarter)} in the first quarter of the changes, ${sig(pc.lastQuarter)} in the last): learning has converged, or the learning-rate schedule has decayed`,
    });
  }
  const g = d.policyGradientNorm;
  if (g && g.count >= 4 && g.ratio !== null && g.ratio < VANISHED_RATIO) {
    hints.push({
      rule: "gradient_vanished",
      text: `the policy-gradient norm fell to ${(100 * g.ratio).toPrecision(2)} % of its early size (${sig(g.firstQuarter)} to ${sig(g.lastQuarter)}): a stationary point of the policy's cost for these parameters`,
    });
  }
  if (c && c.outcome === "no_difference" && c.relativeCi95Percent !== null) {
    const half = (c.relativeCi95Percent[1] - c.relativeCi95Percent[0]) / 2;
    if (half > WIDE_CI_PERCENT) {
      hints.push({
        rule: "wide_interval",
        text: `the 95% interval is +-${half.toFixed(1)} % of the initial cost wide with ${c.n} paired episodes: a smaller effect cannot be seen; more held-out episodes (--eval-episodes) narrow it roughly as 1/sqrt(n)`,
      });
    }
  }
  return hints;
}

// ---- the verdict record --------------------------------------------------------------------------

export interface VerdictEpisode {
  readonly episode: number;
  /** The plant's reset seed of the episode (the same for both parameter sets). */
  readonly plantSeed: number;
  readonly initial: ArmEpisode;
  readonly learned: ArmEpisode;
}

export interface EvaluationProtocol {
  readonly episodes: number;
  readonly steps: number;
  readonly seed: number;
  /** Where episodes/steps/seed came from: flags, the train block's study `evaluate`, defaults. */
  readonly source: string;
}

/** `--eval-episodes`, `--eval-steps`, `--eval-seed` as given (absent: the defaults of `verdictProtocol`). */
export interface VerdictRequest {
  readonly episodes?: number;
  readonly steps?: number;
  readonly seed?: number;
}

/** Default held-out episodes of the verdict. */
export const DEFAULT_EVAL_EPISODES = 10;
/** Default cap of the held-out episodes' length (the training's episode length, at most this). */
export const DEFAULT_EVAL_STEPS_CAP = 1000;
/** Default held-out seed (the same as `mpcrl study`'s `evaluate`, language/check/study.ts); 1001 when the training's seed is 1000. */
export const DEFAULT_EVAL_SEED = 1000;

/** The held-out protocol: flags, else 10 episodes of the training's episode length (at most 1000 steps), seed 1000. */
export function verdictProtocol(req: VerdictRequest, trainingSteps: number, trainingSeed: number): { protocol: EvaluationProtocol; notes: string[] } {
  const notes: string[] = [];
  const seed = req.seed ?? (trainingSeed === DEFAULT_EVAL_SEED ? DEFAULT_EVAL_SEED + 1 : DEFAULT_EVAL_SEED);
  if (seed === trainingSeed) notes.push(`--eval-seed ${seed} is the training's seed: the evaluation episodes are the training's own episodes, not held out`);
  const given = [req.episodes !== undefined ? "--eval-episodes" : "", req.steps !== undefined ? "--eval-steps" : "", req.seed !== undefined ? "--eval-seed" : ""].filter((x) => x);
  return {
    protocol: {
      episodes: req.episodes ?? DEFAULT_EVAL_EPISODES,
      steps: req.steps ?? Math.min(trainingSteps, DEFAULT_EVAL_STEPS_CAP),
      seed,
      source: given.length === 0 ? "defaults" : given.length === 3 ? "flags" : `flags (${given.join(", ")}), defaults for the rest`,
    },
    notes,
  };
}

export interface Verdict {
  readonly version: 1;
  readonly line: string;
  readonly outcome: PairedComparison["outcome"];
  readonly evaluation: EvaluationProtocol;
  readonly initial: ArmTotals;
  readonly learned: ArmTotals;
  readonly comparison: PairedComparison;
  readonly episodes: readonly VerdictEpisode[];
  readonly diagnostics: LearningDiagnostics;
  readonly hints: readonly Hint[];
  readonly notes: readonly string[];
}

export function buildVerdict(protocol: EvaluationProtocol, episodes: readonly VerdictEpisode[], diagnostics: LearningDiagnostics, notes: readonly string[] = []): Verdict {
  const initial = episodes.map((e) => e.initial);
  const learned = episodes.map((e) => e.learned);
  const comparison = pairedComparison(initial, learned);
  const ev: VerdictEvaluation = { comparison, initial: armTotals(initial), learned: armTotals(learned) };
  return {
    version: 1,
    line: verdictLine(comparison),
    outcome: comparison.outcome,
    evaluation: protocol,
    initial: ev.initial,
    learned: ev.learned,
    comparison,
    episodes,
    diagnostics,
    hints: verdictHints(diagnostics, ev),
    notes,
  };
}

/** The diagnostics as labelled text lines ([label, text]), for the CLI's summary and the report. */
export function diagnosticsLines(d: LearningDiagnostics): [string, string][] {
  const rows: [string, string][] = [];
  const td = d.td;
  if (td) {
    rows.push([
      "TD error",
      `mean |TD| ${sig(td.firstQuarter)} in the first quarter, ${sig(td.lastQuarter)} in the last (ratio ${td.ratio === null ? "none" : sig(td.ratio, 3)})` +
        (td.settledStep !== null ? `, at its final level from step ${td.settledStep}` : ""),
    ]);
  }
  const pc = d.parameterChanges;
  if (pc) rows.push(["parameter changes", `${pc.count}, mean step ${sig(pc.firstQuarter)} in the first quarter, ${sig(pc.lastQuarter)} in the last (ratio ${pc.ratio === null ? "none" : sig(pc.ratio, 3)})`]);
  const g = d.policyGradientNorm;
  if (g) rows.push(["policy gradient norm", `${g.count} updates, ${sig(g.firstQuarter)} in the first quarter, ${sig(g.lastQuarter)} in the last`]);
  const u = d.updates;
  rows.push(["updates", `${u.attempted} attempted, ${u.rejected} rejected${u.rejected > 0 ? ` (${Object.entries(u.reasons).map(([r, k]) => `${k}x ${r}`).join("; ")})` : ""}`]);
  rows.push(["at their bounds", d.atBounds.length === 0 ? "none" : list(d.atBounds.map((b) => `${b.name} (${b.side})`), 6)]);
  const e = d.exploration;
  if (e) {
    const lvl = e.kind === "none" ? "none" : `${e.kind}, ${e.initial === null ? "?" : sig(e.initial)} at the start, ${e.final === null ? "?" : sig(e.final)} at the end${e.strength !== undefined ? ` (strength ${sig(e.strength)})` : ""}`;
    rows.push(["exploration", lvl + (e.relativeToInputRange !== null && e.kind !== "none" ? `; ${(100 * e.relativeToInputRange).toPrecision(2)} % of the input range` : "")]);
  }
  return rows;
}

/** The comparison as labelled text lines ([label, text]). */
export function comparisonLines(v: Verdict): [string, string][] {
  const c = v.comparison;
  const p = v.evaluation;
  const f = (x: number | null): string => (x === null ? "none" : sig(x));
  const rows: [string, string][] = [
    ["held-out episodes", `${p.episodes} x ${p.steps} steps, seed ${p.seed} (${p.source}); the same episodes for both parameter sets`],
    ["mean episode cost", `initial ${f(v.initial.meanCost)}, learned ${f(v.learned.meanCost)}`],
  ];
  if (c.meanDifference !== null) {
    const none = c.n > 1 && c.distinct === 1 ? " (no interval: the episodes were identical)" : " (no interval: one pair)";
    const ci = c.ci95 ? `, 95% CI ${sig(c.ci95[0])} to ${sig(c.ci95[1])} (t_0.975,${c.df} = ${c.tQuantile!.toFixed(3)}, sd ${sig(c.sdDifference!)})` : none;
    rows.push(["learned - initial", `${sig(c.meanDifference)}${c.relativePercent !== null ? ` (${pct(c.relativePercent)})` : ""}${ci}; ${c.significant === null ? "significance unknown" : c.significant ? "significant" : "not significant"}`]);
  }
  rows.push(["violating steps", `initial ${v.initial.violationSteps} (${v.initial.violatingEpisodes} episodes), learned ${v.learned.violationSteps} (${v.learned.violatingEpisodes} episodes)`]);
  rows.push(["solver failures", `initial ${v.initial.solverFailures}, learned ${v.learned.solverFailures}; failed episodes: initial ${v.initial.failedEpisodes}, learned ${v.learned.failedEpisodes}`]);
  return rows;
}
