// `mpcrl train` / `mpcrl eval` end to end: exit codes, the run folder, Ctrl-C + resume.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import { cliNodeArgs, root, runCli, spawnCli } from "./cli.js";

const spec = join(root, "examples/gros_zanon/linear_mpc.mpcrl");
const tmp = mkdtempSync(join(tmpdir(), "mpcrl-cli-train-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// the compiled CLI when dist/cli is fresh (npm run build:cli), else the sources through tsx
const mpcrl = spawnCli;

describe("mpcrl train / eval", () => {
  it("exits 2 with a one-line message on bad flags and unreadable files", () => {
    for (const [args, pattern] of [
      [["train", spec, "--steps", "0"], /--steps expects a positive integer/],
      [["train", spec, "--seed", "x"], /--seed expects a non-negative integer/],
      [["train", spec, "--seeds", "5..2"], /--seeds range/],
      [["train", join(tmp, "missing.mpcrl")], /cannot read the spec .*no such file/],
      [["train", spec, "--disturbance", join(tmp, "none.json")], /disturbance file .*no such file/],
      [["train", spec, "--resume", tmp], /has no checkpoint.json/],
      [["eval", spec, "--params", join(tmp, "none.json")], /cannot read the parameters file/],
    ] as const) {
      const r = mpcrl(...args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it("exits 1 with rendered diagnostics on a spec with errors", () => {
    const bad = join(tmp, "bad.mpcrl");
    writeFileSync(bad, readFileSync(spec, "utf8").replace("dynamics x+ = A*x + B*u + b", "dynamics x+ = A*x + B*u + bb"));
    const r = mpcrl("train", bad, "--steps", "5");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[MPC2\d{3}\]/);
  });

  it("trains, writes the run folder and evaluates the learned parameters", () => {
    const out = join(tmp, "run");
    const r = mpcrl("train", spec, "--steps", "12", "--out", out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training completed: 1 episode\(s\), 12 steps/);
    for (const f of ["metrics.jsonl", "metrics.csv", "params.json", "params-history.jsonl", "checkpoint.json", "summary.json", "report.html"]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { steps: number; J: number };
    expect(summary.steps).toBe(12);
    const costs = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; cost: number })
      .filter((l) => l.type === "step")
      .map((l) => l.cost);
    expect(summary.J).toBeCloseTo(costs.reduce((a, b) => a + b, 0), 10);
    // same spec and seed: bit-identical metrics
    const again = mpcrl("train", spec, "--steps", "12", "--out", join(tmp, "run2"));
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(tmp, "run2", "metrics.jsonl"), "utf8")).toBe(readFileSync(join(out, "metrics.jsonl"), "utf8"));
    const ev = mpcrl("eval", spec, "--params", join(out, "params.json"), "--steps", "8", "--out", join(tmp, "eval"));
    expect(ev.status, ev.stderr).toBe(0);
    expect(ev.stdout).toMatch(/evaluation completed: 1 episode\(s\), 8 steps/);
    const bad = join(tmp, "params_bad.json");
    writeFileSync(bad, JSON.stringify({ V0: [1, 2] }));
    const ev2 = mpcrl("eval", spec, "--params", bad, "--steps", "3", "--out", join(tmp, "eval2"));
    expect(ev2.status).toBe(2);
    expect(ev2.stderr).toMatch(/`V0` needs 1 finite number/);
  });

  it("ends with a verdict: theta0 and the learned parameters on the same held-out episodes (verdict.json, the verdict line); --no-eval skips it", async () => {
    const out = join(tmp, "verdict");
    const r = await runCli("train", spec, "--steps", "300", "--eval-episodes", "4", "--eval-steps", "200", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/verdict: evaluating the initial and the learned parameters on 4 held-out episode\(s\) of 200 steps \(seed 1000\)/);
    const line = /^verdict: (learning helped|no significant difference|learning made it worse|no difference): cost .*\(95% CI .* to .*, 4 paired episodes\)$/m;
    expect(r.stdout).toMatch(line);
    const v = JSON.parse(readFileSync(join(out, "verdict.json"), "utf8")) as Record<string, any>;
    expect(Object.keys(v)).toEqual(["version", "line", "outcome", "evaluation", "initial", "learned", "comparison", "episodes", "diagnostics", "hints", "notes"]);
    expect(r.stdout).toContain(`verdict: ${v.line}`);
    expect(v.evaluation).toEqual({ episodes: 4, steps: 200, seed: 1000, source: "flags (--eval-episodes, --eval-steps), defaults for the rest" });
    for (const arm of [v.initial, v.learned]) {
      expect(Object.keys(arm)).toEqual(["episodes", "failedEpisodes", "meanCost", "violationSteps", "violatingEpisodes", "solverFailures", "fallbacks"]);
      expect(arm.episodes).toBe(4);
    }
    const c = v.comparison;
    expect(c.n).toBe(4);
    expect(c.df).toBe(3);
    expect(c.tQuantile).toBeCloseTo(3.182446, 5);
    expect(c.ci95[0]).toBeLessThanOrEqual(c.meanDifference);
    expect(typeof c.significant).toBe("boolean");
    expect(v.episodes).toHaveLength(4);
    // paired: the same plant seeds, and the learned arm's mean is the mean of its episodes
    expect(new Set(v.episodes.map((e: { plantSeed: number }) => e.plantSeed)).size).toBe(4);
    expect(v.learned.meanCost).toBeCloseTo(v.episodes.reduce((s: number, e: { learned: { cost: number } }) => s + e.learned.cost, 0) / 4, 9);
    expect(v.diagnostics.td.count).toBe(300);
    expect(v.diagnostics.updates.attempted).toBe(300);
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain(`<p id="verdict-line"><b>${v.line}</b></p>`);
    const skip = join(tmp, "noeval");
    const n = await runCli("train", spec, "--steps", "5", "--no-eval", "--out", skip);
    expect(n.code, n.stderr).toBe(0);
    expect(n.stdout).toMatch(/^verdict: none \(--no-eval/m);
    expect(existsSync(join(skip, "verdict.json"))).toBe(false);
  }, 120_000);

  it("evaluates episodes in parallel workers with the same results as a sequential run", async () => {
    const par = join(tmp, "eval_par");
    const r = mpcrl("eval", spec, "--episodes", "3", "--steps", "6", "--out", par);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/evaluating 3 episodes on \d+ worker threads/);
    const { runJob } = await import("../train_run.js");
    const seq = join(tmp, "eval_seq");
    await runJob({ specPath: spec, flags: { episodes: "3", steps: "6" }, seed: 69, dir: seq, resume: false, learn: false });
    // Equal up to solver rounding: a worker's controller starts fresh, while in one process the
    // solver's adaptive state (rho, factorization) carries over from episode to episode.
    const parse = (d: string) => readFileSync(join(d, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const a = parse(par);
    const b = parse(seq);
    expect(a.length).toBe(b.length);
    a.forEach((x, i) => {
      expect(Object.keys(x)).toEqual(Object.keys(b[i]));
      for (const k of Object.keys(x)) {
        const u = x[k];
        const v = b[i][k];
        if (typeof u === "number") expect(Math.abs(u - (v as number))).toBeLessThan(1e-9 * (1 + Math.abs(u)));
        else if (Array.isArray(u)) u.forEach((e, j) => expect(Math.abs((e as number) - (v as number[])[j])).toBeLessThan(1e-9));
        else expect(u).toEqual(v);
      }
    });
  }, 120_000);

  it("stops on SIGINT with a checkpoint, and --resume ends like an uninterrupted run", async () => {
    const out = join(tmp, "stopped");
    // node itself, so that the signal goes straight to the CLI process
    const child = spawn(process.execPath, [...cliNodeArgs(), "train", spec, "--steps", "400", "--out", out], { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        // interrupt once training is under way
        if (/ep 1\/1 step \d+\/400/.test(stderr) && !child.killed) child.kill("SIGINT");
      });
      child.on("exit", (c) => resolve(c));
    });
    expect(code, stderr).toBe(130);
    const cp = JSON.parse(readFileSync(join(out, "checkpoint.json"), "utf8")) as { inEpisode: boolean; trainer: { step: number } };
    expect(cp.inEpisode).toBe(true);
    expect(cp.trainer.step).toBeGreaterThan(0);
    expect(cp.trainer.step).toBeLessThan(400);
    const r = mpcrl("train", spec, "--resume", out);
    expect(r.status, r.stderr).toBe(0);
    const steps = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; t: number })
      .filter((l) => l.type === "step");
    expect(steps.map((s) => s.t)).toEqual(Array.from({ length: 400 }, (_, i) => i));
  }, 300_000);
});
