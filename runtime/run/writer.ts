// The run folder: append-only line files with buffered writes, whose byte sizes are recorded in
// each checkpoint so that a resumed run first truncates anything written after it.
//   metrics.jsonl        one record per step ({"type":"step"...}) and per episode ({"type":"episode"...})
//   metrics.csv          the step records as a table
//   params-history.jsonl parameters after each change ({"t", "episode", "params", "theta", "state_lb"?, "state_ub"?})
//   params.json          final parameters by name;  summary.json  settings + results
//   checkpoint.json      trainer state + file sizes;  report.html  (runtime/report/)

import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export const LINE_FILES = ["metrics.jsonl", "metrics.csv", "params-history.jsonl"] as const;
export type LineFile = (typeof LINE_FILES)[number];

class LineSink {
  private fd: number;
  private buf: string[] = [];
  private bytes = 0;
  constructor(path: string, truncateTo?: number) {
    this.fd = openSync(path, existsSync(path) ? "r+" : "w+");
    const size = fstatSync(this.fd).size;
    const keep = truncateTo ?? 0;
    if (size !== keep) ftruncateSync(this.fd, Math.min(keep, size));
    this.size = Math.min(keep, size);
  }
  size: number;
  write(line: string): void {
    this.buf.push(line);
    this.bytes += line.length;
    if (this.buf.length >= 512 || this.bytes > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.buf.length === 0) return;
    const data = Buffer.from(this.buf.join("\n") + "\n", "utf8");
    writeSync(this.fd, data, 0, data.length, this.size);
    this.size += data.length;
    this.buf = [];
    this.bytes = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export class RunWriter {
  private readonly sinks: Record<LineFile, LineSink>;
  constructor(
    readonly dir: string,
    /** Byte sizes to truncate to (from a checkpoint); absent: start fresh. */
    sizes?: Readonly<Record<string, number>>,
  ) {
    mkdirSync(dir, { recursive: true });
    const entries = LINE_FILES.map((f) => [f, new LineSink(join(dir, f), sizes?.[f])] as const);
    this.sinks = Object.fromEntries(entries) as Record<LineFile, LineSink>;
  }

  line(file: LineFile, text: string): void {
    this.sinks[file].write(text);
  }

  /** Flushes and returns the byte size of each line file. */
  sizes(): Record<LineFile, number> {
    const out = {} as Record<LineFile, number>;
    for (const f of LINE_FILES) {
      this.sinks[f].flush();
      out[f] = this.sinks[f].size;
    }
    return out;
  }

  /** Writes a whole JSON file atomically (temp file + rename). */
  json(name: string, value: unknown): void {
    const path = join(this.dir, name);
    writeFileSync(path + ".tmp", JSON.stringify(value, null, 2) + "\n");
    renameSync(path + ".tmp", path);
  }

  text(name: string, value: string): void {
    const path = join(this.dir, name);
    writeFileSync(path + ".tmp", value);
    renameSync(path + ".tmp", path);
  }

  close(): void {
    for (const f of LINE_FILES) this.sinks[f].close();
  }

  /** Closes the line files and deletes them (a fresh run that failed before its first step). */
  discard(): void {
    this.close();
    for (const f of LINE_FILES) rmSync(join(this.dir, f), { force: true });
  }
}
