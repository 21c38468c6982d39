// `mpcrl study` and `mpcrl worker` (docs/studies.md) on cli/test/fixtures/study_tiny.mpcrl (12 short
// trials): the expansion; a local pool run as the reference; Ctrl-C then --resume ending with the
// reference's records (with another pool size); an unreachable Redis (exit 2, quickly); and, with a
// real redis-server started here on a free port (skipped visibly without one), the study over two
// worker processes, one killed mid-trial, a third with another spec version refusing its trials:
// every trial completes exactly once and study.jsonl equals the local run's, trial by trial; and a
// Bayesian-optimization study (search bayesopt) locally, interrupted and resumed, and over the queue;
// a second study of the same spec collecting the finished jobs without running them again; Ctrl-C on
// a queued study, a worker running its jobs meanwhile, and --resume collecting them.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandStudy } from "../../compiler/study.js";
import { settingSpec, settingsFor } from "../../lsp/training.js";
import { cliNodeArgs, freePort, hasRedis, root, runCli } from "./cli.js";

const spec = join(root, "cli/test/fixtures/study_tiny.mpcrl");
const boSpec = join(root, "cli/test/fixtures/study_bayesopt.mpcrl");
const tmp = mkdtempSync(join(tmpdir(), "mpcrl-study-test-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
  /** Resolves when stderr has matched `re` (with the match). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

function start(...args: string[]): Proc {
  const child = spawn(process.execPath, [...cliNodeArgs(), ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
  children.push(child);
  let out = "";
  let err = "";
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout!.on("data", (d: Buffer) => void (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    for (const w of [...waiters]) {
      const m = err.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return {
    child,
    out: () => out,
    err: () => err,
    exit,
    waitFor: (re, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const m = err.match(re);
        if (m) return resolve(m);
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${re} in:\n${err}`)), timeoutMs);
        waiters.push({ re, resolve: (x) => (clearTimeout(t), resolve(x)) });
      }),
  };
}

type Rec = Record<string, unknown> & { id: string; status: string };
/** study.jsonl without the fields that depend on where and when a trial ran. */
function records(dir: string): Rec[] {
  return readFileSync(join(dir, "study.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const { wallTime: _w, host: _h, ...r } = JSON.parse(l) as Rec;
      return r as Rec;
    });
}

const reference = join(tmp, "local");
const boReference = join(tmp, "bo-local");

describe("mpcrl study", () => {
  it("expands the study: 3 x 2 configurations x 2 seeds, each spec with its values written in and no study", () => {
    const { study, diagnostics } = expandStudy(readFileSync(spec, "utf8"));
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(study!.configs.length).toBe(6);
    expect(study!.trials.length).toBe(12);
    expect(study!.configs[5].settings).toEqual({ "optimizer.lr": 0.1, "update.period": 4 });
    const src = study!.configs[5].source;
    expect(src).toContain("optimizer newton(lr = 0.1)");
    expect(src).toContain("update every 4 steps");
    expect(src).not.toMatch(/study\s*\{/);
    expect(src).toContain("  seed 1\n}\n");
    for (const c of study!.configs) expect(expandStudy(c.source).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // random draws: deterministic, inside the range, integers for an integer setting
    const text = readFileSync(spec, "utf8").replace("seeds 2", "seeds 2\n    random trust_region in log_uniform(0.01, 0.5)\n    random replay sample in uniform(1, 3)\n    samples 3");
    const a = expandStudy(text).study!;
    const b = expandStudy(text).study!;
    expect(a.configs.length).toBe(18);
    expect(a.configs.map((c) => c.settings)).toEqual(b.configs.map((c) => c.settings));
    for (const c of a.configs) {
      const tr = c.settings["trust_region"] as number;
      const rs = c.settings["replay.sample"] as number;
      expect(tr).toBeGreaterThanOrEqual(0.01);
      expect(tr).toBeLessThanOrEqual(0.5);
      expect([1, 2, 3]).toContain(rs);
    }
  });

  it("`mpcrl train` trains the spec as written (the study ignored); the editor documents the study's entries", async () => {
    const r = await runCli("train", spec, "--out", join(tmp, "train"), "--steps", "5", "--episodes", "1");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training completed: 1 episode\(s\), 5 steps/);
    for (const key of ["study", "grid", "random", "samples", "search", "seeds", "evaluate"]) expect(settingSpec(key)?.doc, key).toBeTruthy();
    expect(settingsFor(undefined).map((x) => x.key)).toContain("study");
  }, 120_000);

  it("runs the 12 trials on a local pool: study.jsonl, csv, html, best-params.json; a configuration's seeds ranked", async () => {
    const p = start("study", spec, "--out", reference, "--workers", "2");
    expect(await p.exit, p.err()).toBe(0);
    const recs = records(reference);
    expect(recs.length).toBe(12);
    expect(new Set(recs.map((r) => r.id)).size).toBe(12);
    expect(recs.every((r) => r.status === "completed")).toBe(true);
    expect(recs.map((r) => r["trial"])).toEqual([...Array(12).keys()]);
    const csv = readFileSync(join(reference, "study.csv"), "utf8").trim().split("\n");
    expect(csv.length).toBe(13);
    expect(csv[0]).toMatch(/^id,trial,config,seed,status,optimizer\.lr,update\.period,final_J/);
    const html = readFileSync(join(reference, "study.html"), "utf8");
    expect(html).toContain("<h2>Ranking</h2>");
    expect(html).toContain("<h2>Learning curves</h2>");
    expect(existsSync(join(reference, "best-params.json"))).toBe(true);
    expect(p.out()).toMatch(/study done: 12\/12 trials completed, 0 failed/);
    expect(p.out()).toMatch(/#1 config \d: optimizer\.lr = /);
    expect(p.err()).toMatch(/\d+\/12 done, \d+ running, 0 failed \| [\d.]+ trials\/min \| ETA/);
  }, 240_000);

  it("Ctrl-C leaves a consistent folder (exit 130); --resume runs only the missing trials and ends with the reference's records", async () => {
    const dir = join(tmp, "resumed");
    const p = start("study", spec, "--out", dir, "--workers", "1");
    await p.waitFor(/trial \d+\/12 .*\n(.|\n)*trial \d+\/12 /);
    p.child.kill("SIGINT");
    expect(await p.exit, p.err()).toBe(130);
    expect(p.out()).toContain(`mpcrl study --resume ${dir}`);
    const partial = records(dir);
    expect(partial.length).toBeGreaterThanOrEqual(2);
    expect(partial.length).toBeLessThan(12);
    // the spec argument under train --resume's rule (runtime/run/spec.ts): an edited body is
    // refused with the folder untouched, an edit of comments and layout is the same spec
    const original = readFileSync(spec, "utf8");
    const edited = join(tmp, "resumed-edited.mpcrl");
    writeFileSync(edited, original.replace("seeds 2", "seeds 3"));
    const refused = await runCli("study", edited, "--resume", dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--resume: '.*resumed-edited\.mpcrl' changed since the study started/);
    expect(records(dir)).toEqual(partial);
    const commented = join(tmp, "resumed-commented.mpcrl");
    writeFileSync(commented, `// the study, resumed\n${original.replace(/\n/g, "\n\n")}`);
    const q = start("study", commented, "--resume", dir, "--workers", "2");
    expect(await q.exit, q.err()).toBe(0);
    expect(q.err()).toContain(`${partial.length} already done`);
    expect(q.err().match(/^trial /gm)?.length).toBe(12 - partial.length);
    expect(records(dir)).toEqual(records(reference));
  }, 240_000);

  it("search bayesopt: 3 draws then 2 rounds of 2 proposals; Ctrl-C after a round and --resume end with an uninterrupted run's records", async () => {
    const p = start("study", boSpec, "--out", boReference, "--workers", "2");
    expect(await p.exit, p.err()).toBe(0);
    expect(p.err().match(/^round \d\/2 of Bayesian optimization: /gm)?.length).toBe(2);
    const recs = records(boReference);
    expect(recs.length).toBe(14);
    expect(new Set(recs.map((r) => r["config"])).size).toBe(7);
    const meta = JSON.parse(readFileSync(join(boReference, "study.json"), "utf8")) as { trials: unknown[]; configs: number };
    expect(meta.trials.length).toBe(14);
    expect(meta.configs).toBe(7);
    // the proposals stay inside the ranges, an integer setting's are integers
    for (const r of recs) {
      const st = r["settings"] as Record<string, number>;
      expect(st["optimizer.lr"]).toBeGreaterThanOrEqual(1e-3);
      expect(st["optimizer.lr"]).toBeLessThanOrEqual(0.3);
      expect(Number.isInteger(st["update.period"])).toBe(true);
    }
    const dir = join(tmp, "bo-resumed");
    const q = start("study", boSpec, "--out", dir, "--workers", "1");
    await q.waitFor(/^round 1\/2 of Bayesian optimization: /m);
    q.child.kill("SIGINT");
    expect(await q.exit, q.err()).toBe(130);
    const r = start("study", "--resume", dir, "--workers", "2");
    expect(await r.exit, r.err()).toBe(0);
    expect(records(dir)).toEqual(records(boReference));
  }, 240_000);

  it("an unreachable Redis: a one-line error and exit 2, quickly, for `study --queue` and `worker`", async () => {
    const t0 = Date.now();
    const p = start("study", spec, "--queue", "redis://127.0.0.1:1", "--out", join(tmp, "never"));
    const w = start("worker", spec, "--queue", "redis://127.0.0.1:1");
    expect(await p.exit).toBe(2);
    expect(await w.exit).toBe(2);
    expect(p.err().trim().split("\n").pop()).toBe("mpcrl study: cannot reach Redis at redis://127.0.0.1:1: ECONNREFUSED 127.0.0.1:1");
    expect(w.err().trim()).toBe("mpcrl worker: cannot reach Redis at redis://127.0.0.1:1: ECONNREFUSED 127.0.0.1:1");
    expect(existsSync(join(tmp, "never"))).toBe(false);
    expect(Date.now() - t0).toBeLessThan(60_000); // start-up of two CLIs on a loaded machine; the probe itself fails in milliseconds
  }, 120_000);
});

if (!hasRedis) console.warn("SKIPPED: the BullMQ study test needs `redis-server` (Debian: apt-get install redis-server; .ci/run installs it)");

describe.skipIf(!hasRedis)("mpcrl study --queue with a real redis-server", () => {
  it("12 trials over two workers, one killed mid-trial, one of another spec version refusing: each trial completes once, results equal the local run's", async () => {
    const port = await freePort();
    const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    children.push(redis);
    const url = `redis://127.0.0.1:${port}`;
    // wait until it answers
    for (let i = 0; i < 50 && spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout?.trim() !== "PONG"; i++) await new Promise((r) => setTimeout(r, 100));
    const other = join(tmp, "other_version.mpcrl");
    writeFileSync(other, readFileSync(spec, "utf8").replace("// A tiny study", "// Another version of a tiny study"));
    const stranger = start("worker", other, "--queue", url, "--concurrency", "1");
    await stranger.waitFor(/ready/);
    const a = start("worker", spec, "--queue", url, "--concurrency", "1", "--lock-ms", "1500");
    const b = start("worker", spec, "--queue", url, "--concurrency", "1", "--lock-ms", "1500");
    await Promise.all([a.waitFor(/ready/), b.waitFor(/ready/)]);
    const dir = join(tmp, "queued");
    const study = start("study", spec, "--queue", url, "--out", dir);
    // the stranger refuses (its spec hash differs) and is stopped; worker a is killed in its first trial
    await stranger.waitFor(/refusing trials of another spec version/);
    stranger.child.kill("SIGINT");
    const [, killedId] = await a.waitFor(/start ([0-9a-f]{16})/);
    a.child.kill("SIGKILL");
    expect(await study.exit, study.err()).toBe(0);
    expect(await stranger.exit).toBe(0);
    expect(stranger.err()).not.toMatch(/\bdone\b/);
    b.child.kill("SIGINT");
    expect(await b.exit).toBe(0);
    // every trial completed exactly once (a's trial never completed there; b ran it again after the stall)
    const done = [...a.err().matchAll(/done ([0-9a-f]{16}) completed/g), ...b.err().matchAll(/done ([0-9a-f]{16}) completed/g)].map((m) => m[1]);
    expect(done.length).toBe(12);
    expect(new Set(done).size).toBe(12);
    expect(a.err()).not.toContain(`done ${killedId}`);
    expect(b.err()).toContain(`done ${killedId}`);
    expect(records(dir)).toEqual(records(reference));

    // Bayesian optimization over the queue: workers build the proposed configurations from the jobs' settings
    const w1 = start("worker", boSpec, "--queue", url, "--concurrency", "1");
    const w2 = start("worker", boSpec, "--queue", url, "--concurrency", "1");
    await Promise.all([w1.waitFor(/ready/), w2.waitFor(/ready/)]);
    const boDir = join(tmp, "bo-queued");
    const bo = start("study", boSpec, "--queue", url, "--out", boDir);
    expect(await bo.exit, bo.err()).toBe(0);
    w1.child.kill("SIGINT");
    w2.child.kill("SIGINT");
    await Promise.all([w1.exit, w2.exit]);
    expect(records(boDir)).toEqual(records(boReference));

    // no worker is running: a new study of the same spec on the same queue collects the finished
    // jobs (job id = trial id) without running any trial again
    const again = start("study", spec, "--queue", url, "--out", join(tmp, "queued-again"));
    expect(await again.exit, again.err()).toBe(0);
    expect(records(join(tmp, "queued-again"))).toEqual(records(reference));

    // Ctrl-C on a queued study leaves the folder consistent and the jobs queued; a worker runs them
    // meanwhile, and --resume collects them
    const stoppedDir = join(tmp, "queued-stopped");
    const s1 = start("study", spec, "--queue", url, "--queue-name", "second", "--out", stoppedDir);
    await s1.waitFor(/enqueued 12 trials on the queue second/);
    s1.child.kill("SIGINT");
    expect(await s1.exit, s1.err()).toBe(130);
    expect(s1.out()).toContain(`mpcrl study --resume ${stoppedDir} --queue ${url}`);
    expect(existsSync(join(stoppedDir, "study.json"))).toBe(true);
    expect(records(stoppedDir)).toEqual([]);
    const w3 = start("worker", spec, "--queue", url, "--queue-name", "second", "--concurrency", "1");
    const s2 = start("study", "--resume", stoppedDir, "--queue", url, "--queue-name", "second");
    expect(await s2.exit, s2.err()).toBe(0);
    w3.child.kill("SIGINT");
    expect(await w3.exit).toBe(0);
    expect(w3.err().match(/done [0-9a-f]{16} completed/g)?.length).toBe(12);
    expect(records(stoppedDir)).toEqual(records(reference));
    redis.kill("SIGTERM");
  }, 300_000);
});
