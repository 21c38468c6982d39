// The `study` block of a train block (docs/studies.md): which settings, learnable initial values and
// constants vary over a grid or a random range, the seeds, and the evaluation protocol. Validates
// it (codes MPC5013-MPC5016) and, for the compiler's expansion (compiler/study.ts), describes it as
// plain data with the text edits that turn the spec into one trial's spec. Pure, never throws.

import type { Expr, Setting, TrainBlock } from "../ast.js";
import type { Span } from "../diagnostics.js";
import type { Ctx, Sym } from "./context.js";
import { evalExpr } from "./const_eval.js";
import { declaredInterval } from "./interval.js";
import { mostSimilar } from "./similar.js";
import { TRAIN_SETTINGS, type ArgSpec, type CallSpec, type NumSpec, type SettingSpec } from "./train.js";

/** What a study axis changes. */
export type StudyTarget =
  | { readonly kind: "setting"; readonly key: string; readonly param?: string }
  | { readonly kind: "learnable"; readonly name: string }
  | { readonly kind: "const"; readonly name: string };

/** One value of a grid: its JSON form (number, nested arrays, or the source text of a word or call). */
export type StudyValue = number | string | StudyValue[];

/** Where a value goes in the spec text: replace [start, end), or insert `prefix value suffix` at `at`. */
export type StudySite = { readonly kind: "replace"; readonly start: number; readonly end: number } | { readonly kind: "insert"; readonly at: number; readonly prefix: string; readonly suffix: string };

export interface StudyAxis {
  /** `optimizer.lr`, `trust_region`, `learnable V0`, `const w`. */
  readonly label: string;
  readonly target: StudyTarget;
  readonly site: StudySite;
  readonly grid?: readonly StudyValue[];
  readonly random?: { readonly dist: "uniform" | "log_uniform"; readonly lo: number; readonly hi: number; readonly integer: boolean };
}

export interface StudyEvaluation {
  readonly episodes: number;
  /** Steps per evaluation episode; absent: the training's steps per episode. */
  readonly steps?: number;
  readonly seed: number;
}

export interface StudyPlan {
  readonly axes: readonly StudyAxis[];
  /** Random draws per grid point (1 without random axes). */
  readonly samples: number;
  readonly seeds: readonly number[];
  readonly evaluation: StudyEvaluation;
  /** `search bayesopt rounds R batch Q`: after the `samples` random draws, R rounds of Q configurations
   *  proposed by Bayesian optimization (absent: every configuration up front). */
  readonly search?: { readonly kind: "bayesopt"; readonly rounds: number; readonly batch: number };
  /** The `study { ... }` setting's span: removed from every trial's spec. */
  readonly span: Span;
}

export const STUDY_ENTRIES: readonly { readonly key: string; readonly example: string; readonly doc: string }[] = [
  { key: "grid", example: "grid optimizer lr in [1e-2, 5e-2, 1e-1]", doc: "Every value of the list, crossed with the other grids." },
  { key: "random", example: "random exploration epsilon in log_uniform(0.01, 0.5)", doc: "`samples` random draws from `uniform(lo, hi)` or `log_uniform(lo, hi)` (integers for integer settings)." },
  { key: "samples", example: "samples 8", doc: "Random draws per grid point (needed with `random`)." },
  { key: "search", example: "search bayesopt rounds 4 batch 4", doc: "`search bayesopt rounds R batch Q`: after the `samples` random draws (the initial design), R rounds of Q configurations proposed by Bayesian optimization over the `random` ranges (a Gaussian process of the median evaluation cost, Q points per round by constant liar, so every worker is busy); `search grid` (the default) samples every configuration up front." },
  { key: "seeds", example: "seeds 10", doc: "Training seeds of every configuration: `seeds N` is 1..N, `seeds [3, 7]` a list (default: the train block's seed)." },
  { key: "evaluate", example: "evaluate episodes 5 steps 1000 seed 1000", doc: "Held-out evaluation of each trial's final parameters: episodes, steps per episode (default: training's) and seed (default 1000), the same for every trial." },
];

const DEFAULT_EVAL_SEED = 1000;
const MAX_TRIALS = 100_000;

