// Pass 6: the `train` block. A schema of the training settings (docs/training.md is its prose
// form): which settings exist, their argument patterns, value ranges, which algorithm needs or
// accepts them. Also checks that the controller and the plant agree on state and input
// dimensions. Codes MPC5001-MPC5008.

import type { Expr, Setting, TrainBlock } from "../ast.js";
import type { DiagnosticCode, Span } from "../diagnostics.js";
import { Ctx, Sym } from "./context.js";
import { evalExpr } from "./const_eval.js";
import { declaredInterval, RUNTIME_LIMIT } from "./interval.js";
import { mostSimilar } from "./similar.js";
import { symShape } from "./shapes.js";

export type Algorithm = "q_learning" | "dpg" | "bayesopt" | "offline_q";
export const ALGORITHMS: readonly Algorithm[] = ["q_learning", "dpg", "bayesopt", "offline_q"];

/** A number argument with its admissible range. */
export interface NumSpec {
  readonly kind: "num";
  readonly name: string;
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
  readonly integer?: boolean;
  /** How messages name it when `name` is terse (`update every <n> steps`: "the period"). */
  readonly what?: string;
}
/** A bare word among a fixed set (`approximate`, `steps`) or any name (`dataset gz_run`). */
export interface WordSpec {
  readonly kind: "word";
  readonly name: string;
  readonly values?: readonly string[];
}
/** A call among variants: `newton(lr = 5e-2)`, `ou(sigma = 0.1, theta = 0.15)`. */
export interface CallSpec {
  readonly kind: "call";
  readonly name: string;
  readonly variants: readonly { readonly name: string; readonly params: readonly (NumSpec & { readonly optional?: boolean })[]; readonly doc: string }[];
}
/** A constant array (the safe input of `fallback safe([0])`). */
export type ArgSpec = NumSpec | WordSpec | CallSpec;

export interface SettingSpec {
  readonly key: string;
  /** The argument pattern; a `literal` word is written as `{ kind: "word", values: ["every"] }`. */
  readonly args: readonly ArgSpec[];
  readonly doc: string;
  /** Algorithms that use it (all when absent). */
  readonly algorithms?: readonly Algorithm[];
  /** Algorithms that require it. */
  readonly requiredBy?: readonly Algorithm[];
  /** A typical use, for help texts and completion. */
  readonly example: string;
}

const num = (name: string, o: Partial<Omit<NumSpec, "kind" | "name">> = {}): NumSpec => ({ kind: "num", name, ...o });
const pos = (name: string): NumSpec => num(name, { min: 0, minExclusive: true });
const posInt = (name: string): NumSpec => num(name, { min: 1, integer: true });
const word = (name: string, values?: readonly string[]): WordSpec => ({ kind: "word", name, values });
const opt = (n: NumSpec): NumSpec & { optional: true } => ({ ...n, optional: true });

