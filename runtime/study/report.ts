// study.html: one self-contained page (inline SVG, no scripts, no network) from a study's records:
// the ranking with median and spread over seeds of the evaluation cost and violations, the
// evaluation cost of every seed per configuration, learning curves (median with the interquartile
// band over seeds) of the best configurations, the best configuration's parameters, the failed trials.
// Pure: returns the HTML text. Browser-safe.

import { aggregate, ranking, settingText, type ConfigStats, type Spread } from "./aggregate.js";
import type { TrialRecord } from "./types.js";

export interface StudyReportInfo {
  readonly spec: string;
  readonly specHash: string;
  readonly totalTrials: number;
  readonly evaluation: { readonly episodes: number; readonly steps?: number; readonly seed: number };
  readonly wallTime?: number;
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(5)));
const range = (s: Spread): string => `${num(s.median)} <span class="dim">[${num(s.min)}, ${num(s.max)}] n=${s.n}</span>`;
/** What backs a configuration's evaluation figures: seeds with a finite cost, each over the protocol's episodes. */
const backing = (c: ConfigStats, episodes: number): string =>
  `${c.evalCost.n} seed(s) x ${episodes} episode(s)${c.evalCost.n < c.completed ? ` <span class="bad">(${c.completed - c.evalCost.n} without a finite cost)</span>` : ""}`;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

function settingsText(c: ConfigStats): string {
  const parts = Object.entries(c.settings).map(([k, v]) => `${k} = ${settingText(v)}`);
  return parts.length ? parts.join(", ") : "(the spec as written)";
}

/** Per configuration (rank order), each seed's evaluation cost as a dot, the median as a bar. */
function seedsPlot(ranked: readonly ConfigStats[], records: readonly TrialRecord[]): string {
  const rows = ranked.filter((c) => c.completed > 0).slice(0, 30);
  if (rows.length === 0) return "";
  const costs = records.flatMap((r) => (r.status === "completed" && r.evaluation.cost !== null ? [r.evaluation.cost] : []));
  const lo = Math.min(...costs);
  const hi = Math.max(...costs);
  const W = 640, L = 70, R = 20, rowH = 18, H = rows.length * rowH + 40;
  const log = lo > 0 && hi / lo > 100;
  const f = (v: number): number => (log ? Math.log10(v) : v);
  const x = (v: number): number => L + (hi > lo ? ((f(v) - f(lo)) / (f(hi) - f(lo))) * (W - L - R) : (W - L - R) / 2);
  let svg = `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" font-size="11">`;
  rows.forEach((c, i) => {
    const y = 14 + i * rowH;
    svg += `<text x="4" y="${y + 4}">#${c.rank} (cfg ${c.config})</text><line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#eee"/>`;
    for (const r of records) if (r.config === c.config && r.status === "completed" && r.evaluation.cost !== null) svg += `<circle cx="${x(r.evaluation.cost).toFixed(1)}" cy="${y}" r="3" fill="${COLORS[0]}" fill-opacity="0.6"><title>seed ${r.seed}: ${num(r.evaluation.cost)}</title></circle>`;
    if (c.evalCost.median !== null) svg += `<line x1="${x(c.evalCost.median).toFixed(1)}" x2="${x(c.evalCost.median).toFixed(1)}" y1="${y - 7}" y2="${y + 7}" stroke="#000" stroke-width="2"/>`;
  });
  const yAxis = rows.length * rowH + 14;
  svg += `<line x1="${L}" x2="${W - R}" y1="${yAxis}" y2="${yAxis}" stroke="#888"/><text x="${L}" y="${yAxis + 14}">${num(lo)}</text><text x="${W - R}" y="${yAxis + 14}" text-anchor="end">${num(hi)}</text>`;
  svg += `<text x="${(L + W - R) / 2}" y="${yAxis + 14}" text-anchor="middle">evaluation cost per seed${log ? " (log scale)" : ""} (bar: median)</text></svg>`;
  return svg;
}

