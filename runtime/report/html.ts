// report.html: one self-contained page (inline CSS and SVG, no scripts, no network) built from a
// run folder (docs/training.md documents the files and their fields):
//   a summary of the run for its algorithm (Q-learning: TD error; DPG: policy-gradient norm and
//   critic error; Bayesian optimization: best evaluation, what the GP saw; evaluation: cost),
//   states against the plant's bounds and the controller's (learned) bounds, inputs, the learning
//   indicator, cost (per step with a moving average; per episode only for runs of 3+ episodes),
//   parameter traces in their declared shapes, violations and fallbacks, final parameters
//   (initial and final, matrices as matrices), the settings that apply to the algorithm.
//   The verdict (verdict.json, when the run has one): the verdict line, initial vs learned on the
//   held-out episodes (per episode too), the learning diagnostics and the hints.
// Every label is written for a reader (no raw JSON keys); the series of a plot have distinct colours.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ParamLayoutJson, ParamValue } from "../run/params.js";
import { readHistory, readMetrics, type EpisodeLine, type HistoryLine, type StepLine } from "../run/summary.js";
import { readVerdict } from "../run/verdict.js";
import { comparisonLines, diagnosticsLines, type Verdict } from "../learn/verdict.js";
import { esc, movingAverage, plot, type Series } from "./svg.js";

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1120px;line-height:1.4}
h1{font-size:22px;margin-bottom:2px}.sub{color:#555;margin-top:0}h2{font-size:17px;margin-top:30px;border-bottom:1px solid #ddd}
h3{font-size:14px;margin:14px 0 4px}p.note,.muted{color:#666;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#fafafa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.m{border:none;margin:0}table.m td{border:none;padding:0 6px;text-align:right;font-variant-numeric:tabular-nums}
table.m{border-left:1px solid #888;border-right:1px solid #888}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}
.card .v{font-size:20px;font-weight:600}.card .k{font-size:12px;color:#555}
.plot .title{font-size:13px;font-weight:600}.plot .note{font-size:11px;fill:#666}.plot .frame{fill:none;stroke:#999}.plot .grid{stroke:#eee}.plot .axis{stroke:#999}
.plot text{font-size:11px;fill:#333}.plot .ytick{text-anchor:end;dominant-baseline:middle}.plot .xtick{text-anchor:middle}
.plot .xlabel{text-anchor:middle}.plot .ylabel{text-anchor:middle}.plot .legend{dominant-baseline:middle}
code{background:#f4f4f4;padding:1px 4px}.row{display:flex;flex-wrap:wrap;column-gap:12px}`;

// ---- formatting -------------------------------------------------------------------------------

const num = (v: number): string => {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e7)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
};

/** "meanAbsTdFirst100" -> "Mean abs td first 100", "td_error" -> "Td error" (for keys without a label). */
export function humanize(key: string): string {
  const words = key
    .replace(/[_.]+/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([a-zA-Z])(\d)/g, "$1 $2")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A value for a table cell: numbers, strings, vectors, matrices (as a small grid), {kind, ...} objects. */
function valueHtml(v: unknown): string {
  if (v === null || v === undefined) return "none";
  if (typeof v === "number") return esc(num(v));
  if (typeof v === "string" || typeof v === "boolean") return esc(String(v));
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((r) => Array.isArray(r))) {
      const rows = v as unknown[][];
      if (rows.length > 12) return `${rows.length}x${rows[0].length} matrix`;
      return `<table class="m">${rows.map((r) => `<tr>${r.map((x) => `<td>${typeof x === "number" ? esc(num(x)) : esc(String(x))}</td>`).join("")}</tr>`).join("")}</table>`;
    }
    const items = v.length > 12 ? [...v.slice(0, 5), `... ${v.length - 10} more ...`, ...v.slice(-5)] : v;
    return `[${items.map((x) => (typeof x === "number" ? esc(num(x)) : x === null ? "none" : esc(String(x)))).join(", ")}]`;
  }
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const rest = Object.entries(o).filter(([k, x]) => k !== "kind" && !(x === 0 && (k === "momentum" || k === "weightDecay")));
    const args = rest.map(([k, x]) => `${esc(humanize(k).toLowerCase())} ${valueHtml(x)}`).join(", ");
    if (typeof o.kind === "string") return `${esc(humanize(o.kind).toLowerCase())}${args ? ` (${args})` : ""}`;
    return args;
  }
  return esc(String(v));
}

function table(rows: readonly (readonly [string, unknown])[], head?: readonly string[]): string {
  const h = head ? `<tr>${head.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>` : "";
  return `<table>${h}${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${valueHtml(v)}</td></tr>`).join("")}</table>`;
}

function grid(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><tr>${head.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>${rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${c}</th>` : `<td>${c}</td>`)).join("")}</tr>`).join("")}</table>`;
}

const card = (k: string, v: string): string => `<div class="card"><div class="v">${esc(v)}</div><div class="k">${esc(k)}</div></div>`;