export const TRAIN_SETTINGS: readonly SettingSpec[] = [
  { key: "algorithm", example: "algorithm q_learning { optimizer newton(lr = 5e-2) }", args: [word("algorithm", ALGORITHMS)], doc: "The learning algorithm; its settings may be nested in `{ }` after it." },
  {
    key: "optimizer",
    example: "optimizer sgd(lr = 0.01)",
    args: [
      {
        kind: "call",
        name: "optimizer",
        variants: [
          { name: "sgd", params: [pos("lr"), opt(num("momentum", { min: 0, max: 1 }))], doc: "gradient descent with optional momentum" },
          { name: "newton", params: [pos("lr")], doc: "Newton step with the (approximate) Hessian of the TD loss" },
          { name: "adam", params: [pos("lr"), opt(num("beta1", { min: 0, max: 1 })), opt(num("beta2", { min: 0, max: 1 }))], doc: "Adam" },
        ],
      },
    ],
    doc: "The parameter update rule and its learning rate.",
    algorithms: ["q_learning", "dpg", "offline_q"],
    requiredBy: ["q_learning", "dpg", "offline_q"],
  },
  { key: "hessian", example: "hessian approximate", args: [word("hessian", ["approximate", "full", "none"])], doc: "Second-order information for Newton: sum of gradient outer products, the exact Hessian, or none.", algorithms: ["q_learning", "offline_q"] },
  { key: "update", example: "update every 1 steps", args: [word("every", ["every"]), { ...posInt("n"), what: "period" }, word("unit", ["steps", "episodes", "step", "episode"])], doc: "Update frequency: `update every 1 steps`.", algorithms: ["q_learning", "dpg", "offline_q"] },
  { key: "replay", example: "replay size 100 sample 10", args: [word("size", ["size"]), posInt("size"), word("sample", ["sample"]), posInt("sample")], doc: "Experience replay: buffer size and transitions sampled per update.", algorithms: ["q_learning", "dpg", "offline_q"] },
  {
    key: "exploration",
    example: "exploration epsilon_greedy(epsilon = 0.1, decay = 0.99, strength = 0.5)",
    args: [
      {
        kind: "call",
        name: "exploration",
        variants: [
          { name: "epsilon_greedy", params: [num("epsilon", { min: 0, max: 1 }), opt(num("decay", { min: 0, max: 1 })), opt(num("strength", { min: 0 }))], doc: "random perturbation with probability epsilon" },
          { name: "ou", params: [num("sigma", { min: 0 }), opt(num("theta", { min: 0 }))], doc: "Ornstein-Uhlenbeck noise" },
          { name: "additive", params: [num("sigma", { min: 0 })], doc: "Gaussian noise added to the action" },
          { name: "gradient", params: [num("sigma", { min: 0 })], doc: "random perturbation of the MPC cost gradient" },
        ],
      },
    ],
    doc: "Exploration during training.",
    algorithms: ["q_learning", "dpg"],
    requiredBy: ["dpg"],
  },
  {
    key: "schedule",
    example: "schedule exponential(rate = 0.999)",
    args: [
      {
        kind: "call",
        name: "schedule",
        variants: [
          { name: "exponential", params: [num("rate", { min: 0, max: 1, minExclusive: true })], doc: "lr multiplied by rate after each update" },
          { name: "linear", params: [num("final", { min: 0 }), posInt("steps")], doc: "lr decreases linearly to `final` over `steps` updates" },
        ],
      },
    ],
    doc: "Learning-rate schedule.",
    algorithms: ["q_learning", "dpg", "offline_q"],
  },
  { key: "trust_region", example: "trust_region 0.2", args: [pos("max_relative_change")], doc: "Largest relative change of a parameter per update (projected)." },
  { key: "first_input_bounds", example: "first_input_bounds removed", args: [word("first_input_bounds", ["kept", "removed"])], doc: "Whether the bounds on the first input stay in the Q-function's MPC.", algorithms: ["q_learning", "offline_q"] },
  { key: "episodes", example: "episodes 10", args: [posInt("episodes")], doc: "Number of training episodes.", requiredBy: ["bayesopt"] },
  { key: "steps", example: "steps 1000", args: [posInt("steps")], doc: "Steps per episode (defaults to the plant's `episode`)." },
  { key: "seed", example: "seed 1", args: [num("seed", { min: 0, integer: true })], doc: "Seed of every random generator." },
  { key: "evaluation", example: "evaluation every 5 episodes 2", args: [word("every", ["every"]), { ...posInt("n"), what: "period" }, word("episodes", ["episodes"]), posInt("count")], doc: "`evaluation every N episodes M`: run M evaluation episodes every N training episodes." },
  { key: "rollout_length", example: "rollout_length 50", args: [posInt("rollout_length")], doc: "Steps per rollout before a policy-gradient update.", algorithms: ["dpg"], requiredBy: ["dpg"] },
  { key: "exploration_margin", example: "exploration_margin 0.1", args: [num("exploration_margin", { min: 0 })], doc: "DPG: shrink the exploration where the MPC's predicted first state is within this distance of the plant's state bounds (scale margin/distance, at least 0.25); 0 (default): off.", algorithms: ["dpg"] },
  { key: "identify", example: "identify 20", args: [posInt("steps")], doc: "Q-learning, DPG: after this many steps, fit the controller's learnable model to the observed transitions by least squares, and keep its state-bound back-offs at least as large as the one-step prediction error that remains (identification for control; docs/training.md).", algorithms: ["q_learning", "dpg"] },
  { key: "initial_points", example: "initial_points 5", args: [posInt("initial_points")], doc: "Random evaluations before the Gaussian-process model is used.", algorithms: ["bayesopt"] },
  { key: "dataset", example: "dataset gz_nominal", args: [word("dataset")], doc: "The recorded transitions to learn from: `dataset name` reads `name.jsonl` next to the spec.", algorithms: ["offline_q"], requiredBy: ["offline_q"] },
  { key: "guard", example: "guard model", args: [word("guard", ["model", "none"])], doc: "Offline: `model` (default) accepts an update only when its cost, estimated by simulating the policy on a model identified from the data set, is at most the behaviour policy's; `none` is plain off-policy Q-learning.", algorithms: ["offline_q"] },
  { key: "support", example: "support 0.5", args: [pos("support")], doc: "Offline (guard `model`): every parameter stays within support * max(|theta_b|, 0.1) of the behaviour parameters theta_b (default 0.5).", algorithms: ["offline_q"] },
  {
    key: "fallback",
    example: "fallback shift",
    args: [word("fallback", ["shift", "safe"])],
    doc: "What the controller applies when the MPC fails: the shifted previous plan, or `safe(u)` with a constant input.",
  },
];