type Extra = { label?: string; help?: string; related?: { span: Span; label: string }[] };

class StudyChecker {
  private ok = true;
  constructor(
    private readonly ctx: Ctx,
    private readonly report: boolean,
  ) {}

  err(code: "MPC5013" | "MPC5014" | "MPC5015" | "MPC5016", message: string, span: Span, extra: Extra = {}): void {
    this.ok = false;
    if (this.report) this.ctx.report({ severity: "error", code, message, span, ...extra });
  }

  warn(message: string, span: Span, extra: Extra = {}): void {
    if (this.report) this.ctx.report({ severity: "warning", code: "MPC5008", message, span, tags: ["unnecessary"], ...extra });
  }

  num(e: Expr): number | undefined {
    const v = evalExpr(this.ctx, e);
    return v && v.rows * v.cols === 1 && Number.isFinite(v.data[0]) ? v.data[0] : undefined;
  }

  /** A value as JSON: a number, a matrix as nested rows (a vector as a flat list), else undefined. */
  matValue(e: Expr): { value: StudyValue; rows: number; cols: number } | undefined {
    const v = evalExpr(this.ctx, e);
    if (!v || !v.data.every(Number.isFinite)) return undefined;
    if (v.rows * v.cols === 1) return { value: v.data[0], rows: 1, cols: 1 };
    if (v.rows === 1 || v.cols === 1) return { value: [...v.data], rows: v.rows, cols: v.cols };
    return { value: Array.from({ length: v.rows }, (_, i) => v.data.slice(i * v.cols, (i + 1) * v.cols)), rows: v.rows, cols: v.cols };
  }

  inDomain(spec: NumSpec, x: number): string | undefined {
    if (spec.integer && !Number.isInteger(x)) return "an integer";
    const below = spec.min !== undefined && (spec.minExclusive ? x <= spec.min : x < spec.min);
    const above = spec.max !== undefined && x > spec.max;
    if (!below && !above) return undefined;
    return spec.max !== undefined ? `in ${spec.minExclusive ? "(" : "["}${spec.min ?? "-inf"}, ${spec.max}]` : `${spec.minExclusive ? ">" : ">="} ${spec.min}`;
  }

  checkNum(spec: NumSpec, e: Expr, label: string): number | undefined {
    const x = this.num(e);
    if (x === undefined) {
      this.err("MPC5015", `\`${label}\` takes numbers, found \`${this.ctx.src(e.span)}\``, e.span, { label: "not a number" });
      return undefined;
    }
    const need = this.inDomain(spec, x);
    if (need) {
      this.err("MPC5015", `\`${label}\` must be ${need}, found ${x}`, e.span, { label: "outside the setting's domain" });
      return undefined;
    }
    return x;
  }

