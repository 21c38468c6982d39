// Merging the metrics of runs that each took a range of independent episodes (parallel evaluation)
// into the metrics of one sequential run: step lines renumbered with global step numbers in episode
// order, episode lines kept. Pure text in, text out (the caller reads and writes the files).

import type { StepLine } from "./summary.js";

export interface MetricsPart {
  /** metrics.jsonl of the part. */
  readonly jsonl: string;
  /** metrics.csv of the part (header first). */
  readonly csv: string;
}

/** The parts, in episode order, as one run's metrics.jsonl and metrics.csv. */
export function mergeMetricsParts(parts: readonly MetricsPart[]): MetricsPart {
  const jsonl: string[] = [];
  const csv: string[] = [];
  let t = 0;
  let header = "";
  for (const p of parts) {
    const lines = p.jsonl.split("\n").filter((l) => l.length > 0);
    const csvLines = p.csv.split("\n").filter((l) => l.length > 0);
    header = csvLines[0];
    let k = 1;
    for (const l of lines) {
      const rec = JSON.parse(l) as StepLine | { type: "episode" };
      if (rec.type === "step") {
        jsonl.push(JSON.stringify({ ...rec, t }));
        const cols = csvLines[k++].split(",");
        cols[0] = String(t);
        csv.push(cols.join(","));
        t++;
      } else jsonl.push(l);
    }
  }
  return { jsonl: jsonl.join("\n") + "\n", csv: [header, ...csv].join("\n") + "\n" };
}