/** Learning curves of the top configurations: median over seeds, interquartile band (log scale over two decades). */
function curvesPlot(ranked: readonly ConfigStats[]): string {
  const top = ranked.filter((c) => c.completed > 0 && c.curve.length > 0).slice(0, COLORS.length);
  if (top.length === 0) return "";
  const W = 640, H = 260, L = 60, R = 20, T = 10, B = 30;
  const vals = top.flatMap((c) => c.curve.flatMap((s) => [s.q25, s.q75].filter((v): v is number => v !== null && Number.isFinite(v))));
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const log = lo > 0 && hi / lo > 100;
  const f = (v: number): number => (log ? Math.log10(v) : v);
  const n = Math.max(...top.map((c) => c.curve.length));
  const x = (i: number): number => L + (n > 1 ? (i / (n - 1)) * (W - L - R) : 0);
  const y = (v: number): number => T + (hi > lo ? (1 - (f(v) - f(lo)) / (f(hi) - f(lo))) * (H - T - B) : (H - T - B) / 2);
  let svg = `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" font-size="11">`;
  svg += `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#888"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#888"/>`;
  svg += `<text x="${L - 4}" y="${T + 8}" text-anchor="end">${num(hi)}</text><text x="${L - 4}" y="${H - B}" text-anchor="end">${num(lo)}</text>`;
  svg += `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">training progress (windows of steps): mean stage cost${log ? " (log scale)" : ""}, median over seeds, band interquartile</text>`;
  top.forEach((c, k) => {
    const pts = c.curve.map((s, i) => ({ i, s })).filter((p) => p.s.median !== null);
    if (pts.length === 0) return;
    const upper = pts.map((p) => `${x(p.i).toFixed(1)},${y(p.s.q75!).toFixed(1)}`);
    const lower = pts.map((p) => `${x(p.i).toFixed(1)},${y(p.s.q25!).toFixed(1)}`).reverse();
    svg += `<polygon points="${[...upper, ...lower].join(" ")}" fill="${COLORS[k]}" fill-opacity="0.15" stroke="none"/>`;
    svg += `<polyline points="${pts.map((p) => `${x(p.i).toFixed(1)},${y(p.s.median!).toFixed(1)}`).join(" ")}" fill="none" stroke="${COLORS[k]}" stroke-width="1.5"/>`;
    svg += `<text x="${W - R - 4}" y="${T + 12 + 13 * k}" text-anchor="end" fill="${COLORS[k]}">#${c.rank}: ${esc(settingsText(c))}</text>`;
  });
  return svg + "</svg>";
}

/** An object one member per line, arrays on one line. */
function compactJson(v: unknown): string {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return JSON.stringify(v);
  return `{\n${Object.entries(v as Record<string, unknown>).map(([k, x]) => `  ${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(",\n")}\n}`;
}

export function studyReportHtml(records: readonly TrialRecord[], info: StudyReportInfo): string {
  const stats = aggregate(records);
  const ranked = ranking(stats);
  const completed = records.filter((r) => r.status === "completed").length;
  const failed = records.filter((r) => r.status === "failed");
  const best = ranked.find((c) => c.rank === 1);
  const rows = ranked
    .map(
      (c) =>
        `<tr><td>${c.rank ?? "–"}</td><td>${c.config}</td><td>${esc(settingsText(c))}</td><td>${c.completed}/${c.trials}${c.failed ? ` <span class="bad">(${c.failed} failed)</span>` : ""}</td>` +
        `<td>${backing(c, info.evaluation.episodes)}</td><td>${range(c.evalCost)}</td><td>${num(c.evalCost.q25)} – ${num(c.evalCost.q75)}</td><td>${range(c.evalViolations)}</td><td>${range(c.finalJ)}</td></tr>`,
    )
    .join("\n");
  const ev = info.evaluation;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Study of ${esc(info.spec)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f4f4f4}.dim{color:#888}.bad{color:#b00}pre{background:#f6f6f6;padding:8px;overflow:auto}</style>
</head><body>
<h1>Study of ${esc(info.spec)}</h1>
<p>${records.length}/${info.totalTrials} trials recorded: ${completed} completed, ${failed.length} failed${info.wallTime !== undefined ? `; wall time ${info.wallTime.toFixed(1)} s` : ""}. Spec hash <code>${esc(info.specHash.slice(0, 16))}</code>.
Evaluation: the final parameters of each trial on ${ev.episodes} held-out episode(s)${ev.steps !== undefined ? ` of ${ev.steps} steps` : ""} from seed ${ev.seed} (the same episodes for every trial).</p>
<h2>Ranking</h2>
<p>By the median over seeds of the evaluation cost (mean cost per evaluation episode), then of the violations (violating steps per evaluation episode). Cells: median [min, max] n=values (seeds) behind it; "held out" counts the seeds with a finite evaluation cost and the evaluation episodes each ran.</p>
<table><tr><th>rank</th><th>config</th><th>settings</th><th>trials</th><th>held out</th><th>evaluation cost</th><th>interquartile</th><th>violations / episode</th><th>training J</th></tr>
${rows}
</table>
<h2>Evaluation cost of every seed</h2>
${seedsPlot(ranked, records)}
<h2>Learning curves</h2>
${curvesPlot(ranked)}
<h2>Best configuration</h2>
${best && best.best ? `<p>Configuration ${best.config}: ${esc(settingsText(best))}. Evaluation cost ${range(best.evalCost)} over ${backing(best, info.evaluation.episodes)}. Parameters of its best seed (${best.best.seed}, evaluation cost ${num(best.best.evalCost)}; also in <code>best-params.json</code>, for <code>mpcrl eval --params</code>):</p><pre>${esc(compactJson(best.best.params))}</pre>` : "<p>No trial completed.</p>"}
${failed.length ? `<h2>Failed trials</h2><table><tr><th>trial</th><th>config</th><th>seed</th><th>error</th></tr>${failed.map((r) => `<tr><td>${esc(r.id)}</td><td>${r.config}</td><td>${r.seed}</td><td>${esc(r.status === "failed" ? r.error : "")}</td></tr>`).join("")}</table>` : ""}
</body></html>
`;
}
