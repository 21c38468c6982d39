// Training progress on stderr: a redrawn bar on a terminal, plain lines (every ~10% or 10 s)
// otherwise. Shows episodes/steps, recent mean cost, recent mean |TD error|, violations, speed, ETA.

import type { Progress } from "../runtime/run/driver.js";

function duration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - 60 * m)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

const num = (v: number): string => (Number.isNaN(v) ? "-" : Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(3));

export function formatProgress(p: Progress, width = 24): string {
  const frac = p.totalSteps > 0 ? Math.min(1, p.t / p.totalSteps) : 0;
  const filled = Math.round(frac * width);
  const rate = p.elapsed > 0 ? p.t / p.elapsed : 0;
  const eta = rate > 0 ? (p.totalSteps - p.t) / rate : NaN;
  return (
    `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
    `ep ${p.episode + 1}/${p.episodes} step ${p.step}/${p.steps} | cost ${num(p.recentCost)} | |td| ${num(p.recentAbsTd)} | ` +
    `viol ${p.violations} | ${rate >= 1000 ? `${(rate / 1000).toFixed(1)}k` : rate.toFixed(0)} steps/s | ETA ${duration(eta)}`
  );
}

export class ProgressReporter {
  private lastLine = 0;
  private lastFrac = -1;
  private drawn = false;
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty = stream.isTTY === true,
    private readonly prefix = "",
  ) {}

  update(p: Progress): void {
    const text = this.prefix + formatProgress(p);
    if (this.tty) {
      this.stream.write(`\r${text}\x1b[K`);
      this.drawn = true;
      return;
    }
    const frac = p.totalSteps > 0 ? p.t / p.totalSteps : 0;
    const now = Date.now();
    if (frac - this.lastFrac >= 0.1 || now - this.lastLine > 10_000) {
      this.stream.write(text + "\n");
      this.lastFrac = frac;
      this.lastLine = now;
    }
  }

  done(): void {
    if (this.tty && this.drawn) this.stream.write("\n");
    this.drawn = false;
  }
}