const specByKey = new Map(TRAIN_SETTINGS.map((s) => [s.key, s]));

const err = (ctx: Ctx, code: DiagnosticCode, message: string, span: Span, extra: { label?: string; help?: string; related?: { span: Span; label: string }[] } = {}): void =>
  ctx.report({ severity: "error", code, message, span, ...extra });

function checkNumber(ctx: Ctx, spec: NumSpec, e: Expr, key: string, named = false): void {
  const what = spec.name === key ? `\`${key}\`` : named ? `\`${spec.name}\` of \`${key}\`` : `the ${spec.what ?? spec.name} of \`${key}\``;
  const v = evalExpr(ctx, e);
  if (!v || v.rows * v.cols !== 1) {
    err(ctx, "MPC5005", `\`${key}\` expects a number for \`${spec.name}\``, e.span, { label: "not a number" });
    return;
  }
  const x = v.data[0];
  const below = spec.min !== undefined && (spec.minExclusive ? x <= spec.min : x < spec.min);
  const above = spec.max !== undefined && x > spec.max;
  if (spec.integer && !Number.isInteger(x)) {
    err(ctx, "MPC5005", `${what} must be an integer, found ${x}`, e.span, { label: "not an integer" });
  } else if (below || above) {
    const range =
      spec.max !== undefined
        ? `${spec.minExclusive ? "(" : "["}${spec.min ?? "-inf"}, ${spec.max}]`
        : `${spec.minExclusive ? ">" : ">="} ${spec.min}`;
    err(ctx, "MPC5005", `${what} must be ${spec.max !== undefined ? `in ${range}` : range}, found ${x}`, e.span, { label: "out of range" });
  }
}

function checkCall(ctx: Ctx, spec: CallSpec, e: Expr, key: string): void {
  const names = spec.variants.map((v) => v.name);
  const calleeName = e.kind === "Call" ? e.callee.name : e.kind === "Name" ? e.name : undefined;
  const variant = spec.variants.find((v) => v.name === calleeName);
  if (!variant) {
    const s = calleeName ? mostSimilar(calleeName, names) : undefined;
    err(ctx, "MPC5005", `unknown ${key} \`${calleeName ?? ctx.src(e.span)}\``, e.kind === "Call" ? e.callee.span : e.span, {
      label: `expected ${names.map((n) => `\`${n}\``).join(", ")}`,
      help: s ? `did you mean \`${s}\`?` : `write e.g. \`${key} ${names[0]}(${spec.variants[0].params.filter((p) => !p.optional).map((p) => `${p.name} = ...`).join(", ")})\``,
    });
    return;
  }
  const args = e.kind === "Call" ? e.args : [];
  const given = new Map<string, Expr>();
  args.forEach((a, i) => {
    const pname = a.name ? a.name.name : variant.params[i]?.name;
    if (!pname || !variant.params.some((p) => p.name === pname)) {
      const s = a.name ? mostSimilar(a.name.name, variant.params.map((p) => p.name)) : undefined;
      err(ctx, "MPC5003", a.name ? `\`${variant.name}\` has no parameter \`${a.name.name}\`` : `too many arguments for \`${variant.name}\``, a.name?.span ?? a.span, {
        label: "unknown parameter",
        help: `${s ? `did you mean \`${s}\`? ` : ""}the parameters are ${variant.params.map((p) => `\`${p.name}\``).join(", ")}`,
      });
      return;
    }
    given.set(pname, a.value);
  });
  for (const p of variant.params) {
    const x = given.get(p.name);
    if (x) checkNumber(ctx, p, x, variant.name, true);
    else if (!p.optional)
      err(ctx, "MPC5004", `\`${variant.name}\` needs \`${p.name}\``, e.span, {
        label: `missing \`${p.name}\``,
        help: `write \`${variant.name}(${variant.params.filter((q) => !q.optional).map((q) => `${q.name} = ...`).join(", ")})\``,
      });
  }
}

function checkArgs(ctx: Ctx, spec: SettingSpec, s: Setting): void {
  const pattern = `${spec.key} ${spec.args.map((a) => (a.kind === "word" && a.values ? a.values.join("|") : `<${a.name}>`)).join(" ")}`;
  if (s.args.length !== spec.args.length) {
    // `fallback safe(u)` is the one call-shaped word.
    if (!(spec.key === "fallback" && s.args.length === 1)) {
      err(ctx, "MPC5005", `\`${spec.key}\` takes ${spec.args.length} argument${spec.args.length === 1 ? "" : "s"}, found ${s.args.length}`, s.span, {
        label: "wrong number of arguments",
        help: `write \`${pattern}\``,
      });
      return;
    }
  }
  spec.args.forEach((a, i) => {
    const e = s.args[i];
    if (!e) return;
    if (a.kind === "num") checkNumber(ctx, a, e, spec.key);
    else if (a.kind === "call") checkCall(ctx, a, e, spec.key);
    else {
      if (spec.key === "fallback" && e.kind === "Call" && e.callee.name === "safe") {
        const u = e.args[0]?.value;
        if (e.args.length !== 1 || !u || !evalExpr(ctx, u))
          err(ctx, "MPC5005", "`safe(u)` takes one constant input vector", e.span, { label: "expected `safe([u0, ...])`" });
        return;
      }
      const w = e.kind === "Name" ? e.name : undefined;
      if (w === undefined || (a.values && !a.values.includes(w))) {
        const s2 = w && a.values ? mostSimilar(w, a.values) : undefined;
        err(ctx, "MPC5005", a.values?.length === 1 ? `expected \`${a.values[0]}\` here` : `unexpected value for \`${spec.key}\``, e.span, {
          label: a.values ? `expected ${a.values.map((v) => `\`${v}\``).join(" or ")}` : "expected a name",
          help: s2 ? `did you mean \`${s2}\`?` : `write \`${pattern}\``,
        });
      }
    }
  });
}

