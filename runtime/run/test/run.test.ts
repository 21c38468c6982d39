import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { QLearning } from "../../learn/q_learning.js";
import { QuadraticQ } from "../../learn/test/doubles.js";
import { RandomDisturbance } from "../../plants/disturbance.js";
import { LinearPlant } from "../../plants/linear.js";
import { renderReport, writeReport } from "../../report/html.js";
import { runTraining, type RunSettings } from "../driver.js";
import { jsonToTheta, thetaNames, thetaToJson } from "../params.js";
import { diagnosticsInputFromRun } from "../verdict.js";

const root = mkdtempSync(join(tmpdir(), "mpcrl-run-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const settings: RunSettings = {
  algorithm: "q_learning",
  episodes: 3,
  steps: 40,
  seed: 7,
  stateLower: [-0.5],
  stateUpper: [0.5],
  inputLower: [-1],
  inputUpper: [1],
};

function trainer(updateUnit: "steps" | "episodes" = "steps"): { q: QLearning; mpc: QuadraticQ } {
  const mpc = new QuadraticQ([0, 2, 0, 2], 0.9, -1, 1);
  const plant = new LinearPlant({
    A: [0.9],
    B: [0.5],
    initialState: [1],
    Q: [2],
    R: [2],
    stateLower: [-0.5],
    stateUpper: [0.5],
    penaltyLower: [10],
    penaltyUpper: [10],
    disturbance: new RandomDisturbance([{ kind: "normal", mean: 0, std: 0.1 }]),
  });
  const q = new QLearning(mpc, plant, {
    seed: 7,
    discount: 0.9,
    optimizer: { kind: "newton", lr: 0.05 },
    replay: { size: 20, sample: 10 },
    exploration: { kind: "ornstein_uhlenbeck", mean: 0, sigma: 0.2, theta: 0.15 },
    inputLower: [-1],
    inputUpper: [1],
    updateUnit,
  });
  return { q, mpc };
}

const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");

describe("run folder", () => {
  it("is bit-identical for the same seed", async () => {
    const a = join(root, "a");
    const b = join(root, "b");
    for (const dir of [a, b]) {
      const { q, mpc } = trainer();
      await runTraining({ dir, trainer: q, layout: mpc.params, settings });
    }
    for (const f of ["metrics.jsonl", "metrics.csv", "params-history.jsonl", "params.json"]) expect(read(a, f)).toBe(read(b, f));
    const lines = read(a, "metrics.jsonl").trim().split("\n");
    expect(lines.filter((l) => l.includes('"type":"step"'))).toHaveLength(120);
    expect(lines.filter((l) => l.includes('"type":"episode"'))).toHaveLength(3);
    const csv = read(a, "metrics.csv").trim().split("\n");
    expect(csv[0].startsWith("t,episode,step,cost,td_error")).toBe(true);
    expect(csv).toHaveLength(121);
  });

  it("resumed after a stop (mid-episode) ends with the same files as an uninterrupted run", async () => {
    const full = join(root, "full");
    const { q, mpc } = trainer();
    await runTraining({ dir: full, trainer: q, layout: mpc.params, settings });
    for (const stopAt of [55, 40, 13]) {
      const part = join(root, `part${stopAt}`);
      let n = 0;
      const first = trainer();
      const r1 = await runTraining({ dir: part, trainer: first.q, layout: first.mpc.params, settings, shouldStop: () => ++n >= stopAt, checkpointEvery: 7 });
      expect(r1.status).toBe("stopped");
      const second = trainer();
      const r2 = await runTraining({ dir: part, trainer: second.q, layout: second.mpc.params, settings, resume: true });
      expect(r2.status).toBe("completed");
      for (const f of ["metrics.jsonl", "metrics.csv", "params-history.jsonl", "params.json"]) expect(read(part, f)).toBe(read(full, f));
      expect(r2.summary.J).toBe(JSON.parse(read(full, "summary.json")).J);
    }
  });

  it("writes a well-formed, self-contained report with every plot", () => {
    const dir = join(root, "a");
    writeReport(dir);
    const html = renderReport(dir);
    expect(read(dir, "report.html")).toBe(html);
    for (const id of ["plot-state-0", "plot-input-0", "plot-td", "plot-cost-step", "plot-cost-episode", "plot-param-V0", "plot-param-H", "plot-violations"]) {
      expect(html).toContain(`id="${id}"`);
    }
    // no external resources, no scripts
    expect(html).not.toMatch(/<script|<link|src=|href="http/i);
    // tags balance (void elements aside)
    const voids = new Set(["meta", "br", "img", "hr", "input", "link"]);
    const stack: string[] = [];
    for (const m of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(\/?)>/g)) {
      const [, close, tag, self] = m;
      if (self === "/" || voids.has(tag.toLowerCase())) continue;
      if (close) expect(stack.pop()).toBe(tag);
      else stack.push(tag);
    }
    expect(stack).toEqual([]);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
  });

  it("counts the updates made at episode ends (`update every 1 episodes`) for the verdict", async () => {
    const dir = join(root, "per-episode");
    const { q, mpc } = trainer("episodes");
    await runTraining({ dir, trainer: q, layout: mpc.params, settings });
    const episodes = read(dir, "metrics.jsonl").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.type === "episode");
    expect(episodes.map((e) => e.updated)).toEqual([1, 1, 1]);
    const d = diagnosticsInputFromRun(dir, { algorithm: "q_learning" }, mpc.getTheta());
    expect(d.updatesAttempted).toBe(3);
  });

  it("maps theta to named JSON and back", () => {
    const mpc = new QuadraticQ([0.5, 1, 2, 3], 0.9);
    const json = thetaToJson(mpc.params, mpc.getTheta());
    expect(json).toEqual({ V0: 0.5, H: [1, 2, 3] });
    expect(Array.from(jsonToTheta(mpc.params, json, new Float64Array(4)))).toEqual([0.5, 1, 2, 3]);
    expect(thetaNames(mpc.params)).toEqual(["V0", "H[0]", "H[1]", "H[2]"]);
    expect(() => jsonToTheta(mpc.params, { W: 1 }, new Float64Array(4))).toThrow(/unknown parameter `W`/);
    expect(() => jsonToTheta(mpc.params, { H: [1, 2] }, new Float64Array(4))).toThrow(/`H` needs 3/);
  });
});
