import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { QLearning } from "../../learn/q_learning.js";
import { QuadraticQ } from "../../learn/test/doubles.js";
import { RandomDisturbance } from "../../plants/disturbance.js";
import { LinearPlant } from "../../plants/linear.js";
import { renderReport, writeReport } from "../../report/html.js";
import { CheckpointError, runTraining, type RunSettings } from "../driver.js";
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

  it("refuses to resume a folder whose line files are shorter than its checkpoint counts, changing nothing", async () => {
    // a deleted or cut metrics.jsonl was resumed: "completed, 0 steps, J = 0" over the true summary
    const dir = join(root, "cut");
    const first = trainer();
    await runTraining({ dir, trainer: first.q, layout: first.mpc.params, settings });
    const summary = read(dir, "summary.json");
    for (const [f, edit] of [
      ["metrics.jsonl", () => rmSync(join(dir, "metrics.jsonl"))],
      ["metrics.csv", () => writeFileSync(join(dir, "metrics.csv"), read(dir, "metrics.csv").slice(0, 100))],
      ["params-history.jsonl", () => writeFileSync(join(dir, "params-history.jsonl"), "")],
    ] as const) {
      const saved = read(dir, f);
      edit();
      const again = trainer();
      const err = await runTraining({ dir, trainer: again.q, layout: again.mpc.params, settings, resume: true }).then(() => undefined, (e: unknown) => e);
      expect(err, f).toBeInstanceOf(CheckpointError);
      expect((err as Error).message).toMatch(new RegExp(`^--resume: '.*${f.replace(".", "\\.")}' holds \\d+ bytes but the checkpoint counts \\d+: the run's records were cut or deleted since, so it cannot be continued; restore the file, or start a new run \\(--out NEWDIR\\)$`));
      expect(read(dir, "summary.json")).toBe(summary);
      writeFileSync(join(dir, f), saved);
    }
    // restored: resumable again (a completed run resumes to the same files)
    const last = trainer();
    expect((await runTraining({ dir, trainer: last.q, layout: last.mpc.params, settings, resume: true })).status).toBe("completed");
  });

  it("a fresh run that fails before its first step leaves nothing; one that fails later keeps its steps, flushed", async () => {
    const failing = (after: number) => {
      const { q, mpc } = trainer();
      const step = q.step.bind(q);
      let n = 0;
      q.step = () => {
        if (n++ >= after) throw new Error("the plant broke");
        return step();
      };
      return { q, mpc };
    };
    const fresh = join(root, "fails-at-once");
    const a = failing(0);
    await expect(runTraining({ dir: fresh, trainer: a.q, layout: a.mpc.params, settings })).rejects.toThrow(/the plant broke/);
    expect(existsSync(fresh)).toBe(false);
    // a folder that was there stays, with its own files only
    const mine = join(root, "mine");
    mkdirSync(mine);
    writeFileSync(join(mine, "notes.txt"), "x");
    const b = failing(0);
    await expect(runTraining({ dir: mine, trainer: b.q, layout: b.mpc.params, settings })).rejects.toThrow(/the plant broke/);
    expect(readdirSync(mine)).toEqual(["notes.txt"]);
    const later = join(root, "fails-later");
    const c = failing(5);
    await expect(runTraining({ dir: later, trainer: c.q, layout: c.mpc.params, settings })).rejects.toThrow(/the plant broke/);
    expect(read(later, "metrics.jsonl").trim().split("\n")).toHaveLength(5);
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

  it("params-history.jsonl records theta at every step that changed it, reverts included (lazy check)", async () => {
    // huge SGD steps with the lazy check: updates are reverted at the next step, some steps revert
    // and apply a new update; those steps carry `rejected`, and their theta was missing (the
    // history kept the reverted parameters as if they had stayed until the episode's end)
    const dir = join(root, "reverts");
    const mpc = new QuadraticQ([0, 2, 0.5, 0.01], 0.9);
    const plant = new LinearPlant({ A: [0.9], B: [0.5], initialState: [0.2], Q: [1], R: [1] });
    const q = new QLearning(mpc, plant, { seed: 3, discount: 0.9, optimizer: { kind: "sgd", lr: 1e6 }, replay: { size: 50, sample: 20 }, exploration: { kind: "none" }, safety: { checkFeasibility: "lazy" } });
    const expected: { t: number; theta: number[] }[] = [{ t: -1, theta: Array.from(mpc.getTheta()) }];
    const step = q.step.bind(q);
    q.step = () => {
      const r = step();
      const theta = Array.from(q.getTheta());
      if (JSON.stringify(theta) !== JSON.stringify(expected[expected.length - 1].theta)) expected.push({ t: r.t, theta });
      return r;
    };
    await runTraining({ dir, trainer: q, layout: mpc.params, settings: { algorithm: "q_learning", episodes: 1, steps: 6, seed: 3 } });
    const steps = read(dir, "metrics.jsonl").trim().split("\n").map((l) => JSON.parse(l) as { type: string; rejected?: string | null }).filter((r) => r.type === "step");
    expect(steps.some((s) => s.rejected?.includes("update reverted"))).toBe(true);
    const history = read(dir, "params-history.jsonl").trim().split("\n").map((l) => JSON.parse(l) as { t: number; theta: number[] });
    expect(history.map((h) => ({ t: h.t, theta: h.theta }))).toEqual(expected);
    expect(expected.length).toBeGreaterThan(2);
  });

  it("maps theta to named JSON and back", () => {
    const mpc = new QuadraticQ([0.5, 1, 2, 3], 0.9);
    const json = thetaToJson(mpc.params, mpc.getTheta());
    expect(json).toEqual({ V0: 0.5, H: [1, 2, 3] });
    expect(Array.from(jsonToTheta(mpc.params, json, new Float64Array(4)))).toEqual([0.5, 1, 2, 3]);
    expect(thetaNames(mpc.params)).toEqual(["V0", "H[0]", "H[1]", "H[2]"]);
    expect(() => jsonToTheta(mpc.params, { W: 1 }, new Float64Array(4))).toThrow(/unknown parameter `W`/);
    expect(() => jsonToTheta(mpc.params, { H: [1, 2] }, new Float64Array(4))).toThrow(/`H` needs 3 finite number\(s\), got array of 2$/);
    // what was found, not only what is needed: JSON.parse reads 1e400 as Infinity
    expect(() => jsonToTheta(mpc.params, JSON.parse('{"V0": 1e400}'), new Float64Array(4))).toThrow(/^parameter `V0` needs 1 finite number\(s\), got V0 = Infinity \(a number beyond 1\.8e308, such as 1e400, reads as Infinity\)$/);
    expect(() => jsonToTheta(mpc.params, { H: [1, "2", 3] }, new Float64Array(4))).toThrow(/^parameter `H` needs 3 finite number\(s\), got H\[1\] = "2", a string$/);
    expect(() => jsonToTheta(mpc.params, { V0: null }, new Float64Array(4))).toThrow(/got V0 = null$/);
    expect(() => jsonToTheta(mpc.params, { H: { 0: 1 } }, new Float64Array(4))).toThrow(/`H` needs 3 finite number\(s\), got object$/);
  });
});