function learnablesOf(ctx: Ctx, controller: string): Sym[] {
  const b = ctx.blockByName(controller);
  return b ? [...b.symbols.values()].filter((s) => s.kind === "learnable") : [];
}

/** Total dimension of the states (or inputs) of a block, with the first declaration's span. */
function dimension(ctx: Ctx, block: string, kind: "state" | "input"): { n: number; spans: Span[]; names: string[] } | undefined {
  const b = ctx.blockByName(block);
  if (!b) return undefined;
  let n = 0;
  const spans: Span[] = [];
  const names: string[] = [];
  for (const s of b.symbols.values()) {
    if (s.kind !== kind) continue;
    const sh = symShape(ctx, s);
    if (!sh) return undefined;
    n += sh.rows * sh.cols;
    if (s.nameSpan) spans.push(s.nameSpan);
    names.push(s.name);
  }
  return { n, spans, names };
}

function checkDimensions(ctx: Ctx, t: TrainBlock): void {
  const c = ctx.resolution.get(t.controller.id);
  const p = ctx.resolution.get(t.plant.id);
  if (!c || !p || c.kind !== "controller" || p.kind !== "plant") return;
  for (const [kind, code] of [
    ["state", "MPC5001"],
    ["input", "MPC5002"],
  ] as const) {
    const dc = dimension(ctx, c.name, kind);
    const dp = dimension(ctx, p.name, kind);
    if (!dc || !dp || dc.n === dp.n) continue;
    err(ctx, code, `the controller \`${c.name}\` has ${dc.n} ${kind} element${dc.n === 1 ? "" : "s"} but the plant \`${p.name}\` has ${dp.n}`, t.plant.span, {
      label: `${kind} dimensions differ`,
      related: [
        ...dc.spans.slice(0, 1).map((s) => ({ span: s, label: `${dc.names.join(", ")}: ${dc.n} in the controller` })),
        ...dp.spans.slice(0, 1).map((s) => ({ span: s, label: `${dp.names.join(", ")}: ${dp.n} in the plant` })),
      ],
      help: `the controller's ${kind}s must match the plant's, element for element`,
    });
  }
}