  /** A whole call value of a call setting (`newton(lr = 0.1)`): variant and parameters checked. */
  checkCallValue(spec: CallSpec, e: Expr, label: string): StudyValue | undefined {
    const name = e.kind === "Call" ? e.callee.name : e.kind === "Name" ? e.name : undefined;
    const variant = spec.variants.find((v) => v.name === name);
    if (!variant) {
      const s = name ? mostSimilar(name, spec.variants.map((v) => v.name)) : undefined;
      this.err("MPC5015", `\`${label}\` takes ${spec.variants.map((v) => `\`${v.name}(...)\``).join(", ")}, found \`${this.ctx.src(e.span)}\``, e.span, {
        label: "not a variant",
        ...(s ? { help: `did you mean \`${s}\`?` } : {}),
      });
      return undefined;
    }
    const given = new Set<string>();
    let ok = true;
    (e.kind === "Call" ? e.args : []).forEach((a, i) => {
      const p = a.name ? variant.params.find((q) => q.name === a.name!.name) : variant.params[i];
      if (!p) {
        this.err("MPC5015", `\`${variant.name}\` has no parameter ${a.name ? `\`${a.name.name}\`` : i + 1}`, a.span, { help: `the parameters are ${variant.params.map((q) => `\`${q.name}\``).join(", ")}` });
        ok = false;
        return;
      }
      given.add(p.name);
      if (this.checkNum(p, a.value, `${label}.${p.name}`) === undefined) ok = false;
    });
    for (const p of variant.params)
      if (!p.optional && !given.has(p.name)) {
        this.err("MPC5015", `\`${variant.name}\` needs \`${p.name}\``, e.span, { label: `missing \`${p.name}\`` });
        ok = false;
      }
    return ok ? this.ctx.src(e.span) : undefined;
  }

  /** The train block's setting `key` (top level or nested in `algorithm { }`). */
  findSetting(t: TrainBlock, key: string): Setting | undefined {
    for (const s of t.settings) {
      if (s.key.name === key) return s;
      for (const n of s.block ?? []) if (n.key.name === key && s.key.name !== "study") return n;
    }
    return undefined;
  }

  check(t: TrainBlock, study: Setting): StudyPlan | undefined {
    if (study.args.length > 0) this.err("MPC5016", "`study` takes no arguments, only a `{ ... }` block", study.args[0].span, { help: "write `study { grid ... }`" });
    if (!study.block) {
      this.err("MPC5016", "`study` needs a `{ ... }` block", study.key.span, { help: `write e.g. \`study { ${STUDY_ENTRIES[0].example} }\`` });
      return undefined;
    }
    const axes: StudyAxis[] = [];
    const byLabel = new Map<string, Span>();
    const seen = new Map<string, Span>();
    let samples: number | undefined;
    let samplesSpan: Span | undefined;
    let seeds: number[] | undefined;
    let evaluation: StudyEvaluation = { episodes: 1, seed: DEFAULT_EVAL_SEED };
    let search: StudyPlan["search"];
    let searchSpan: Span | undefined;
    for (const e of study.block) {
      const key = e.key.name;
      if (e.block) this.err("MPC5016", `\`${key}\` takes no nested block`, e.key.span);
      if (key !== "grid" && key !== "random") {
        const prior = seen.get(key);
        if (prior) this.err("MPC5016", `\`${key}\` is given twice in the study`, e.key.span, { related: [{ span: prior, label: "first given here" }] });
        seen.set(key, e.key.span);
      }
      switch (key) {
        case "grid":
        case "random": {
          const axis = this.axis(t, e, key);
          if (!axis) break;
          const prior = byLabel.get(axis.label);
          if (prior) {
            this.err("MPC5016", `\`${axis.label}\` is varied twice`, e.key.span, { related: [{ span: prior, label: "first varied here" }], help: "list all its values in one `grid`, or use one `random`" });
            break;
          }
          const whole = axis.target.kind === "setting" ? axis.target.key : undefined;
          const clash = whole === undefined ? undefined : [...byLabel.entries()].find(([l]) => l === whole || l.startsWith(`${whole}.`) || axis.label.startsWith(`${l}.`));
          if (clash) {
            this.err("MPC5016", `\`${axis.label}\` and \`${clash[0]}\` vary the same setting`, e.key.span, { related: [{ span: clash[1], label: "varied here" }], help: "vary the whole setting or its parameters, not both" });
            break;
          }
          byLabel.set(axis.label, e.key.span);
          axes.push(axis);
          break;
        }
        case "samples": {
          const x = e.args.length === 1 ? this.num(e.args[0]) : undefined;
          if (x === undefined || !Number.isInteger(x) || x < 1) this.err("MPC5014", "`samples` takes one positive integer", e.span, { help: "write e.g. `samples 8`" });
          else {
            samples = x;
            samplesSpan = e.key.span;
          }
          break;
        }
        case "seeds":
          seeds = this.seeds(e);
          break;
        case "search":
          search = this.search(e);
          searchSpan = e.key.span;
          break;
        case "evaluate": {
          const ev = this.evaluate(e);
          if (ev) evaluation = ev;
          break;
        }
        default: {
          const s = mostSimilar(key, STUDY_ENTRIES.map((x) => x.key));
          this.err("MPC5013", `unknown study entry \`${key}\``, e.key.span, {
            label: "not a study entry",
            help: s ? `did you mean \`${s}\`?` : `a study holds ${STUDY_ENTRIES.map((x) => `\`${x.key}\``).join(", ")}`,
          });
        }
      }
    }
    const hasRandom = axes.some((a) => a.random);
    const randomEntry = study.block.some((e) => e.key.name === "random");
    if (hasRandom && samples === undefined) {
      const r = study.block.find((e) => e.key.name === "random")!;
      this.err("MPC5016", "`random` needs `samples` in the study", r.key.span, { label: "how many draws?", help: "add e.g. `samples 8` (random draws per grid point)" });
    }
    if (!randomEntry && samples !== undefined && samplesSpan) this.warn("`samples` has no effect without a `random` entry", samplesSpan, { label: "ignored" });
    if (search && searchSpan) {
      const g = study.block.find((e) => e.key.name === "grid");
      if (g) this.err("MPC5016", "`search bayesopt` searches `random` ranges only", g.key.span, { label: "a grid", related: [{ span: searchSpan, label: "Bayesian optimization here" }], help: "write the values' range as `random ... in uniform(lo, hi)`, or drop `search bayesopt`" });
      else if (!randomEntry) this.err("MPC5016", "`search bayesopt` needs `random` ranges to search", searchSpan, { help: `add e.g. \`${STUDY_ENTRIES[1].example}\`` });
    }
    const seedSetting = this.findSetting(t, "seed");
    const trainSeed = seedSetting?.args[0] ? this.num(seedSetting.args[0]) : undefined;
    const finalSeeds = seeds ?? [trainSeed ?? 0];
    const k = hasRandom ? (samples ?? 1) : 1;
    const configs = axes.reduce((n, a) => n * (a.grid?.length ?? 1), k) + (search ? search.rounds * search.batch : 0);
    if (configs * finalSeeds.length > MAX_TRIALS)
      this.err("MPC5014", `the study has ${configs * finalSeeds.length} trials, more than ${MAX_TRIALS}`, study.key.span, { help: "use fewer grid values, samples or seeds" });
    if (!this.ok) return undefined;
    return { axes, samples: k, seeds: finalSeeds, evaluation, ...(search ? { search } : {}), span: study.span };
  }

  seeds(e: Setting): number[] | undefined {
    const a = e.args[0];
    if (e.args.length !== 1 || !a) {
      this.err("MPC5014", "`seeds` takes a count or a list", e.span, { help: "write `seeds 10` (seeds 1..10) or `seeds [3, 5, 8]`" });
      return undefined;
    }
    if (a.kind === "Array") {
      const xs = a.rows.flat();
      if (xs.length === 0) {
        this.err("MPC5014", "the list of seeds is empty", a.span, { label: "no seeds" });
        return undefined;
      }
      const out: number[] = [];
      for (const x of xs) {
        const v = this.num(x);
        // (a seed is a flag's integer: exact in a double, at most 2^53 - 1, as `--seed` takes)
        if (v === undefined || !Number.isSafeInteger(v) || v < 0) {
          this.err("MPC5015", `a seed must be a non-negative integer of at most 2^53 - 1, found \`${this.ctx.src(x.span)}\``, x.span, { label: "not a seed" });
          return undefined;
        }
        if (out.includes(v)) {
          this.err("MPC5014", `seed ${v} is listed twice`, x.span, { label: "repeated" });
          return undefined;
        }
        out.push(v);
      }
      return out;
    }
    const n = this.num(a);
    if (n === undefined || !Number.isInteger(n) || n < 1) {
      this.err("MPC5014", `\`seeds N\` needs a positive integer, found \`${this.ctx.src(a.span)}\``, a.span, { label: "empty range", help: "`seeds 10` runs seeds 1..10" });
      return undefined;
    }
    // (checked before the list is made: `seeds 1000000000` ran the checker out of memory)
    if (n > MAX_TRIALS) {
      this.err("MPC5014", `\`seeds ${n}\` alone makes more than ${MAX_TRIALS} trials`, a.span, { label: "too many seeds", help: "use fewer seeds (e.g. `seeds 10`)" });
      return undefined;
    }
    return Array.from({ length: n }, (_, i) => i + 1);
  }

  search(e: Setting): StudyPlan["search"] {
    const kind = e.args[0]?.kind === "Name" ? e.args[0].name : undefined;
    if (kind === "grid" && e.args.length === 1) return undefined;
    const bad = (): undefined => {
      this.err("MPC5016", "`search` is `search grid` or `search bayesopt rounds R batch Q`", e.span, { label: "malformed", help: `write e.g. \`${STUDY_ENTRIES[3].example}\`` });
      return undefined;
    };
    if (kind !== "bayesopt") return bad();
    let rounds: number | undefined;
    let batch: number | undefined;
    for (let i = 1; i < e.args.length; i += 2) {
      const w = e.args[i];
      const v = e.args[i + 1];
      const name = w.kind === "Name" ? w.name : undefined;
      if ((name !== "rounds" && name !== "batch") || !v) return bad();
      const x = this.num(v);
      if (x === undefined || !Number.isInteger(x) || x < 1) {
        this.err("MPC5015", `\`search ${name}\` must be a positive integer, found \`${this.ctx.src(v.span)}\``, v.span, { label: "outside the domain" });
        return undefined;
      }
      if (name === "rounds") rounds = x;
      else batch = x;
    }
    if (rounds === undefined || batch === undefined) return bad();
    return { kind: "bayesopt", rounds, batch };
  }

  evaluate(e: Setting): StudyEvaluation | undefined {
    let episodes = 1;
    let steps: number | undefined;
    let seed = DEFAULT_EVAL_SEED;
    const words = ["episodes", "steps", "seed"];
    for (let i = 0; i < e.args.length; i += 2) {
      const w = e.args[i];
      const v = e.args[i + 1];
      const name = w.kind === "Name" ? w.name : undefined;
      if (!name || !words.includes(name) || !v) {
        this.err("MPC5016", "`evaluate` takes `episodes N`, `steps N` and `seed N`", w.span, { label: "unexpected", help: `write e.g. \`${STUDY_ENTRIES[5].example}\`` });
        return undefined;
      }
      const x = this.num(v);
      const min = name === "seed" ? 0 : 1;
      if (x === undefined || !Number.isInteger(x) || x < min) {
        this.err("MPC5015", `\`evaluate ${name}\` must be ${min === 0 ? "a non-negative" : "a positive"} integer, found \`${this.ctx.src(v.span)}\``, v.span, { label: "outside the domain" });
        return undefined;
      }
      if (name === "episodes") episodes = x;
      else if (name === "steps") steps = x;
      else seed = x;
    }
    return { episodes, ...(steps !== undefined ? { steps } : {}), seed };
  }

  /** `grid <target> in [values]` / `random <target> in uniform(lo, hi)`. */
  axis(t: TrainBlock, e: Setting, key: "grid" | "random"): StudyAxis | undefined {
    const inAt = e.args.findIndex((a) => a.kind === "Name" && a.name === "in");
    const words = (inAt < 0 ? e.args : e.args.slice(0, inAt)).map((a) => (a.kind === "Name" ? a.name : undefined));
    const valueExpr = inAt >= 0 ? e.args[inAt + 1] : undefined;
    const example = key === "grid" ? STUDY_ENTRIES[0].example : STUDY_ENTRIES[1].example;
    if (inAt < 0 || !valueExpr || e.args.length !== inAt + 2 || words.length === 0 || words.some((w) => w === undefined)) {
      this.err("MPC5016", `\`${key}\` is \`${key} <setting> [<parameter>] in ${key === "grid" ? "[values]" : "uniform(lo, hi)"}\``, e.span, { label: "malformed", help: `write e.g. \`${example}\`` });
      return undefined;
    }
    const target = this.target(t, e, words as string[]);
    if (!target) return undefined;
    if (key === "grid") {
      if (valueExpr.kind !== "Array" || valueExpr.rows.length > 1) {
        this.err("MPC5016", "`grid` takes a list of values in `[ ]`", valueExpr.span, { label: "not a list", help: `write e.g. \`${example}\`` });
        return undefined;
      }
      const elems = valueExpr.rows.flat();
      if (elems.length === 0) {
        this.err("MPC5014", `the grid of \`${target.label}\` is empty`, valueExpr.span, { label: "no values" });
        return undefined;
      }
      const values: StudyValue[] = [];
      for (const x of elems) {
        const v = target.value(x);
        if (v === undefined) return undefined;
        values.push(v);
      }
      return { label: target.label, target: target.target, site: target.site, grid: values };
    }
    // random
    const dist = valueExpr.kind === "Call" ? valueExpr.callee.name : undefined;
    if (valueExpr.kind !== "Call" || (dist !== "uniform" && dist !== "log_uniform") || valueExpr.args.length !== 2 || valueExpr.args.some((a) => a.name)) {
      this.err("MPC5016", "`random` takes `uniform(lo, hi)` or `log_uniform(lo, hi)`", valueExpr.span, { label: "not a range", help: `write e.g. \`${example}\`` });
      return undefined;
    }
    if (!target.numeric) {
      this.err("MPC5014", `\`${target.label}\` is not a number: vary it with \`grid ${target.label.replace(".", " ")} in [...]\``, valueExpr.span, { label: "no numeric range" });
      return undefined;
    }
    const lo = target.value(valueExpr.args[0].value);
    const hi = target.value(valueExpr.args[1].value);
    if (typeof lo !== "number" || typeof hi !== "number") return undefined;
    if (!(lo < hi)) {
      this.err("MPC5014", `the range [${lo}, ${hi}] of \`${target.label}\` is empty`, valueExpr.span, { label: "lo must be below hi" });
      return undefined;
    }
    if (dist === "log_uniform" && lo <= 0) {
      this.err("MPC5014", `\`log_uniform\` needs lo > 0, found ${lo}`, valueExpr.args[0].span, { label: "not positive", help: "use `uniform(lo, hi)` for ranges that reach 0" });
      return undefined;
    }
    if (target.integer && Math.floor(hi) < Math.ceil(lo)) {
      this.err("MPC5014", `the range [${lo}, ${hi}] of \`${target.label}\` holds no integer`, valueExpr.span, { label: "no integer" });
      return undefined;
    }
    return { label: target.label, target: target.target, site: target.site, random: { dist, lo, hi, integer: target.integer } };
  }

  target(
    t: TrainBlock,
    e: Setting,
    words: string[],
  ): { label: string; target: StudyTarget; site: StudySite; numeric: boolean; integer: boolean; value: (x: Expr) => StudyValue | undefined } | undefined {
    const span = { ...e.args[0].span, end: e.args[words.length - 1].span.end } as Span;
    const [w0, w1] = words;
    if (w0 === "learnable" || w0 === "const") {
      if (words.length !== 2) {
        this.err("MPC5016", `write \`${w0} <name>\``, span);
        return undefined;
      }
      const sym = this.declared(t, w0, w1, e.args[1].span);
      if (!sym) return undefined;
      const decl = sym.decl?.kind === "Decl" ? sym.decl : undefined;
      const current = decl?.init ? this.matValue(decl.init) : w0 === "learnable" ? { value: 0, rows: 1, cols: 1 } : undefined;
      if (!decl || !current) {
        this.err("MPC5013", `\`${w1}\` has no constant value to vary`, e.args[1].span);
        return undefined;
      }
      const site: StudySite = decl.init
        ? { kind: "replace", start: decl.init.span.start, end: decl.init.span.end }
        : { kind: "insert", at: (decl.dims?.length ? decl.dims[decl.dims.length - 1].span.end + 1 : decl.name.span.end), prefix: " = ", suffix: "" };
      const box = w0 === "learnable" ? declaredInterval(this.ctx, sym) : undefined;
      const label = `${w0} ${w1}`;
      const value = (x: Expr): StudyValue | undefined => {
        const v = this.matValue(x);
        if (!v || v.rows !== current.rows || v.cols !== current.cols) {
          this.err("MPC5015", `\`${w1}\` is ${current.rows} x ${current.cols}, found \`${this.ctx.src(x.span)}\``, x.span, { label: "wrong shape or not constant" });
          return undefined;
        }
        if (box) {
          const flat = typeof v.value === "number" ? [v.value] : (v.value as StudyValue[]).flat(2) as number[];
          const bad = flat.findIndex((z, i) => z < box.lo[i] || z > box.hi[i]);
          if (bad >= 0) {
            this.err("MPC5015", `\`${w1}\`${flat.length > 1 ? `[${bad}]` : ""} must be in [${box.lo[bad]}, ${box.hi[bad]}] (its box), found ${flat[bad]}`, x.span, { label: "outside the learnable's box" });
            return undefined;
          }
        }
        return v.value;
      };
      return { label, target: { kind: w0, name: w1 }, site, numeric: current.rows * current.cols === 1, integer: false, value };
    }
    const spec = TRAIN_SETTINGS.find((s) => s.key === w0);
    if (!spec || w0 === "algorithm") {
      const s = mostSimilar(w0, TRAIN_SETTINGS.map((x) => x.key).concat(["learnable", "const"]));
      this.err("MPC5013", `\`${w0}\` cannot be varied: not a training setting${w0 === "algorithm" ? " a study varies (one algorithm per study)" : ""}`, e.args[0].span, {
        label: "unknown target",
        help: s && s !== w0 ? `did you mean \`${s}\`?` : "vary a training setting (`optimizer lr`), `learnable <name>` or `const <name>`",
      });
      return undefined;
    }
    const current = this.findSetting(t, w0);
    if (words.length === 1) return this.wholeSetting(t, spec, current, e, span);
    if (words.length !== 2) {
      this.err("MPC5016", `write \`${w0} <parameter>\``, span);
      return undefined;
    }
    // a parameter: of the call the train block gives, or a numeric argument of a multi-argument setting
    const call = spec.args.find((a): a is CallSpec => a.kind === "call");
    const label = `${w0}.${w1}`;
    if (call) {
      const expr = current?.args[0];
      const variant = expr && expr.kind === "Call" ? call.variants.find((v) => v.name === expr.callee.name) : undefined;
      if (!current || !expr || expr.kind !== "Call" || !variant) {
        this.err("MPC5013", `the train block gives no \`${w0}\` whose \`${w1}\` could vary`, e.args[0].span, { label: "nothing to vary", help: `add e.g. \`${spec.example}\` to the train block` });
        return undefined;
      }
      const p = variant.params.find((q) => q.name === w1);
      if (!p) {
        const s = mostSimilar(w1, variant.params.map((q) => q.name));
        this.err("MPC5013", `\`${variant.name}\` has no parameter \`${w1}\``, e.args[1].span, {
          label: "unknown parameter",
          help: `${s ? `did you mean \`${s}\`? ` : ""}the parameters are ${variant.params.map((q) => `\`${q.name}\``).join(", ")}`,
        });
        return undefined;
      }
      const idx = expr.args.findIndex((a, i) => (a.name ? a.name.name === w1 : variant.params[i]?.name === w1));
      const site: StudySite =
        idx >= 0
          ? { kind: "replace", start: expr.args[idx].value.span.start, end: expr.args[idx].value.span.end }
          : { kind: "insert", at: expr.span.end - 1, prefix: `${expr.args.length > 0 ? ", " : ""}${w1} = `, suffix: "" };
      return { label, target: { kind: "setting", key: w0, param: w1 }, site, numeric: true, integer: p.integer === true, value: (x) => this.checkNum(p, x, label) };
    }
    const nums = spec.args.map((a, i) => ({ a, i })).filter((x): x is { a: NumSpec; i: number } => x.a.kind === "num");
    const hit = nums.find((x) => x.a.name === w1 || x.a.what === w1);
    if (!hit) {
      this.err("MPC5013", `\`${w0}\` has no numeric argument \`${w1}\``, e.args[1].span, { label: "unknown parameter", help: `its arguments are ${nums.map((x) => `\`${x.a.what ?? x.a.name}\``).join(", ")}` });
      return undefined;
    }
    const arg = current?.args[hit.i];
    if (!current || !arg || current.args.length !== spec.args.length) {
      this.err("MPC5013", `the train block gives no complete \`${w0}\` whose \`${w1}\` could vary`, e.args[0].span, { label: "nothing to vary", help: `add e.g. \`${spec.example}\` to the train block` });
      return undefined;
    }
    return { label, target: { kind: "setting", key: w0, param: w1 }, site: { kind: "replace", start: arg.span.start, end: arg.span.end }, numeric: true, integer: hit.a.integer === true, value: (x) => this.checkNum(hit.a, x, label) };
  }

  wholeSetting(t: TrainBlock, spec: SettingSpec, current: Setting | undefined, e: Setting, span: Span) {
    const key = spec.key;
    if (spec.args.length !== 1 || key === "fallback" || key === "dataset") {
      this.err("MPC5013", `\`${key}\` has ${spec.args.length === 1 ? "a value that cannot be varied" : "several arguments"}: vary one of them`, span, {
        label: "vary a parameter",
        ...(spec.args.some((a) => a.kind === "num") ? { help: `e.g. \`grid ${key} ${(spec.args.find((a) => a.kind === "num") as NumSpec).what ?? spec.args.find((a) => a.kind === "num")!.name} in [...]\`` } : {}),
      });
      return undefined;
    }
    const a: ArgSpec = spec.args[0];
    const site: StudySite =
      current && current.args[0]
        ? { kind: "replace", start: current.args[0].span.start, end: current.args[current.args.length - 1].span.end }
        : { kind: "insert", at: t.span.end - 1, prefix: `  ${key} `, suffix: "\n" };
    const value = (x: Expr): StudyValue | undefined => {
      if (a.kind === "num") return this.checkNum(a, x, key);
      if (a.kind === "call") return this.checkCallValue(a, x, key);
      const w = x.kind === "Name" ? x.name : undefined;
      if (!w || (a.values && !a.values.includes(w))) {
        this.err("MPC5015", `\`${key}\` takes ${a.values ? a.values.map((v) => `\`${v}\``).join(", ") : "a name"}, found \`${this.ctx.src(x.span)}\``, x.span, { label: "not a value of the setting" });
        return undefined;
      }
      return w;
    };
    return { label: key, target: { kind: "setting", key } as StudyTarget, site, numeric: a.kind === "num", integer: a.kind === "num" && a.integer === true, value };
  }

  declared(t: TrainBlock, kind: "learnable" | "const", name: string, span: Span): Sym | undefined {
    const pool: Sym[] =
      kind === "const"
        ? [...this.ctx.top.symbols.values()].filter((s) => s.kind === "const")
        : [...(this.ctx.blockByName(t.controller.name)?.symbols.values() ?? [])].filter((s) => s.kind === "learnable");
    const sym = pool.find((s) => s.name === name);
    if (!sym) {
      const s = mostSimilar(name, pool.map((x) => x.name));
      this.err("MPC5013", kind === "const" ? `no top-level \`const ${name}\` to vary` : `the controller \`${t.controller.name}\` has no learnable \`${name}\``, span, {
        label: "unknown name",
        help: s ? `did you mean \`${s}\`?` : kind === "const" ? "declare plant parameters as top-level consts to vary them" : "vary a learnable of the trained controller",
      });
    }
    return sym;
  }
}

