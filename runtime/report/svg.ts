// Minimal SVG line/bar plots for the run report: linear axes with "nice" ticks, polylines
// decimated to at most ~1500 points per series (min/max per bucket, so spikes stay visible).

export interface Series {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly color?: string;
  readonly dash?: boolean;
  readonly width?: number;
}

export interface PlotOptions {
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel?: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  readonly bars?: boolean;
}

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

function ticks(lo: number, hi: number, target: number): number[] {
  if (!(hi > lo)) return [lo];
  const st = niceStep(hi - lo, target);
  const out: number[] = [];
  for (let v = Math.ceil(lo / st) * st; v <= hi + st * 1e-9; v += st) out.push(Math.abs(v) < st * 1e-9 ? 0 : v);
  return out;
}

function label(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** Indices to draw: all if short, else the first, min, max and last of each bucket. */
function decimate(x: ArrayLike<number>, y: ArrayLike<number>, buckets = 700): number[] {
  const n = Math.min(x.length, y.length);
  if (n <= buckets * 2) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const s = Math.floor(b * size);
    const e = Math.min(n, Math.floor((b + 1) * size));
    let lo = s;
    let hi = s;
    for (let i = s; i < e; i++) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
    }
    out.push(...[s, lo, hi, e - 1].filter((v, k, arr) => arr.indexOf(v) === k).sort((a, c) => a - c));
  }
  return out;
}

export function plot(o: PlotOptions): string {
  const W = o.width ?? 860;
  const H = o.height ?? 280;
  const m = { l: 64, r: 150, t: 28, b: 40 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const s of o.series) {
    for (let i = 0; i < Math.min(s.x.length, s.y.length); i++) {
      if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
      xmin = Math.min(xmin, s.x[i]);
      xmax = Math.max(xmax, s.x[i]);
      ymin = Math.min(ymin, s.y[i]);
      ymax = Math.max(ymax, s.y[i]);
    }
  }
  const parts: string[] = [];
  parts.push(`<svg id="${esc(o.id)}" class="plot" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<text x="${m.l}" y="18" class="title">${esc(o.title)}</text>`);
  if (!Number.isFinite(xmin)) {
    parts.push(`<text x="${m.l + 10}" y="${m.t + ph / 2}">no data</text></svg>`);
    return parts.join("");
  }
  if (xmax === xmin) xmax = xmin + 1;
  if (ymax === ymin) {
    ymax += Math.abs(ymax) * 0.1 + 1e-9;
    ymin -= Math.abs(ymin) * 0.1 + 1e-9;
  }
  const pad = (ymax - ymin) * 0.05;
  ymin -= pad;
  ymax += pad;
  const sx = (v: number) => m.l + ((v - xmin) / (xmax - xmin)) * pw;
  const sy = (v: number) => m.t + ph - ((v - ymin) / (ymax - ymin)) * ph;
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" class="frame"/>`);
  for (const v of ticks(ymin, ymax, 5)) {
    const y = sy(v).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" class="grid"/><text x="${m.l - 6}" y="${y}" class="ytick">${label(v)}</text>`);
  }
  for (const v of ticks(xmin, xmax, 8)) {
    const x = sx(v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" class="axis"/><text x="${x}" y="${m.t + ph + 16}" class="xtick">${label(v)}</text>`);
  }
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 6}" class="xlabel">${esc(o.xLabel)}</text>`);
  if (o.yLabel) parts.push(`<text x="14" y="${m.t + ph / 2}" class="ylabel" transform="rotate(-90 14 ${m.t + ph / 2})">${esc(o.yLabel)}</text>`);
  o.series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    if (o.bars) {
      const n = Math.min(s.x.length, s.y.length);
      const bw = Math.max(1, (pw / Math.max(1, n)) * 0.8);
      for (let i = 0; i < n; i++) {
        const y0 = sy(Math.max(ymin, 0));
        const y1 = sy(s.y[i]);
        parts.push(`<rect x="${(sx(s.x[i]) - bw / 2).toFixed(1)}" y="${Math.min(y0, y1).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.abs(y0 - y1).toFixed(1)}" fill="${color}"><title>${esc(`${s.name}: ${label(s.y[i])}`)}</title></rect>`);
      }
    } else {
      const idx = decimate(s.x, s.y);
      const pts: string[] = [];
      for (const i of idx) if (Number.isFinite(s.y[i]) && Number.isFinite(s.x[i])) pts.push(`${sx(s.x[i]).toFixed(1)},${sy(s.y[i]).toFixed(1)}`);
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="${s.width ?? 1.2}"${s.dash ? ' stroke-dasharray="5,4"' : ""} points="${pts.join(" ")}"/>`);
      // markers when there are few points (a single episode is otherwise invisible)
      if (pts.length <= 60 && !s.dash) {
        for (const p of pts) {
          const [cx, cy] = p.split(",");
          parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
        }
      }
    }
    const ly = m.t + 12 + k * 16;
    parts.push(`<line x1="${m.l + pw + 10}" x2="${m.l + pw + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dash ? ' stroke-dasharray="5,4"' : ""}/><text x="${m.l + pw + 34}" y="${ly}" class="legend">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

/** Trailing moving average (window w). */
export function movingAverage(y: ArrayLike<number>, w: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    sum += y[i];
    if (i >= w) sum -= y[i - w];
    out.push(sum / Math.min(i + 1, w));
  }
  return out;
}