export function checkTrain(ctx: Ctx): void {
  for (const item of ctx.program.items) {
    if (item.kind !== "Train") continue;
    checkDimensions(ctx, item);
    const seen = new Map<string, Setting>();
    // every known key given anywhere in the block (nested ones included, as `seen` counts them)
    const given = new Set<string>();
    const collect = (settings: readonly Setting[]): void => {
      for (const s of settings) {
        if (specByKey.has(s.key.name)) given.add(s.key.name);
        if (s.block) collect(s.block);
      }
    };
    collect(item.settings);
    let algorithm: Algorithm | undefined;
    let algorithmSetting: Setting | undefined;
    const visit = (settings: readonly Setting[], nested: boolean): void => {
      for (const s of settings) {
        const key = s.key.name;
        if (key === "study") continue; // the study block: check/study.ts
        const spec = specByKey.get(key);
        if (!spec) {
          // The edit renames the key only to a setting that is not given yet in this block (else
          // "given twice") and that may stand here: `algorithm` at the top only, and a `{ ... }`
          // block only after `algorithm`. A similar name that does not fit is named in the help.
          const fits = (k: string): boolean => !given.has(k) && (k === "algorithm" ? !nested : !s.block);
          const fitting = mostSimilar(key, TRAIN_SETTINGS.map((x) => x.key).filter(fits));
          const sug = fitting ?? mostSimilar(key, TRAIN_SETTINGS.map((x) => x.key));
          err(ctx, "MPC5003", `unknown training setting \`${key}\``, s.key.span, {
            label: "not a setting",
            help: sug ? `a setting with a similar name exists: \`${sug}\`` : "see docs/training.md for the settings",
          });
          if (fitting) ctx.diagnostics[ctx.diagnostics.length - 1] = { ...ctx.diagnostics[ctx.diagnostics.length - 1], edits: [{ span: s.key.span, newText: fitting, title: `replace with \`${fitting}\`` }] };
          if (s.block) visit(s.block, true);
          continue;
        }
        const prior = seen.get(key);
        if (prior) {
          err(ctx, "MPC5006", `\`${key}\` is given twice`, s.key.span, { label: "given again here", related: [{ span: prior.key.span, label: "first given here" }] });
        } else seen.set(key, s);
        if (key === "algorithm") {
          if (nested) err(ctx, "MPC5006", "`algorithm` cannot be nested", s.key.span);
          const a = s.args[0];
          if (a && a.kind === "Name" && (ALGORITHMS as readonly string[]).includes(a.name)) {
            algorithm = a.name as Algorithm;
            algorithmSetting = s;
          }
        } else if (s.block) {
          err(ctx, "MPC5005", `\`${key}\` takes no nested settings`, s.key.span, { help: "only `algorithm` has a `{ ... }` block" });
        }
        checkArgs(ctx, spec, s);
        if (s.block) visit(s.block, true);
      }
    };
    visit(item.settings, false);
    if (!seen.has("algorithm")) {
      err(ctx, "MPC5006", "the train block names no algorithm", item.keywordSpan, {
        label: "no `algorithm`",
        help: `add \`algorithm q_learning { ... }\` (one of ${ALGORITHMS.map((a) => `\`${a}\``).join(", ")})`,
      });
      continue;
    }
    if (!algorithm) continue;
    for (const spec of TRAIN_SETTINGS) {
      if (spec.requiredBy?.includes(algorithm) && !seen.has(spec.key)) {
        err(ctx, "MPC5004", `\`${algorithm}\` needs the setting \`${spec.key}\``, algorithmSetting?.args[0]?.span ?? item.keywordSpan, {
          label: `no \`${spec.key}\``,
          help: `add e.g. \`${spec.example}\` (${spec.doc.replace(/\.$/, "").replace(/^./, (c) => c.toLowerCase())})`,
        });
      }
    }
    for (const [key, s] of seen) {
      const spec = specByKey.get(key)!;
      if (spec.algorithms && !spec.algorithms.includes(algorithm)) {
        ctx.report({
          severity: "warning",
          code: "MPC5008",
          message: `\`${key}\` has no effect with \`${algorithm}\``,
          span: s.key.span,
          label: "ignored",
          help: `it applies to ${spec.algorithms.map((a) => `\`${a}\``).join(", ")}`,
          tags: ["unnecessary"],
        });
      }
    }
    if (algorithm === "bayesopt") {
      for (const sym of learnablesOf(ctx, item.controller.name)) {
        // (a bound of magnitude 1e20 or more is none: no admissible parameter reaches it, and
        // Bayesian optimization would search a box around the initial value instead)
        const box = declaredInterval(ctx, sym);
        const bounded = (v: number): boolean => Math.abs(v) < RUNTIME_LIMIT;
        if (box && box.lo.every(bounded) && box.hi.every(bounded)) continue;
        err(ctx, "MPC5007", `bayesopt needs finite bounds on \`${sym.name}\``, sym.nameSpan ?? item.keywordSpan, {
          label: box && box.lo.every(Number.isFinite) && box.hi.every(Number.isFinite) ? "a bound of magnitude 1e20 or more (no parameter is that large)" : "unbounded learnable",
          related: algorithmSetting ? [{ span: algorithmSetting.span, label: "bayesopt searches a bounded box" }] : undefined,
          help: `declare \`learnable ${sym.name}... in [lb, ub]\` with finite numbers`,
        });
      }
    }
  }
}
