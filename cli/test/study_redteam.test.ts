// Red team of `mpcrl study` (docs/studies.md), in process: a study that cannot run as asked (a
// repeated grid value, random integer draws that repeat a configuration, a seed not exact in a
// double) is refused in one line before any folder exists; `--out` never mixes a study into a
// training run nor replaces a user's file named like a study's, and `--force` moves the old study
// aside, putting it back when the new one records no trial; the report says how many seeds and
// episodes back each figure; and, with a real redis-server (skipped visibly without one), a Redis
// that goes away mid-study ends the study with a one-line error instead of a silent hang.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { studyProblem } from "../../runtime/study/check.js";
import { studyReportHtml } from "../../runtime/study/report.js";
import type { TrialRecord } from "../../runtime/study/types.js";
import { loadStudy } from "../study.js";
import { checkStudyDir, claimStudyDir, StudyFolder, studyMeta } from "../study_folder.js";
import { CliError } from "../train_setup.js";
import { freePort, hasRedis, root } from "./cli.js";

const tmp = mkdtempSync(join(tmpdir(), "mpcrl-study-redteam-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const tiny = readFileSync(join(root, "cli/test/fixtures/study_tiny.mpcrl"), "utf8");
const withStudy = (body: string): string => tiny.replace(/study \{[\s\S]*?\n {2}\}/, `study {\n${body}\n  }`);

function refusal(f: () => unknown): CliError {
  try {
    f();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error("not refused");
}

describe("a study that cannot run as asked is refused in one line (runtime/study/check.ts)", () => {
  it("a repeated grid value (0.01 and 1e-2 are one double; vectors; calls), random integer draws repeating a configuration", () => {
    const cases: [string, RegExp][] = [
      ["    grid optimizer lr in [0.01, 1e-2]\n    seeds 1", /^s\.mpcrl: the grid of `optimizer\.lr` lists 0\.01 twice/],
      ["    grid learnable b in [[0, 0], [0, 0]]\n    seeds 1", /the grid of `learnable b` lists \[0, 0\] twice/],
      ["    grid optimizer in [newton(lr = 0.1), newton(lr = 0.1)]\n    seeds 1", /the grid of `optimizer` lists newton\(lr = 0\.1\) twice/],
      ["    random update period in uniform(1, 2)\n    samples 3\n    seeds 1", /configurations \d and \d are the same \(update\.period = \d\).*integer setting\(s\) `update\.period` repeat/],
    ];
    for (const [body, message] of cases) {
      const err = refusal(() => loadStudy("s.mpcrl", withStudy(body), false));
      expect(err.exitCode).toBe(1);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain("\n");
    }
    // a seed beyond 2^53 - 1 is the checker's MPC5015 (language/test/check.redteam.test.ts); the
    // study's own check refuses it as well
    expect(studyProblem([], [], [1e300])).toMatch(/^seed 1e\+300 is not a non-negative integer of at most 9007199254740991/);
    // distinct values pass; the checked study of the fixture passes
    expect(studyProblem([{ label: "x", grid: [1, 2] }], [{ index: 0, settings: { x: 1 } }, { index: 1, settings: { x: 2 } }], [1, 2])).toBeNull();
    expect(() => loadStudy("s.mpcrl", tiny, false)).not.toThrow();
  });
});

describe("--out: a study's own folder; --force replaces only a study, and loses nothing", () => {
  const study = loadStudy("s.mpcrl", tiny, false);
  const meta = studyMeta("s.mpcrl", tiny, study);

  it("refuses a training run's folder (even with --force) and a user's file named like a study's (spec.mpcrl without study.json)", () => {
    const run = join(tmp, "run");
    mkdirSync(run);
    writeFileSync(join(run, "metrics.jsonl"), "{}\n");
    writeFileSync(join(run, "params.json"), "{}\n");
    expect(refusal(() => checkStudyDir(run, true)).message).toMatch(/holds a training run \(metrics\.jsonl, params\.json\): a study needs its own folder/);
    const user = join(tmp, "user");
    mkdirSync(user);
    writeFileSync(join(user, "spec.mpcrl"), "my notes");
    expect(refusal(() => checkStudyDir(user, false)).message).toMatch(/is not empty/);
    expect(refusal(() => checkStudyDir(user, true)).message).toMatch(/holds 'spec\.mpcrl' but no study\.json: .*--force does not replace it/);
    expect(readFileSync(join(user, "spec.mpcrl"), "utf8")).toBe("my notes");
    // other files of the user's are no obstacle with --force, and stay
    writeFileSync(join(tmp, "notes.txt"), "");
    expect(checkStudyDir(tmp, true)).toEqual([]);
  });

  it("--force moves the old study aside: back when the new one records no trial, deleted when it records one; a new folder (parents included) recording nothing is removed", () => {
    const dir = join(tmp, "study");
    mkdirSync(dir);
    writeFileSync(join(dir, "keep.txt"), "mine");
    const old = new StudyFolder(dir);
    old.writeMeta({ ...meta, spec: "old.mpcrl" }, "old spec");
    writeFileSync(old.jsonl, '{"id":"a","status":"completed"}\n');
    expect(refusal(() => checkStudyDir(dir, false)).message).toMatch(/already holds a study: --resume/);
    // the new study is stopped or fails before its first trial: the old one is back, whole
    let claim = claimStudyDir(dir, true);
    new StudyFolder(dir).writeMeta(meta, tiny);
    expect(claim.settle(false)).toBe("restored");
    expect(readFileSync(join(dir, "spec.mpcrl"), "utf8")).toBe("old spec");
    expect(readFileSync(old.jsonl, "utf8")).toBe('{"id":"a","status":"completed"}\n');
    expect(readdirSync(dir).sort()).toEqual(["keep.txt", "spec.mpcrl", "study.json", "study.jsonl"]);
    // the new study records a trial: it replaces the old one; the user's file stays
    claim = claimStudyDir(dir, true);
    new StudyFolder(dir).writeMeta(meta, tiny);
    writeFileSync(old.jsonl, '{"id":"b","status":"completed"}\n');
    expect(claim.settle(false)).toBe("kept");
    expect(readFileSync(join(dir, "spec.mpcrl"), "utf8")).toBe(tiny);
    expect(readdirSync(dir).sort()).toEqual(["keep.txt", "spec.mpcrl", "study.json", "study.jsonl"]);
    // a new folder under new parents: nothing recorded removes what the claim created, no more
    const nested = join(tmp, "a", "b", "c");
    claim = claimStudyDir(nested, false);
    new StudyFolder(nested).writeMeta(meta, tiny);
    expect(claim.settle(false)).toBe("removed");
    expect(existsSync(join(tmp, "a"))).toBe(false);
    expect(existsSync(tmp)).toBe(true);
    // queued trials belong to the new folder: kept even with nothing recorded yet
    claim = claimStudyDir(nested, false);
    expect(claim.settle(true)).toBe("kept");
    expect(existsSync(nested)).toBe(true);
  });
});

describe("the report says what backs each figure", () => {
  it("seeds with a finite cost x evaluation episodes per configuration, n beside every median [min, max]", () => {
    const completed = (config: number, seed: number, cost: number | null): TrialRecord => ({
      id: `${config}-${seed}`,
      trial: config * 3 + seed,
      config,
      settings: { "optimizer.lr": config + 1 },
      seed,
      status: "completed",
      final: { J: 10 + seed, episodes: 2, steps: 40, lastEpisodeCost: 1, violatingSteps: 0, lastViolatingStep: null, solverFailures: 0, rejectedUpdates: 0 },
      evaluation: { cost, violations: seed, episodeCosts: [], violatingSteps: 0, steps: 30, seed: 1000 },
      params: {},
      curve: [1, 2],
      wallTime: 1,
      host: "h",
    });
    const records = [completed(0, 1, 3), completed(0, 2, 5), completed(0, 3, null), completed(1, 1, 1), completed(1, 2, 2), completed(1, 3, 4)];
    const html = studyReportHtml(records, { spec: "s.mpcrl", specHash: "0".repeat(64), totalTrials: 6, evaluation: { episodes: 4, seed: 1000 } });
    expect(html).toContain("<th>held out</th>");
    expect(html).toContain("<td>3 seed(s) x 4 episode(s)</td>");
    expect(html).toMatch(/2 seed\(s\) x 4 episode\(s\) <span class="bad">\(1 without a finite cost\)<\/span>/);
    expect(html).toContain('4 <span class="dim">[3, 5] n=2</span>');
    expect(html).toMatch(/Evaluation cost 2 <span class="dim">\[1, 4\] n=3<\/span> over 3 seed\(s\) x 4 episode\(s\)/);
  });
});

if (!hasRedis) console.warn("SKIPPED: the lost-Redis study test needs `redis-server` (Debian: apt-get install redis-server)");

describe.skipIf(!hasRedis)("a Redis that goes away mid-study", () => {
  it("ends the queued study with a one-line CliError (exit 2) within the grace period, not a silent hang", async () => {
    const { QueueExecutor } = await import("../study_queue.js");
    const port = await freePort();
    const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    try {
      const url = `redis://127.0.0.1:${port}`;
      for (let i = 0; i < 50 && spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout?.trim() !== "PONG"; i++) await new Promise((r) => setTimeout(r, 100));
      const meta = studyMeta("s.mpcrl", tiny, loadStudy("s.mpcrl", tiny, false));
      const lines: string[] = [];
      const ex = await QueueExecutor.connect(url, "redteam", meta, (l) => lines.push(l), 1500);
      const finished: string[] = [];
      const run = ex.run(meta.trials.slice(0, 2), (t) => finished.push(t.id), () => false);
      // no worker: the study polls; then Redis goes away
      await new Promise((r) => setTimeout(r, 500));
      redis.kill("SIGKILL");
      const t0 = Date.now();
      const err = await run.then(
        () => new Error("resolved"),
        (e: unknown) => e,
      );
      await ex.close();
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
      expect((err as CliError).message).toMatch(new RegExp(`^lost Redis at ${url}: no answer for 2 s \\(.*ECONNREFUSED.*\\); the trials collected so far are recorded`));
      expect((err as CliError).message).not.toContain("\n");
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(lines.some((l) => l.includes("does not answer"))).toBe(true);
      expect(finished).toEqual([]);
    } finally {
      redis.kill("SIGKILL");
    }
  }, 30_000);
});
