// Minimal SVG line/point/bar plots for the run report: linear (or log10) axes with "nice" ticks,
// polylines decimated to at most ~2800 points per series (first/min/max/last per bucket, so spikes
// stay visible). Series without an explicit colour take palette colours not used by the others, so
// the series of one plot always have distinct colours.

export interface Series {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly color?: string;
  readonly dash?: boolean;
  /** Dash pattern (SVG stroke-dasharray) instead of the default "5,4". */
  readonly dashArray?: string;
  readonly width?: number;
  /** "line" (default) or "points" (markers only, e.g. one per evaluation). */
  readonly style?: "line" | "points";
  /** Markers on a line with few points (default true; never on a flat two-point line such as a bound). */
  readonly markers?: boolean;
  /** Marker radius for "points" (default 3). */
  readonly radius?: number;
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
  /** log10 y axis (non-positive values are left out). */
  readonly logY?: boolean;
  /** A note under the title (small, grey). */
  readonly note?: string;
}

/** Tableau 10: distinguishable, also in greyscale print order. */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

/** Colours for the series of one plot: explicit ones kept, the others the first unused palette colours. */
export function seriesColors(series: readonly Pick<Series, "color">[]): string[] {
  const used = new Set(series.map((s) => s.color?.toLowerCase()).filter((c): c is string => c !== undefined));
  const free = PALETTE.filter((c) => !used.has(c));
  let k = 0;
  return series.map((s) => s.color ?? (free.length > 0 ? free[k++ % free.length] : PALETTE[k++ % PALETTE.length]));
}

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

/** Ticks of a log10 axis (lo, hi in log10 units): powers of ten, or 1-2-5 / 1..9 steps within a short range. */
function logTicks(lo: number, hi: number): number[] {
  const within = (m: readonly number[]): number[] => {
    const out: number[] = [];
    for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) for (const k of m) {
      const v = d + Math.log10(k);
      if (v >= lo - 1e-9 && v <= hi + 1e-9) out.push(v);
    }
    return out;
  };
  const span = hi - lo;
  if (span > 8) return ticks(Math.ceil(lo), Math.floor(hi), 6).filter((v) => Math.abs(v - Math.round(v)) < 1e-9);
  for (const m of [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const t = within(m);
    if (t.length >= 3) return t;
  }
  return ticks(lo, hi, 5);
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
  const W = o.width ?? 1000;
  const H = o.height ?? 280;
  const m = { l: 70, r: Math.min(220, Math.round(W * 0.26)), t: o.note ? 40 : 28, b: 40 };
  if (o.logY) {
    const tr = (y: ArrayLike<number>): number[] => Array.from(y, (v) => (v > 0 ? Math.log10(v) : NaN));
    const tickLabel = (v: number): string => {
      const x = Math.pow(10, v);
      return v >= -3 && v <= 5 ? label(Number(x.toPrecision(2))) : x.toExponential(0).replace("e+", "e");
    };
    return plot({ ...o, logY: false, series: o.series.map((s) => ({ ...s, y: tr(s.y) })), yTickLabel: tickLabel, logTicks: true } as PlotOptions);
  }
  const internal = o as PlotOptions & { yTickLabel?: (v: number) => string; logTicks?: boolean };
  const colors = seriesColors(o.series);
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
  if (o.note) parts.push(`<text x="${m.l}" y="32" class="note">${esc(o.note)}</text>`);
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
  const yt = internal.logTicks ? logTicks(ymin, ymax) : ticks(ymin, ymax, 5);
  for (const v of yt.length > 0 ? yt : ticks(ymin, ymax, 5)) {
    const y = sy(v).toFixed(1);
    const text = internal.yTickLabel && yt.length > 0 ? internal.yTickLabel(v) : label(v);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" class="grid"/><text x="${m.l - 6}" y="${y}" class="ytick">${esc(text)}</text>`);
  }
  for (const v of ticks(xmin, xmax, 8)) {
    const x = sx(v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" class="axis"/><text x="${x}" y="${m.t + ph + 16}" class="xtick">${label(v)}</text>`);
  }
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 6}" class="xlabel">${esc(o.xLabel)}</text>`);
  if (o.yLabel) parts.push(`<text x="14" y="${m.t + ph / 2}" class="ylabel" transform="rotate(-90 14 ${m.t + ph / 2})">${esc(o.yLabel)}</text>`);
  o.series.forEach((s, k) => {
    const color = colors[k];
    const dash = s.dash || s.dashArray ? ` stroke-dasharray="${s.dashArray ?? "5,4"}"` : "";
    if (o.bars) {
      const n = Math.min(s.x.length, s.y.length);
      const bw = Math.max(1, (pw / Math.max(1, n)) * 0.8);
      for (let i = 0; i < n; i++) {
        const y0 = sy(Math.max(ymin, 0));
        const y1 = sy(s.y[i]);
        parts.push(`<rect x="${(sx(s.x[i]) - bw / 2).toFixed(1)}" y="${Math.min(y0, y1).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.abs(y0 - y1).toFixed(1)}" fill="${color}"><title>${esc(`${s.name}: ${label(s.y[i])}`)}</title></rect>`);
      }
    } else if (s.style === "points") {
      const n = Math.min(s.x.length, s.y.length);
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
        parts.push(`<circle cx="${sx(s.x[i]).toFixed(1)}" cy="${sy(s.y[i]).toFixed(1)}" r="${s.radius ?? 3}" fill="${color}"><title>${esc(`${s.name}: ${label(s.x[i])}, ${label(s.y[i])}`)}</title></circle>`);
      }
    } else {
      const idx = decimate(s.x, s.y);
      const pts: string[] = [];
      for (const i of idx) if (Number.isFinite(s.y[i]) && Number.isFinite(s.x[i])) pts.push(`${sx(s.x[i]).toFixed(1)},${sy(s.y[i]).toFixed(1)}`);
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="${s.width ?? 1.2}"${dash} points="${pts.join(" ")}"/>`);
      // markers when there are few points (a single point is otherwise invisible)
      if (pts.length <= 60 && !dash && s.markers !== false && !(pts.length === 2 && s.y[0] === s.y[1])) {
        for (const p of pts) {
          const [cx, cy] = p.split(",");
          parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
        }
      }
    }
    const ly = m.t + 8 + k * 16;
    const mark =
      s.style === "points"
        ? `<circle cx="${m.l + pw + 20}" cy="${ly}" r="${s.radius ?? 3}" fill="${color}"/>`
        : `<line x1="${m.l + pw + 10}" x2="${m.l + pw + 30}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`;
    parts.push(`${mark}<text x="${m.l + pw + 34}" y="${ly}" class="legend">${esc(s.name)}</text>`);
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
