// The spec a run started from (runtime/run/spec.ts): recorded in every checkpoint, compared on
// resume. A run resumed under another spec is refused with the folder untouched; an older
// checkpoint without the record is resumed (with a note) and records the spec from then on.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { QLearning } from "../../learn/q_learning.js";
import { QuadraticQ } from "../../learn/test/doubles.js";
import { LinearPlant } from "../../plants/linear.js";
import { CheckpointError, checkResume, parseCheckpoint, readCheckpoint, runTraining, type RunSettings } from "../driver.js";
import { isSpecRecord, resumeSpecCheck, sameSpec, specRecord } from "../spec.js";

const root = mkdtempSync(join(tmpdir(), "mpcrl-run-spec-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const settings: RunSettings = { algorithm: "q_learning", episodes: 2, steps: 15, seed: 3, spec: "tiny.mpcrl" };

function trainer(): { q: QLearning; mpc: QuadraticQ } {
  const mpc = new QuadraticQ([0, 2, 0, 2], 0.9, -1, 1);
  const plant = new LinearPlant({ A: [0.9], B: [0.5], initialState: [1], Q: [2], R: [2] });
  const q = new QLearning(mpc, plant, { seed: 3, discount: 0.9, optimizer: { kind: "newton", lr: 0.05 }, replay: { size: 10, sample: 4 }, inputLower: [-1], inputUpper: [1] });
  return { q, mpc };
}

const snapshot = (dir: string): Record<string, string> => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));

// the caller's canonical form stands for "the text without whitespace and comments" here
const A = specRecord("tiny.mpcrl", "minimize x'*x // weight 1\n", "minimize x'*x\n");
const A_COMMENTED = specRecord("tiny.mpcrl", "minimize   x'*x   // the weight is one\n", "minimize x'*x\n");
const B = specRecord("tiny.mpcrl", "minimize 2*x'*x\n", "minimize 2*x'*x\n");

describe("the spec a run started from", () => {
  it("is the same spec when its text or its canonical form is; refusals name the spec, the folder and what to do", () => {
    expect(isSpecRecord(A)).toBe(true);
    expect(A.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sameSpec(A, A_COMMENTED)).toBe(true); // only whitespace and comments differ
    expect(sameSpec(A, { ...A, canonicalSha256: B.canonicalSha256 })).toBe(true); // same text, another formatter
    expect(sameSpec(A, B)).toBe(false);
    expect(resumeSpecCheck(A, A_COMMENTED, "specs/tiny.mpcrl", "runs/r")).toEqual({ ok: true });
    expect(resumeSpecCheck(A, B, "specs/tiny.mpcrl", "runs/r")).toEqual({
      ok: false,
      message:
        "'specs/tiny.mpcrl' changed since the run in 'runs/r' started (the resumed steps would train another controller than the checkpoint's): " +
        "restore the spec the run started with, or start a new run (--out NEWDIR, or --out runs/r --force to replace this one)",
    });
    const other = resumeSpecCheck(A, { ...B, file: "other.mpcrl" }, "other.mpcrl", "runs/r");
    expect(other.ok).toBe(false);
    expect(!other.ok && other.message).toMatch(/^the run in 'runs\/r' was started from 'tiny\.mpcrl', and 'other\.mpcrl' differs from it .*: resume with the spec the run started with, or start a new run/);
    const old = resumeSpecCheck(undefined, B, "tiny.mpcrl", "runs/r");
    expect(old).toMatchObject({ ok: true, note: expect.stringMatching(/records no fingerprint of its spec .* cannot be detected; resuming with the spec as it is now/) });
    for (const bad of [null, [], { ...A, sha256: "abc" }, { sha256: A.sha256, canonicalSha256: A.canonicalSha256 }]) expect(isSpecRecord(bad)).toBe(false);
  });

  it("is recorded in every checkpoint; resuming under another spec is refused before a file changes", async () => {
    const dir = join(root, "stopped");
    let n = 0;
    const first = trainer();
    const r1 = await runTraining({ dir, trainer: first.q, layout: first.mpc.params, settings, spec: A, shouldStop: () => ++n >= 20 });
    expect(r1.status).toBe("stopped");
    expect(readCheckpoint(dir).spec).toEqual(A);
    const before = snapshot(dir);
    const second = trainer();
    await expect(runTraining({ dir, trainer: second.q, layout: second.mpc.params, settings, spec: B, specPath: "edited/tiny.mpcrl", resume: true })).rejects.toThrow(
      new CheckpointError(`--resume: 'edited/tiny.mpcrl' changed since the run in '${dir}' started (the resumed steps would train another controller than the checkpoint's): restore the spec the run started with, or start a new run (--out NEWDIR, or --out ${dir} --force to replace this one)`),
    );
    expect(snapshot(dir)).toEqual(before);
    // only comments and whitespace edited: resumed
    const third = trainer();
    const r3 = await runTraining({ dir, trainer: third.q, layout: third.mpc.params, settings, spec: A_COMMENTED, resume: true });
    expect(r3.status).toBe("completed");
  });

  it("an older checkpoint without the record resumes with a note and records the spec from then on; a damaged record is refused", async () => {
    const dir = join(root, "old");
    let n = 0;
    const first = trainer();
    await runTraining({ dir, trainer: first.q, layout: first.mpc.params, settings, spec: A, shouldStop: () => ++n >= 20 });
    const cpPath = join(dir, "checkpoint.json");
    const { spec: _, ...older } = JSON.parse(readFileSync(cpPath, "utf8")) as Record<string, unknown>;
    writeFileSync(cpPath, JSON.stringify(older));
    const cp = readCheckpoint(dir);
    expect(cp.spec).toBeUndefined();
    expect(checkResume(cp, settings, dir, { record: B, path: "tiny.mpcrl" })).toMatch(/^the checkpoint in '.*old' records no fingerprint of its spec/);
    expect(() => parseCheckpoint({ ...older, spec: { file: "tiny.mpcrl", sha256: "x" } }, cpPath)).toThrow(/`spec` is not a spec's fingerprint \(file, sha256, canonicalSha256\)/);
    const second = trainer();
    const r2 = await runTraining({ dir, trainer: second.q, layout: second.mpc.params, settings, spec: B, resume: true });
    expect(r2.status).toBe("completed");
    expect(readCheckpoint(dir).spec).toEqual(B);
  });
});
