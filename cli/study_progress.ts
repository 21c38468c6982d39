// Study progress on stderr: trials done, running, failed, the rate and an ETA; a redrawn line on a
// terminal, plain lines (every ~10% or 10 s) otherwise.

function duration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - 60 * m)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export class StudyProgress {
  private readonly t0 = Date.now();
  private finishedHere = 0;
  private lastLine = 0;
  private lastFrac = -1;
  private drawn = false;

  constructor(
    readonly total: number,
    /** Trials already recorded when this session started (resume). */
    private done: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty = stream.isTTY === true,
  ) {}

  failed = 0;
  running = 0;

  finished(ok: boolean): void {
    this.done++;
    this.finishedHere++;
    if (!ok) this.failed++;
  }

  text(): string {
    const frac = this.total > 0 ? this.done / this.total : 1;
    const width = 20;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - this.t0) / 1000;
    const rate = elapsed > 0 ? this.finishedHere / elapsed : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : NaN;
    return (
      `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${this.done}/${this.total} done, ${this.running} running, ${this.failed} failed | ` +
      `${(rate * 60).toFixed(1)} trials/min | ETA ${this.done >= this.total ? "0s" : duration(eta)}`
    );
  }

  /** A line about one trial (printed above the redrawn progress line). */
  log(line: string): void {
    if (this.tty && this.drawn) this.stream.write("\r\x1b[K");
    this.stream.write(line + "\n");
    this.drawn = false;
    this.draw();
  }

  draw(): void {
    const text = this.text();
    if (this.tty) {
      this.stream.write(`\r${text}\x1b[K`);
      this.drawn = true;
      return;
    }
    const frac = this.total > 0 ? this.done / this.total : 1;
    const now = Date.now();
    if (frac - this.lastFrac >= 0.1 || now - this.lastLine > 10_000 || this.done === this.total) {
      if (frac !== this.lastFrac) this.stream.write(text + "\n");
      this.lastFrac = frac;
      this.lastLine = now;
    }
  }

  end(): void {
    if (this.tty && this.drawn) this.stream.write("\n");
    this.drawn = false;
  }
}