const ALGORITHMS: Record<string, string> = {
  q_learning: "Q-learning (LSTD, second-order)",
  dpg: "Deterministic policy gradient (compatible LSTD critic)",
  bayesopt: "Bayesian optimization (GP, Matern 5/2, log expected improvement)",
  offline_q: "Offline Q-learning",
};
const algorithmLabel = (a: string): string => ALGORITHMS[a] ?? (a.startsWith("eval") ? `Evaluation of fixed parameters ${a.slice(4).trim()}` : a);

/** Results (summary.json keys) -> readable label with unit. */
const RESULT_LABELS: Record<string, string> = {
  status: "Status",
  steps: "Steps (total)",
  episodes: "Episodes",
  J: "Total cost J (sum of stage costs)",
  episodeCosts: "Cost per episode (sum of stage costs)",
  meanAbsTdFirst100: "Mean |TD error|, first 100 steps (cost units)",
  meanAbsTdLast100: "Mean |TD error|, last 100 steps (cost units)",
  meanStageCostLast1000: "Mean stage cost, last 1000 steps",
  violatingSteps: "Steps starting outside a plant state bound",
  violationsPer500: "Violating steps per 500-step block",
  lastViolatingStep: "Last violating step (global step index)",
  activeSlackSteps: "Steps with an active slack (a soft constraint relaxed in the plan)",
  solverFailures: "Steps with a solver failure",
  fallbacks: "Steps that applied the fallback action",
  updates: "Parameter updates attempted",
  rejectedUpdates: "Parameter updates rejected (non-finite or infeasible)",
  wallTime: "Wall time (s)",
  stepsPerSecond: "Speed (steps/s)",
  bestObjective: "Best evaluation cost (sum of stage costs over the episode)",
  bestEpisode: "Best evaluation (episode index, 0-based)",
};

/** Settings keys that matter per algorithm (the CLI records every training setting for every algorithm). */
const ALGO_SETTINGS: Record<string, readonly string[]> = {
  q_learning: ["optimizer", "hessian", "update", "replay", "exploration", "firstInputBounds", "trustRegion"],
  offline_q: ["optimizer", "hessian", "update", "replay", "trustRegion"],
  dpg: ["optimizer", "exploration", "trustRegion"],
  bayesopt: [],
};
const ALL_ALGO_KEYS = new Set(Object.values(ALGO_SETTINGS).flat());
const SETTING_LABELS: Record<string, string> = {
  spec: "Spec file",
  algorithm: "Algorithm",
  mode: "Mode",
  controller: "Controller",
  plant: "Plant",
  episodes: "Episodes",
  steps: "Steps per episode",
  seed: "Seed",
  disturbance: "Disturbance",
  optimizer: "Optimizer",
  hessian: "Hessian",
  update: "Update",
  replay: "Replay buffer (transitions kept, sampled per update)",
  exploration: "Exploration",
  firstInputBounds: "Bounds on the first input in Q(s, a)",
  trustRegion: "Trust region (max relative change per update)",
  stateNames: "States",
  inputNames: "Inputs",
};

// ---- data helpers -----------------------------------------------------------------------------

type Layout = ParamLayoutJson;

/** Readable entries of a parameter value in its declared shape: [name, value] (symmetric matrices: upper triangle). */
function entriesOf(name: string, v: ParamValue, symmetric: boolean): [string, number][] {
  if (typeof v === "number") return [[name, v]];
  if (v.length > 0 && Array.isArray(v[0])) {
    const m = v as number[][];
    const out: [string, number][] = [];
    m.forEach((row, i) => row.forEach((x, j) => (!symmetric || j >= i ? out.push([`${name}[${i},${j}]`, x]) : undefined)));
    return out;
  }
  return (v as number[]).map((x, i) => [`${name}[${i}]`, x]);
}

/** One trace per displayed parameter entry over the history (declared shapes when recorded, else theta names). */
function paramTraces(hist: HistoryLine[], names: string[], layout: Layout[] | undefined): Map<string, { name: string; y: number[] }[]> {
  const groups = new Map<string, { name: string; y: number[] }[]>();
  const add = (group: string, name: string, k: number, y: number) => {
    let g = groups.get(group);
    if (!g) groups.set(group, (g = []));
    let s = g.find((e) => e.name === name);
    if (!s) g.push((s = { name, y: new Array<number>(hist.length).fill(NaN) }));
    s.y[k] = y;
  };
  hist.forEach((h, k) => {
    if (h.params) {
      for (const [key, v] of Object.entries(h.params)) {
        if (key.endsWith(".factor")) continue; // P itself is shown
        const structure = layout?.find((p) => p.name === key)?.structure;
        for (const [n, y] of entriesOf(key, v, structure === "psd")) add(key, n, k, y);
      }
    } else h.theta.forEach((y, i) => add((names[i] ?? `theta[${i}]`).replace(/\[.*$/, ""), names[i] ?? `theta[${i}]`, k, y));
  });
  return groups;
}

/** Piecewise-constant series (value i holds from x[i] to x[i+1]) drawn as a staircase up to xEnd. */
function staircase(x: number[], y: (number | null)[], xEnd: number): { x: number[]; y: number[] } {
  const X: number[] = [];
  const Y: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = y[i] ?? NaN;
    const to = i + 1 < x.length ? x[i + 1] : xEnd;
    if (i > 0 && to === x[i]) continue;
    X.push(x[i], to);
    Y.push(v, v);
  }
  return { x: X, y: Y };
}