/** The train block's study setting(s), with misplaced ones reported. */
function studiesOf(ctx: Ctx, t: TrainBlock, report: boolean): Setting | undefined {
  let first: Setting | undefined;
  for (const s of t.settings) {
    for (const n of s.block ?? []) {
      if (n.key.name === "study" && s.key.name !== "study" && report)
        ctx.report({ severity: "error", code: "MPC5016", message: "`study` belongs at the top of the train block, not nested", span: n.key.span, help: "move it out of the `{ }` block" });
    }
    if (s.key.name !== "study") continue;
    if (first) {
      if (report) ctx.report({ severity: "error", code: "MPC5016", message: "a train block holds one `study`", span: s.key.span, related: [{ span: first.key.span, label: "first study here" }] });
      continue;
    }
    first = s;
  }
  return first;
}

/** Checker pass: validates every train block's study. */
export function checkStudy(ctx: Ctx): void {
  for (const item of ctx.program.items) {
    if (item.kind !== "Train") continue;
    const s = studiesOf(ctx, item, true);
    if (s) new StudyChecker(ctx, true).check(item, s);
  }
}

/** The study of the spec's (first) train block, or undefined when there is none or it has errors. */
export function studyPlan(ctx: Ctx): { plan?: StudyPlan; train?: TrainBlock } {
  const t = ctx.program.items.find((i): i is TrainBlock => i.kind === "Train");
  if (!t) return {};
  const s = studiesOf(ctx, t, false);
  if (!s) return { train: t };
  const plan = new StudyChecker(ctx, false).check(t, s);
  return plan ? { plan, train: t } : { train: t };
}
