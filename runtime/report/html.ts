// report.html: one self-contained page (inline CSS and SVG, no scripts, no network) built from a
// run folder: states against their bounds, inputs, TD error or policy performance, cost per step
// and per episode with moving averages, parameter traces, violations and fallbacks, settings.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readMetrics } from "../run/summary.js";
import { esc, movingAverage, plot, type Series } from "./svg.js";

interface HistoryLine {
  t: number;
  episode: number;
  theta: number[];
}

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.plot .title{font-size:13px;font-weight:600}.plot .frame{fill:none;stroke:#999}.plot .grid{stroke:#eee}.plot .axis{stroke:#999}
.plot text{font-size:11px;fill:#333}.plot .ytick{text-anchor:end;dominant-baseline:middle}.plot .xtick{text-anchor:middle}
.plot .xlabel{text-anchor:middle}.plot .ylabel{text-anchor:middle}.plot .legend{dominant-baseline:middle}
code{background:#f4f4f4;padding:1px 4px}`;

function table(rows: [string, unknown][]): string {
  const short = (v: unknown): unknown => {
    if (Array.isArray(v) && v.length > 12) return [...v.slice(0, 5), `... ${v.length - 10} more ...`, ...v.slice(-5)];
    return v;
  };
  const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toPrecision(6));
  const cell = (v: unknown): string =>
    typeof v === "number"
      ? esc(num(v))
      : esc(typeof v === "string" ? v : JSON.stringify(short(v), (_k, x: unknown) => (typeof x === "number" && !Number.isInteger(x) ? Number(x.toPrecision(6)) : x)));
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${cell(v)}</td></tr>`).join("")}</table>`;
}

export function renderReport(dir: string): string {
  const { steps, episodes } = readMetrics(dir);
  const summary = existsSync(join(dir, "summary.json")) ? (JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Record<string, unknown>) : {};
  const settings = (summary.settings ?? {}) as Record<string, unknown>;
  const t = steps.map((s) => s.t);
  const nx = steps[0]?.state.length ?? 0;
  const nu = steps[0]?.action.length ?? 0;
  const stateNames = (settings.stateNames as string[] | undefined) ?? Array.from({ length: nx }, (_, i) => `s${i}`);
  const inputNames = (settings.inputNames as string[] | undefined) ?? Array.from({ length: nu }, (_, i) => `a${i}`);
  const boundSeries = (lo: unknown, hi: unknown, i: number, name: string): Series[] => {
    const out: Series[] = [];
    const l = (lo as (number | null)[] | undefined)?.[i];
    const h = (hi as (number | null)[] | undefined)?.[i];
    const x = t.length > 0 ? [t[0], t[t.length - 1]] : [];
    if (typeof l === "number" && Number.isFinite(l)) out.push({ name: `${name} lower`, x, y: [l, l], color: "#555", dash: true });
    if (typeof h === "number" && Number.isFinite(h)) out.push({ name: `${name} upper`, x, y: [h, h], color: "#999", dash: true });
    return out;
  };
  const sections: string[] = [];

  const statePlots = stateNames.map((name, i) =>
    plot({
      id: `plot-state-${i}`,
      title: `State ${name} against its bounds`,
      xLabel: "step",
      series: [{ name, x: t, y: steps.map((s) => s.state[i]) }, ...boundSeries(settings.stateLower, settings.stateUpper, i, name)],
    }),
  );
  sections.push(`<h2>States</h2><div id="plot-states">${statePlots.join("")}</div>`);

  const inputPlots = inputNames.map((name, i) =>
    plot({
      id: `plot-input-${i}`,
      title: `Input ${name}`,
      xLabel: "step",
      series: [{ name, x: t, y: steps.map((s) => s.action[i]) }, ...boundSeries(settings.inputLower, settings.inputUpper, i, name)],
    }),
  );
  sections.push(`<h2>Inputs</h2><div id="plot-inputs">${inputPlots.join("")}</div>`);

  const tdIdx = steps.filter((s) => s.td_error !== null);
  if (tdIdx.length > 0) {
    const abs = tdIdx.map((s) => Math.abs(s.td_error as number));
    sections.push(
      `<h2>TD error</h2>` +
        plot({
          id: "plot-td",
          title: "|TD error| per step and its moving average (100 steps)",
          xLabel: "step",
          series: [
            { name: "|TD error|", x: tdIdx.map((s) => s.t), y: abs, color: "#bbb", width: 0.8 },
            { name: "moving avg", x: tdIdx.map((s) => s.t), y: movingAverage(abs, 100), color: "#d62728", width: 1.8 },
          ],
        }),
    );
  }
  const perf = episodes.filter((e) => typeof e.eval_cost === "number" || typeof e.objective === "number");
  if (perf.length > 0) {
    sections.push(
      `<h2>Policy performance</h2>` +
        plot({
          id: "plot-performance",
          title: "Policy performance per episode (evaluation cost / objective)",
          xLabel: "episode",
          series: [{ name: "performance", x: perf.map((e) => e.episode), y: perf.map((e) => (e.eval_cost ?? e.objective) as number) }],
        }),
    );
  }

  const costs = steps.map((s) => s.cost);
  sections.push(
    `<h2>Cost</h2>` +
      plot({
        id: "plot-cost-step",
        title: "Stage cost per step and its moving average (100 steps)",
        xLabel: "step",
        series: [
          { name: "cost", x: t, y: costs, color: "#bbb", width: 0.8 },
          { name: "moving avg", x: t, y: movingAverage(costs, 100), color: "#1f77b4", width: 1.8 },
        ],
      }) +
      plot({
        id: "plot-cost-episode",
        title: "Cost per episode and its moving average (10 episodes)",
        xLabel: "episode",
        series: [
          { name: "episode cost", x: episodes.map((e) => e.episode), y: episodes.map((e) => e.cost) },
          { name: "moving avg", x: episodes.map((e) => e.episode), y: movingAverage(episodes.map((e) => e.cost), 10), dash: true },
        ],
      }),
  );

  const histPath = join(dir, "params-history.jsonl");
  const hist: HistoryLine[] = existsSync(histPath)
    ? readFileSync(histPath, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as HistoryLine)
    : [];
  const names = (settings.thetaNames as string[] | undefined) ?? hist[0]?.theta.map((_, i) => `theta[${i}]`) ?? [];
  const groups = new Map<string, number[]>();
  names.forEach((n, i) => {
    const g = n.replace(/\[.*$/, "");
    groups.set(g, [...(groups.get(g) ?? []), i]);
  });
  const paramPlots = [...groups.entries()].map(([g, idx]) =>
    plot({
      id: `plot-param-${g}`,
      title: `Parameter ${g}`,
      xLabel: "step",
      height: 200,
      series: idx.map((i) => ({ name: names[i], x: hist.map((h) => Math.max(0, h.t)), y: hist.map((h) => h.theta[i]) })),
    }),
  );
  sections.push(`<h2>Parameters</h2><div id="plot-params">${paramPlots.join("") || "<p>no parameter updates</p>"}</div>`);

  const cum = (f: (s: (typeof steps)[number]) => boolean): number[] => {
    let c = 0;
    return steps.map((s) => (c += f(s) ? 1 : 0));
  };
  sections.push(
    `<h2>Violations and fallbacks</h2>` +
      plot({
        id: "plot-violations",
        title: "Cumulative count of steps with a plant constraint violation, solver failure, fallback, active slack",
        xLabel: "step",
        series: [
          { name: "violations", x: t, y: cum((s) => s.violations > 0), color: "#d62728" },
          { name: "solver failures", x: t, y: cum((s) => s.solver_failure) },
          { name: "fallbacks", x: t, y: cum((s) => s.fallback), dash: true },
          { name: "active slacks", x: t, y: cum((s) => s.active_slacks > 0), color: "#2ca02c" },
          { name: "rejected updates", x: t, y: cum((s) => s.rejected !== null), color: "#9467bd" },
        ],
      }),
  );

  const res: [string, unknown][] = Object.entries(summary).filter(([k]) => k !== "settings" && k !== "params");
  const title = `mpcrl run: ${String(settings.spec ?? "")} (${String(settings.algorithm ?? "")})`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1>
<h2>Results</h2>${table(res)}
${sections.join("\n")}
<h2>Final parameters</h2>${table(Object.entries((summary.params ?? {}) as Record<string, unknown>))}
<h2>Settings</h2>${table(Object.entries(settings).filter(([k]) => k !== "thetaNames"))}
</body></html>
`;
}

export function writeReport(dir: string): void {
  writeFileSync(join(dir, "report.html"), renderReport(dir));
}