const finiteBound = (a: unknown, i: number): number | undefined => {
  const v = (a as (number | null)[] | undefined)?.[i];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
};

// ---- the report -------------------------------------------------------------------------------

export function renderReport(dir: string): string {
  const { steps, episodes } = readMetrics(dir);
  const summary = existsSync(join(dir, "summary.json")) ? (JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Record<string, unknown>) : {};
  const settings = (summary.settings ?? {}) as Record<string, unknown>;
  const algorithm = String(settings.algorithm ?? "");
  const algo = algorithm.startsWith("eval") ? "eval" : algorithm;
  const hist = readHistory(dir);
  const layout = settings.paramLayout as Layout[] | undefined;
  const thetaNames = (settings.thetaNames as string[] | undefined) ?? hist[0]?.theta.map((_, i) => `theta[${i}]`) ?? [];
  const t = steps.map((s) => s.t);
  const tEnd = t.length > 0 ? t[t.length - 1] : 0;
  const nx = steps[0]?.state.length ?? 0;
  const nu = steps[0]?.action.length ?? 0;
  const stateNames = (settings.stateNames as string[] | undefined) ?? Array.from({ length: nx }, (_, i) => `s${i}`);
  const inputNames = (settings.inputNames as string[] | undefined) ?? Array.from({ length: nu }, (_, i) => `a${i}`);
  const nEpisodes = episodes.length;
  const multiEpisode = nEpisodes >= 3;
  const stepsLabel = nEpisodes > 1 ? "step (over the run; episodes follow each other)" : "step";
  const sections: string[] = [];

  // --- summary for the algorithm ---
  const cards: string[] = [];
  const J = summary.J as number | undefined;
  if (typeof J === "number") cards.push(card("total cost J (sum of stage costs)", num(J)));
  // a plant that left its domain (non-finite state or stage cost) stopped its episode: no J then
  const plantFailures = Array.isArray(summary.plantFailures) ? (summary.plantFailures as { t: number; message: string }[]) : [];
  if (plantFailures.length > 0) cards.push(card(`plant failures (episodes stopped; first: ${plantFailures[0].message})`, String(plantFailures.length)));
  const nSteps = steps.length;
  const viol = steps.filter((s) => s.violations > 0).length;
  cards.push(card("steps starting outside a plant bound", `${viol} of ${nSteps}`));
  const lastViol = summary.lastViolatingStep;
  cards.push(card("last violating step", typeof lastViol === "number" ? String(lastViol) : "none"));
  const lines: string[] = [];
  if (algo === "q_learning" || algo === "offline_q") {
    const a = summary.meanAbsTdFirst100;
    const b = summary.meanAbsTdLast100;
    if (typeof a === "number" && typeof b === "number") {
      cards.push(card("mean |TD error|: first 100 -> last 100 steps", `${num(a)} -> ${num(b)}`));
      lines.push(`The TD error measures how far the MPC's Q-function is from the Bellman equation; it fell from ${num(a)} (first 100 steps) to ${num(b)} (last 100 steps).`);
    }
    lines.push(`${num((summary.updates as number) ?? 0)} parameter updates attempted, ${num((summary.rejectedUpdates as number) ?? 0)} rejected.`);
    const notes = Array.isArray(summary.notes) ? (summary.notes as { t: number; note: string }[]) : [];
    if (notes.length > 0) {
      lines.push(`Step ${notes[0].t}: ${notes[0].note}.${notes.length > 1 ? ` ${notes.length - 1} later note(s) (back-offs re-tightened to the model's current one-step error) are in metrics.jsonl, field "note".` : ""}`);
    }
  }
  const dpgUpdates = steps.filter((s) => typeof (s as unknown as Record<string, unknown>).policy_gradient_norm === "number") as (StepLine & Record<string, number>)[];
  const dpgEnd = episodes.filter((e) => typeof e.policy_gradient_norm === "number") as (EpisodeLine & Record<string, number>)[];
  const dpgPoints = [...dpgUpdates.map((s) => ({ t: s.t, g: s.policy_gradient_norm, c: s.critic_rmse, d: s.td_rms })), ...dpgEnd.map((e) => ({ t: stepsEndOf(e, steps), g: e.policy_gradient_norm, c: e.critic_rmse, d: e.td_rms }))].sort((p, q) => p.t - q.t);
  if (algo === "dpg") {
    if (dpgPoints.length > 0) {
      const f = dpgPoints[0];
      const l = dpgPoints[dpgPoints.length - 1];
      cards.push(card("policy-gradient norm: first -> last update", `${num(f.g)} -> ${num(l.g)}`));
      cards.push(card("critic RMS error: first -> last update", `${num(f.c)} -> ${num(l.c)}`));
      lines.push(
        `${dpgPoints.length} policy updates (one per rollout). The policy-gradient norm is the size of the estimated dJ/dtheta; ` +
          `the critic RMS error is how well the compatible critic fits the TD errors of its value function (same units as the stage cost; TD RMS ${num(l.d)} at the last update).`,
      );
    } else lines.push("This run folder holds no policy-gradient figures (made before they were logged).");
  }
  const objEpisodes = episodes.filter((e) => typeof e.objective === "number");
  let bestEp: EpisodeLine | undefined;
  for (const e of objEpisodes) if (!bestEp || (e.objective as number) < (bestEp.objective as number)) bestEp = e;
  const tuned = tunedEntries(episodes, thetaNames);
  if (algo === "bayesopt" && bestEp) {
    const nInit = objEpisodes.filter((e) => e.initial_design === 1).length;
    cards.push(card(`best evaluation cost (evaluation ${bestEp.episode + 1} of ${objEpisodes.length})`, num(bestEp.objective as number)));
    cards.push(card("first evaluation cost (initial parameters)", num(objEpisodes[0].objective as number)));
    const how = bestEp.initial_design === 1 ? "the initial design" : "the GP (expected improvement)";
    lines.push(
      `${objEpisodes.length} evaluations of ${num(Number(settings.steps ?? episodes[0]?.steps ?? 0))} steps each` +
        (nInit > 0 ? ` (${nInit} from the initial design: the initial parameters and a Latin hypercube; the rest proposed by the GP)` : "") +
        `. The best, evaluation ${bestEp.episode + 1} (episode ${bestEp.episode}), proposed by ${how}, cost ${num(bestEp.objective as number)}` +
        ` against ${num(objEpisodes[0].objective as number)} for the initial parameters. The final parameters are the best evaluation's.`,
    );
  }
  if (algo === "eval") lines.push(`Evaluation of fixed parameters: no learning; ${nEpisodes} episode(s).`);
  const bounds = summary.controllerStateBounds as { stage: number; initial: { lower: (number | null)[]; upper: (number | null)[] }; final: { lower: (number | null)[]; upper: (number | null)[] } } | undefined;
  const head =
    `<div class="cards">${cards.join("")}</div>` + (lines.length > 0 ? `<p>${lines.map(esc).join(" ")}</p>` : "");

  // --- controller bounds vs plant bounds ---
  let boundsHtml = "";
  if (bounds) {
    const f = (v: number | null | undefined): string => (v === null || v === undefined ? "none" : esc(num(v)));
    const rows = stateNames.map((n, i) => {
      const pl = finiteBound(settings.stateLower, i);
      const pu = finiteBound(settings.stateUpper, i);
      const off = (c: number | null | undefined, p: number | undefined): string => (typeof c === "number" && p !== undefined ? esc(num(c - p)) : "");
      return [esc(n), `[${f(pl)}, ${f(pu)}]`, `[${f(bounds.initial.lower[i])}, ${f(bounds.initial.upper[i])}]`, `[${f(bounds.final.lower[i])}, ${f(bounds.final.upper[i])}]`, `${off(bounds.final.lower[i], pl)} / ${off(bounds.final.upper[i], pu)}`];
    });
    boundsHtml =
      `<h3>The controller's state bounds (learned back-offs)</h3>` +
      grid(["state", "plant bounds", `controller, initial parameters (x_${bounds.stage})`, `controller, final parameters (x_${bounds.stage})`, "final back-off from the plant bound (lower / upper)"], rows) +
      `<p class="note">Read off the controller's QP: the rows that bound a single predicted state x_${bounds.stage}[i] (soft rows with their slack at 0). A positive lower back-off keeps the plan inside the plant's bound.</p>`;
  }

  // --- states and inputs ---
  const histT = hist.map((h) => Math.max(0, h.t + 1));
  const hasCtrlBounds = hist.some((h) => h.state_lb !== undefined || h.state_ub !== undefined);
  const bestOnly = algo === "bayesopt";
  const statePlots = stateNames.map((name, i) => {
    const series: Series[] = [{ name, x: t, y: steps.map((s) => s.state[i]), color: "#1f77b4", width: 1 }];
    const pl = finiteBound(settings.stateLower, i);
    const pu = finiteBound(settings.stateUpper, i);
    const ends = t.length > 0 ? [t[0], tEnd] : [];
    if (pl !== undefined) series.push({ name: "plant lower bound", x: ends, y: [pl, pl], color: "#444", width: 1.4 });
    if (pu !== undefined) series.push({ name: "plant upper bound", x: ends, y: [pu, pu], color: "#888", width: 1.4 });
    if (hasCtrlBounds && t.length > 0) {
      // Bayesian optimization runs each episode with its own candidate: only the final (best) bounds mean something for the whole run
      const hs = bestOnly ? [hist[hist.length - 1]] : hist;
      const xs = bestOnly ? [t[0]] : histT;
      const lo = staircase(xs, hs.map((h) => h.state_lb?.[i] ?? null), tEnd);
      const hi = staircase(xs, hs.map((h) => h.state_ub?.[i] ?? null), tEnd);
      const suffix = ""; // the plot's note says which parameters
      if (lo.y.some(Number.isFinite)) series.push({ name: `controller lower bound${suffix}`, x: lo.x, y: lo.y, color: "#d62728", dashArray: "6,3", width: 1.6, markers: false });
      if (hi.y.some(Number.isFinite)) series.push({ name: `controller upper bound${suffix}`, x: hi.x, y: hi.y, color: "#ff7f0e", dashArray: "6,3", width: 1.6, markers: false });
    }
    return plot({
      id: `plot-state-${i}`,
      title: `State ${name}: trajectory, plant bounds and the controller's bounds`,
      note: !hasCtrlBounds
        ? undefined
        : bestOnly
          ? "controller bounds: the MPC's constraint on the next predicted state at the best parameters found (each evaluation ran its own candidate)"
          : "controller bounds: the MPC's constraint on the next predicted state at the parameters of that step (back-offs included)",
      xLabel: stepsLabel,
      yLabel: name,
      series,
    });
  });
  const noBounds = hasCtrlBounds
    ? ""
    : `<p class="note">The controller's bounds are not in this run folder (params-history.jsonl lines have no state_lb/state_ub: the run was made without the controller's QP template).</p>`;
  sections.push(`<h2>States</h2>${boundsHtml}<div id="plot-states">${statePlots.join("")}</div>${noBounds}`);

  const inputPlots = inputNames.map((name, i) => {
    const series: Series[] = [{ name, x: t, y: steps.map((s) => s.action[i]), color: "#2ca02c", width: 1 }];
    const ends = t.length > 0 ? [t[0], tEnd] : [];
    const l = finiteBound(settings.inputLower, i);
    const h = finiteBound(settings.inputUpper, i);
    if (l !== undefined) series.push({ name: "lower bound", x: ends, y: [l, l], color: "#444", width: 1.4 });
    if (h !== undefined) series.push({ name: "upper bound", x: ends, y: [h, h], color: "#888", width: 1.4 });
    return plot({ id: `plot-input-${i}`, title: `Input ${name} (applied, exploration included) and its bounds`, xLabel: stepsLabel, yLabel: name, series });
  });
  sections.push(`<h2>Inputs</h2><div id="plot-inputs">${inputPlots.join("")}</div>`);

  // --- learning indicator ---
  const learning: string[] = [];
  const tdIdx = steps.filter((s) => s.td_error !== null);
  if (tdIdx.length > 0) {
    const abs = tdIdx.map((s) => Math.abs(s.td_error as number));
    const w = window(abs.length);
    learning.push(
      plot({
        id: "plot-td",
        title: `|TD error| per step and its moving average (${w} steps)`,
        xLabel: stepsLabel,
        yLabel: "|TD error| (cost units)",
        logY: true,
        series: [
          { name: "|TD error|", x: tdIdx.map((s) => s.t), y: abs, color: "#c7c7c7", width: 0.8 },
          { name: `moving average (${w})`, x: tdIdx.map((s) => s.t), y: movingAverage(abs, w), color: "#d62728", width: 1.8 },
        ],
      }),
    );
  }
  if (dpgPoints.length > 0) {
    learning.push(
      plot({
        id: "plot-dpg-gradient",
        title: "Policy-gradient norm ||dJ/dtheta|| per update",
        xLabel: stepsLabel,
        yLabel: "gradient norm",
        logY: true,
        series: [{ name: "gradient norm", x: dpgPoints.map((p) => p.t), y: dpgPoints.map((p) => p.g), color: "#9467bd" }],
      }) +
        plot({
          id: "plot-dpg-critic",
          title: "Critic fit per update: RMS error of the compatible critic and RMS of the TD errors it fits",
          xLabel: stepsLabel,
          yLabel: "cost units",
          series: [
            { name: "critic RMS error", x: dpgPoints.map((p) => p.t), y: dpgPoints.map((p) => p.c), color: "#d62728" },
            { name: "TD error RMS", x: dpgPoints.map((p) => p.t), y: dpgPoints.map((p) => p.d), color: "#1f77b4", dashArray: "4,3" },
          ],
        }),
    );
  }
  if (objEpisodes.length > 0) {
    const init = objEpisodes.filter((e) => e.initial_design === 1);
    const gp = objEpisodes.filter((e) => e.initial_design !== 1);
    let best = Infinity;
    const bestSoFar = objEpisodes.map((e) => (best = Math.min(best, e.objective as number)));
    const ev = (e: EpisodeLine) => e.episode + 1;
    const series: Series[] =
      init.length > 0 || gp.length < objEpisodes.length
        ? [
            { name: "initial design", x: init.map(ev), y: init.map((e) => e.objective as number), style: "points", color: "#7f7f7f", radius: 3.5 },
            { name: "proposed by the GP", x: gp.map(ev), y: gp.map((e) => e.objective as number), style: "points", color: "#1f77b4", radius: 3.5 },
          ]
        : [{ name: "evaluation", x: objEpisodes.map(ev), y: objEpisodes.map((e) => e.objective as number), style: "points", color: "#1f77b4", radius: 3.5 }];
    series.unshift({ name: "best so far", x: objEpisodes.map(ev), y: bestSoFar, color: "#2ca02c", width: 1.8, markers: false });
    if (bestEp) series.push({ name: `best (evaluation ${ev(bestEp)})`, x: [ev(bestEp)], y: [bestEp.objective as number], style: "points", color: "#d62728", radius: 6 });
    learning.push(
      plot({ id: "plot-bo-objective", title: "Cost of each evaluation (sum of stage costs over its episode) and the best so far", xLabel: "evaluation", yLabel: "episode cost", logY: true, series }),
    );
    // what the GP saw: the cost against each tuned parameter
    const scatter = tuned.map(({ index, name }) => {
      const xs = (es: EpisodeLine[]) => es.map((e) => e[`theta_${index}`] as number);
      const s: Series[] = [
        { name: "initial design", x: xs(init), y: init.map((e) => e.objective as number), style: "points", color: "#7f7f7f" },
        { name: "proposed by the GP", x: xs(gp), y: gp.map((e) => e.objective as number), style: "points", color: "#1f77b4" },
      ];
      if (bestEp) s.push({ name: "best", x: xs([bestEp]), y: [bestEp.objective as number], style: "points", color: "#d62728", radius: 6 });
      return plot({ id: `plot-bo-param-${index}`, title: `Evaluation cost against ${name}`, xLabel: name, yLabel: "episode cost", logY: true, height: 230, width: 550, series: s });
    });
    if (scatter.length > 0) learning.push(`<h3>What the GP saw: the cost of every evaluation against each tuned parameter</h3><div class="row">${scatter.join("")}</div>`);
  }
  const perf = episodes.filter((e) => typeof e.eval_cost === "number");
  const ope = episodes.filter((e) => typeof e.ope_estimate === "number" && typeof e.ope_behaviour === "number");
  if (perf.length >= 2) {
    learning.push(
      plot({
        id: "plot-performance",
        title: "Policy performance: mean evaluation cost per pass",
        xLabel: "pass (episode)",
        yLabel: "evaluation cost",
        series: [
          { name: "evaluation cost", x: perf.map((e) => e.episode), y: perf.map((e) => e.eval_cost as number), color: "#1f77b4" },
          // offline with the guard: the off-policy estimate (identified model) beside the true evaluation
          ...(ope.length > 0
            ? [
                { name: "off-policy estimate", x: ope.map((e) => e.episode), y: ope.map((e) => e.ope_estimate as number), color: "#ff7f0e" },
                { name: "estimate of the behaviour policy", x: ope.map((e) => e.episode), y: ope.map((e) => e.ope_behaviour as number), color: "#7f7f7f" },
              ]
            : []),
        ],
      }),
    );
  } else if (perf.length === 1) learning.push(`<p>Evaluation cost: ${esc(num(perf[0].eval_cost as number))}</p>`);
  if (learning.length > 0) sections.push(`<h2>Learning</h2>${learning.join("")}`);

  // --- cost ---
  const costs = steps.map((s) => s.cost);
  const wc = window(costs.length);
  let costHtml = plot({
    id: "plot-cost-step",
    title: `Stage cost per step and its moving average (${wc} steps)`,
    xLabel: stepsLabel,
    yLabel: "stage cost",
    logY: costs.some((c) => c > 0) && costs.every((c) => c >= 0),
    series: [
      { name: "stage cost", x: t, y: costs, color: "#c7c7c7", width: 0.8 },
      { name: `moving average (${wc})`, x: t, y: movingAverage(costs, wc), color: "#1f77b4", width: 1.8 },
    ],
  });
  if (multiEpisode && algo !== "bayesopt") {
    const ec = episodes.map((e) => e.cost);
    const we = Math.min(10, Math.max(2, Math.floor(ec.length / 5)));
    costHtml += plot({
      id: "plot-cost-episode",
      title: `Cost per episode and its moving average (${we} episodes)`,
      xLabel: "episode",
      yLabel: "episode cost",
      series: [
        { name: "episode cost", x: episodes.map((e) => e.episode), y: ec, color: "#1f77b4" },
        { name: `moving average (${we})`, x: episodes.map((e) => e.episode), y: movingAverage(ec, we), color: "#ff7f0e", dashArray: "5,4" },
      ],
    });
  } else if (nEpisodes === 2) costHtml += `<p>Cost per episode: ${episodes.map((e) => esc(num(e.cost))).join(", ")}.</p>`;
  sections.push(`<h2>Cost</h2>${costHtml}`);

  // --- parameters ---
  const traces = paramTraces(hist, thetaNames, layout);
  const paramPlots: string[] = [];
  if (hist.length >= 2) {
    for (const [g, series] of traces) {
      const shown = series.slice(0, 10);
      const structure = layout?.find((p) => p.name === g)?.structure;
      const what = structure === "psd" ? " (the matrix P = L L' it defines; upper triangle)" : structure === "diag" ? " (diagonal)" : structure === "factor" ? " (lower-triangular factor)" : "";
      const st = shown.map((s) => staircase(histT, s.y, tEnd));
      paramPlots.push(
        plot({
          id: `plot-param-${g}`,
          title: `Parameter ${g}${what}${series.length > shown.length ? `: first ${shown.length} of ${series.length} entries` : ""}`,
          xLabel: algo === "bayesopt" ? "step (the best parameters so far)" : stepsLabel,
          height: 210,
          width: 550,
          series: shown.map((s, k) => ({ name: s.name, x: st[k].x, y: st[k].y, markers: false })),
        }),
      );
    }
  }
  sections.push(`<h2>Parameters over the run</h2><div id="plot-params" class="row">${paramPlots.join("") || "<p>No parameter changed during the run.</p>"}</div>`);

  // --- violations ---
  const cum = (f: (s: StepLine) => boolean): number[] => {
    let c = 0;
    return steps.map((s) => (c += f(s) ? 1 : 0));
  };
  const counters: [string, (s: StepLine) => boolean, string][] = [
    ["state violation", (s) => s.violations > 0, "#d62728"],
    ["active slack", (s) => s.active_slacks > 0, "#ff7f0e"],
    ["solver failure", (s) => s.solver_failure, "#9467bd"],
    ["fallback", (s) => s.fallback, "#8c564b"],
    ["rejected update", (s) => s.rejected !== null, "#17becf"],
  ];
  sections.push(
    `<h2>Violations and fallbacks</h2>` +
      plot({
        id: "plot-violations",
        title: "Cumulative steps with a state violation, an active slack, a solver failure, a fallback or a rejected update",
        xLabel: stepsLabel,
        yLabel: "steps",
        series: counters.map(([n, f, c]) => {
          const y = cum(f);
          return { name: `${n} (${y[y.length - 1] ?? 0})`, x: t, y, color: c, width: 1.6 };
        }),
      }),
  );

  // --- results, parameters, settings ---
  const res = Object.entries(summary)
    .filter(([k]) => k !== "settings" && k !== "params" && k !== "controllerStateBounds" && k !== "notes")
    .filter(([k]) => !(k === "episodeCosts" && nEpisodes <= 1))
    .filter(([k, v]) => !((k === "meanAbsTdFirst100" || k === "meanAbsTdLast100") && v === null))
    .filter(([k]) => !(algo === "bayesopt" && (k === "updates" || k === "rejectedUpdates")))
    .map(([k, v]) => [RESULT_LABELS[k] ?? humanize(k), v] as const);

  const finalParams = (summary.params ?? hist[hist.length - 1]?.params ?? {}) as Record<string, ParamValue>;
  const initialParams = hist[0]?.params;
  const boxOf = (name: string): string => {
    const p = layout?.find((q) => q.name === name);
    if (!p) return "";
    const lo = p.lower.filter((v): v is number => v !== null);
    const hi = p.upper.filter((v): v is number => v !== null);
    if (lo.length === 0 && hi.length === 0) return "none";
    const same = (a: number[]) => a.length > 0 && a.every((v) => v === a[0]);
    if (same(lo) && same(hi) && lo.length === p.size && hi.length === p.size) return `[${num(lo[0])}, ${num(hi[0])}] per entry`;
    return `lower ${valueHtml(p.lower)}, upper ${valueHtml(p.upper)}`;
  };
  const paramRows = Object.entries(finalParams).map(([k, v]) => {
    const p = layout?.find((q) => q.name === k);
    const kind = k.endsWith(".factor") ? "its factor L (P = L L')" : p ? (p.structure === "psd" ? "psd: the matrix P" : p.structure) : "";
    return [esc(k), esc(kind), initialParams?.[k] !== undefined ? valueHtml(initialParams[k]) : "", valueHtml(v), esc(boxOf(k))];
  });
  const paramsHtml =
    grid(["parameter", "structure", "initial", "final", "declared box"], paramRows) +
    `<p class="note">Matrices row by row, as declared; a <code>psd</code> parameter P is shown as the matrix it defines with its factor L beside (P = L L'); <code>diag</code> as its diagonal. params.json holds the same.</p>`;

  const common = ["spec", "mode", "controller", "plant", "episodes", "steps", "seed", "disturbance", "stateNames", "inputNames"];
  const relevant = new Set([...common, ...(ALGO_SETTINGS[algo] ?? [])]);
  const settingRows: [string, unknown][] = [["Algorithm", algorithmLabel(algorithm)]];
  for (const [k, v] of Object.entries(settings)) {
    if (k === "algorithm" || k === "thetaNames" || k === "paramLayout" || /^(state|input)(Lower|Upper)$/.test(k)) continue;
    if (ALL_ALGO_KEYS.has(k) && !relevant.has(k)) continue;
    let label = SETTING_LABELS[k] ?? humanize(k);
    if (algo === "bayesopt" && k === "episodes") label = "Evaluations (one episode each)";
    if (algo === "bayesopt" && k === "steps") label = "Steps per evaluation";
    settingRows.push([label, v]);
  }
  const boxes = (lo: unknown, hi: unknown, names: string[]): string =>
    names.map((n, i) => `${n} in [${finiteBound(lo, i) ?? "-inf"}, ${finiteBound(hi, i) ?? "inf"}]`).join(", ");
  if (settings.stateLower || settings.stateUpper) settingRows.push(["Plant state bounds", boxes(settings.stateLower, settings.stateUpper, stateNames)]);
  if (settings.inputLower || settings.inputUpper) settingRows.push(["Input bounds", boxes(settings.inputLower, settings.inputUpper, inputNames)]);
  if (algo === "bayesopt") {
    const nInit = objEpisodes.filter((e) => e.initial_design === 1).length;
    if (nInit > 0) settingRows.push(["Initial design (initial parameters + Latin hypercube)", `${nInit} evaluations`]);
    if (tuned.length > 0) settingRows.push(["Tuned parameters (entries)", tuned.map((e) => e.name).join(", ")]);
    settingRows.push(["Noise", "every evaluation replays the same episode (same disturbance sequence)"]);
  }

  const spec = String(settings.spec ?? "");
  const title = `mpcrl run: ${spec}`;
  const wall = typeof summary.wallTime === "number" ? `, ${num(summary.wallTime)} s` : "";
  const sub =
    `${algorithmLabel(algorithm)} · controller ${String(settings.controller ?? "?")} on plant ${String(settings.plant ?? "?")} · ` +
    `${nEpisodes} episode${nEpisodes === 1 ? "" : "s"} of ${num(Number(settings.steps ?? 0))} steps · seed ${String(settings.seed ?? "?")} · ${String(summary.status ?? "")}${wall}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1><p class="sub">${esc(sub)}</p>
<h2>Summary</h2>${head}
<p class="note">Costs are the plant's stage cost as declared in the spec, summed over steps (the spec's units). Steps are counted from 0 over the whole run.</p>
${verdictHtml(readVerdict(dir))}
${sections.join("\n")}
<h2>Parameters: initial and final</h2>${paramsHtml}
<h2>Results</h2>${table(res)}
<h2>Settings</h2>${table(settingRows)}
</body></html>
`;
}

/** The verdict section: the verdict line, the comparison, the held-out episodes, diagnostics and hints. */
function verdictHtml(v: Verdict | undefined): string {
  if (!v) return "";
  const rows = (r: [string, string][]): string => `<table>${r.map(([k, t]) => `<tr><th>${esc(k.charAt(0).toUpperCase() + k.slice(1))}</th><td>${esc(t)}</td></tr>`).join("")}</table>`;
  const f = (x: number | null | undefined): string => (typeof x === "number" && Number.isFinite(x) ? esc(num(x)) : "failed");
  const shown = v.episodes.length > 30 ? [...v.episodes.slice(0, 15), ...v.episodes.slice(-15)] : v.episodes;
  const epRows = shown.map((e) => [
    String(e.episode),
    String(e.plantSeed),
    f(e.initial.cost),
    f(e.learned.cost),
    Number.isFinite(e.initial.cost) && Number.isFinite(e.learned.cost) ? esc(num(e.learned.cost - e.initial.cost)) : "left out",
    `${e.initial.violationSteps} / ${e.learned.violationSteps}`,
    `${e.initial.solverFailures} / ${e.learned.solverFailures}`,
  ]);
  const more = v.episodes.length > shown.length ? `<p class="note">${v.episodes.length - shown.length} episodes in the middle are in verdict.json only.</p>` : "";
  const hints = v.hints.length > 0 ? `<h3>Hints</h3><ul>${v.hints.map((h) => `<li>${esc(h.text)} <span class="muted">(rule ${esc(h.rule)})</span></li>`).join("")}</ul>` : "<p class=\"note\">No hint rule fired (docs/training.md lists the rules).</p>";
  const notes = v.notes.map((n) => `<p class="note">${esc(n)}</p>`).join("");
  return (
    `<h2>Verdict: initial vs learned parameters on held-out episodes</h2>` +
    `<p id="verdict-line"><b>${esc(v.line)}</b></p>` +
    rows(comparisonLines(v)) +
    `<p class="note">The initial parameters (the spec's) and the learned ones run without learning or exploration on the same held-out episodes (same plant seeds: same initial states and disturbances); the interval is the paired t interval of the mean difference of episode costs (learned - initial).</p>` +
    `<h3>Held-out episodes</h3>${grid(["episode", "plant seed", "initial cost", "learned cost", "learned - initial", "violating steps (initial / learned)", "solver failures (initial / learned)"], epRows)}${more}` +
    `<h3>Learning diagnostics</h3>${rows(diagnosticsLines(v.diagnostics))}${hints}${notes}`
  );
}

/** Moving-average window for n points: 100 for long runs, fewer for short ones (at least 5). */
function window(n: number): number {
  return Math.max(5, Math.min(100, Math.floor(n / 20)));
}

/** The global step index of an episode's last step. */
function stepsEndOf(e: EpisodeLine, steps: StepLine[]): number {
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i].episode === e.episode) return steps[i].t;
  return 0;
}

/** Theta entries Bayesian optimization tuned (episode fields theta_<index>), with readable names. */
function tunedEntries(episodes: EpisodeLine[], names: string[]): { index: number; name: string }[] {
  const first = episodes.find((e) => typeof e.objective === "number");
  if (!first) return [];
  return Object.keys(first)
    .map((k) => /^theta_(\d+)$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .map((index) => ({ index, name: names[index] ?? `theta[${index}]` }));
}

export function writeReport(dir: string): void {
  writeFileSync(join(dir, "report.html"), renderReport(dir));
}
