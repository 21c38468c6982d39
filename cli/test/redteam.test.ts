// Hostile inputs to the command line (in process, fast): every bad argument or file gets a
// one-line message and exit code 2 (no stack trace, no "internal error"), and nothing that was
// there before is lost: `--force` replaces an old run only once the new one is known to start,
// `compile -o` never replaces its own spec, a damaged or foreign checkpoint is refused untouched.

import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadPlantModule, PlantModuleError } from "../../runtime/plants/module.js";
import { canonicalSpec, parsePositiveInt, parseSeed, parseSeeds } from "../train_setup.js";
import { claimRunDir, resumeConflicts } from "../train.js";
import { runCli, spawnCli } from "./cli.js";
import { writeFileReplacing } from "../io.js";

const tmp = mkdtempSync(join(tmpdir(), "mpcrl-cli-redteam-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// a small, fast spec: a 2-state LTI plant, 20 steps of Q-learning, two boxed learnables
const SPEC = `controller C {
  state x[2]
  input u[1] in [-1, 1]
  learnable b[2] = [0, 0] in [-1, 1]
  learnable V0 = 0
  horizon 5
  discount 0.9
  dynamics x+ = [[1, 0.25], [0, 1]]*x + [[0.0312], [0.25]]*u + b
  minimize V0
    + stage x'*x + 0.5*u'*u
}

plant P {
  state s[2] = [0, 0.15]
  input a[1]
  disturbance e[2] = [uniform(-0.1, 0), 0]
  dynamics s+ = [[0.9, 0.35], [0, 1.1]]*s + [[0.0813], [0.2]]*a + e
  cost s'*s + 0.5*a'*a
  episode 100
  subject to
    [0, -1] <= s <= [1, 1]
}

train C on P {
  algorithm q_learning {
    optimizer newton(lr = 5e-2)
    update every 1 steps
    replay size 10 sample 2
  }
  episodes 1
  steps 20
  seed 1
}
`;
const spec = join(tmp, "tiny.mpcrl");
writeFileSync(spec, SPEC);

const file = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

/** Every file of a folder with its content (recursively), to prove a failed command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) for (const [k, v] of Object.entries(snapshot(p))) out[join(e.name, k)] = v;
    else out[e.name] = readFileSync(p, "utf8");
  }
  return out;
}

/** A one-line `mpcrl <cmd>: ...` message, exit 2, no stack trace, no internal error. */
function expectUsageError(r: { code: number; stderr: string }, cmd: string, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`^mpcrl ${cmd}: `));
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.stderr).toMatch(pattern);
}

describe("numeric flags", () => {
  it("refuse integers a double cannot hold exactly, and duplicate seeds", () => {
    expect(() => parsePositiveInt("99999999999999999999", "--steps")).toThrow(/--steps expects a positive integer of at most 9007199254740991/);
    expect(parsePositiveInt("9007199254740991", "--steps")).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseSeed("99999999999999999999")).toThrow(/--seed expects a non-negative integer of at most/);
    expect(() => parseSeed("1e3", "--eval-seed")).toThrow(/--eval-seed expects a non-negative integer, got '1e3'/);
    expect(() => parseSeeds("1,1")).toThrow(/lists seed 1 twice/);
    expect(() => parseSeeds("3,5,3")).toThrow(/lists seed 3 twice/);
    expect(() => parseSeeds("99999999999999999999")).toThrow(/at most 9007199254740991/);
    expect(() => parseSeeds("3..1")).toThrow(/must go upward/);
    expect(() => parseSeeds("1..1e9")).toThrow(/expects a range/);
    expect(parseSeeds("2,7,5")).toEqual([2, 7, 5]);
  });

  it("parsePositiveInt accepts exactly the decimal integers 1..2^53-1 (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: -10n, max: 10n ** 22n }).map(String), fc.string()), (v) => {
        const n = Number(v);
        const ok = /^\d+$/.test(v) && n >= 1 && Number.isSafeInteger(n);
        if (ok) expect(parsePositiveInt(v, "--steps")).toBe(n);
        else expect(() => parsePositiveInt(v, "--steps")).toThrow(/--steps expects a positive integer/);
      }),
      { seed: 20240611, numRuns: 300 },
    );
  });

  it("train refuses --steps/--seed/--eval-seed beyond 2^53 and --seeds with a seed twice, before touching --out", async () => {
    const out = join(tmp, "never");
    for (const [args, pattern] of [
      [["--steps", "99999999999999999999"], /--steps expects a positive integer of at most/],
      [["--episodes", "99999999999999999999"], /--episodes expects a positive integer of at most/],
      [["--seed", "99999999999999999999"], /--seed expects a non-negative integer of at most/],
      [["--eval-seed", "99999999999999999999"], /--eval-seed expects a non-negative integer of at most/],
      [["--seeds", "4,4"], /lists seed 4 twice/],
    ] as const) {
      expectUsageError(await runCli("train", spec, "--out", out, ...args), "train", pattern);
    }
    expectUsageError(await runCli("train", spec, "--out", ""), "train", /--out needs a folder name/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("files", () => {
  it("a recorded disturbance shorter than an episode is refused up front (no half-written run)", async () => {
    const short = file("short.json", JSON.stringify([[0.1, 0], [0, 0]]));
    const out = join(tmp, "dist-short");
    expectUsageError(await runCli("train", spec, "--disturbance", short, "--out", out, "--no-eval"), "train", /has 2 step\(s\) but an episode needs 20/);
    expect(existsSync(out)).toBe(false);
    // long enough for the steps asked for: accepted
    const ok = await runCli("train", spec, "--disturbance", short, "--steps", "2", "--out", out, "--no-eval");
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("--disturbance with --plant (which would silently ignore it) is refused", async () => {
    const d = file("d.json", JSON.stringify([[0, 0]]));
    const plant = file("plant.ts", "export const x = 1;\n");
    expectUsageError(await runCli("train", spec, "--disturbance", d, "--plant", plant, "--out", join(tmp, "never2")), "train", /give one of them/);
  });

  it("--params with a nested array where the parameter is a scalar or a vector is refused", async () => {
    for (const [params, pattern] of [
      [{ b: [[0, 0]], V0: 0 }, /`b` needs an array of 2 finite numbers, got 1x2 nested array/],
      [{ b: [0, 0], V0: [[[0]]] }, /`V0` needs a finite number, got 1x1 nested array/],
      [{ b: [0, 2], V0: 0 }, /outside its declared box/],
    ] as const) {
      const p = file("params.json", JSON.stringify(params));
      expectUsageError(await runCli("eval", spec, "--params", p, "--out", join(tmp, "never3")), "eval", pattern);
    }
  });

  it("--params with an entry of magnitude >= 1e20 is refused even where the box is unbounded (V0); 9.9e19 is accepted", async () => {
    const out = join(tmp, "never-huge");
    for (const [v, shown] of [[1e20, "100000000000000000000"], [1e308, "1e\\+308"], [-1e20, "-100000000000000000000"]] as const) {
      const p = file("huge-params.json", JSON.stringify({ b: [0, 0], V0: v }));
      const pattern = new RegExp(`--params: parameter \`V0\` entry V0 = ${shown} is too large: learnable parameters must have magnitude below 1e20`);
      for (const extra of [[], ["--episodes", "3"]]) {
        expectUsageError(await runCli("eval", spec, "--params", p, "--out", out, "--steps", "2", ...extra), "eval", pattern);
        expect(existsSync(out)).toBe(false);
      }
      // with --seeds too (the job is built before the folder is made, not only in the workers)
      expectUsageError(await runCli("eval", spec, "--params", p, "--out", join(tmp, "never-huge-seeds"), "--steps", "2", "--seeds", "1..2"), "eval", pattern);
      expect(existsSync(join(tmp, "never-huge-seeds"))).toBe(false);
    }
    const ok = await runCli("eval", spec, "--params", file("big-params.json", JSON.stringify({ b: [0, 0], V0: 9.9e19 })), "--out", out, "--steps", "2");
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "params.json"), "utf8")).V0).toBe(9.9e19);
    // an initial value that large in the spec itself: the checker's verdict (MPC4014), for train and eval alike, and no run folder
    const huge = file("huge-init.mpcrl", SPEC.replace("learnable V0 = 0", "learnable V0 = 1e25"));
    for (const cmd of ["eval", "train"]) {
      const r = await runCli(cmd, huge, "--out", join(tmp, `never-init-${cmd}`), "--steps", "2");
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/error\[MPC4014\]: the initial value of `V0` is too large to be a parameter/);
      expect(existsSync(join(tmp, `never-init-${cmd}`))).toBe(false);
    }
  });

  it("compile -o the spec itself (or a link to it) is refused and the spec kept", async () => {
    const own = file("own.mpcrl", SPEC);
    expectUsageError(await runCli("compile", own, "-o", own), "compile", /is the spec itself/);
    const link = join(tmp, "own-link.ts");
    symlinkSync(own, link);
    expectUsageError(await runCli("compile", own, "-o", link), "compile", /is the spec itself/);
    expect(readFileSync(own, "utf8")).toBe(SPEC);
  });

  it("compile -o refuses '' and another spec, and says in words why it cannot write", async () => {
    const other = file("other.mpcrl", SPEC);
    expectUsageError(await runCli("compile", spec, "-o", other), "compile", /-o '.*other\.mpcrl' is a \.mpcrl spec: the module is TypeScript, so writing it there would replace that spec; choose a \.ts file/);
    expect(readFileSync(other, "utf8")).toBe(SPEC);
    expectUsageError(await runCli("compile", spec, "-o", ""), "compile", /-o needs a file name, got ''/);
    expectUsageError(await runCli("compile", spec, "-o", join(tmp, "no", "such", "c.ts")), "compile", /cannot write '.*c\.ts': its folder '.*such' does not exist \(create it first\)\n$/);
    expectUsageError(await runCli("compile", spec, "-o", join(spec, "c.ts")), "compile", /cannot write '.*c\.ts': a part of its path is a file, not a folder\n$/);
    expectUsageError(await runCli("compile", spec, "-o", tmp), "compile", /cannot write '.*': it is a directory\n$/);
  });

  it("fmt of a folder that holds no spec (a mistyped path) is exit 2, not a silent success", async () => {
    const empty = join(tmp, "no-specs");
    mkdirSync(join(empty, "sub"), { recursive: true });
    writeFileSync(join(empty, "sub", "notes.txt"), "x\n");
    for (const flags of [["--check"], []]) {
      expectUsageError(await runCli("fmt", ...flags, empty), "fmt", /no \.mpcrl file under '.*no-specs' \(dot folders and node_modules are skipped\): check the path/);
    }
  });

  it("qp refuses a constant r that is not finite (1e999) and fractional indptr entries", async () => {
    const base = { n: 1, m: 1, P: { indptr: [0, 1], indices: [0], data: [1] }, A: { indptr: [0, 1], indices: [0], data: [1] }, q: [-1], l: [-10], u: [10] };
    const inf = file("r.json", JSON.stringify(base).replace(/}$/, ',"r":1e999}'));
    expectUsageError(await runCli("qp", inf), "qp", /r must be a finite number/);
    const frac = file("frac.json", JSON.stringify({ ...base, n: 2, m: 0, P: { indptr: [0, 0.5, 1], indices: [0], data: [1] }, A: { indptr: [0, 0, 0], indices: [], data: [] }, q: [1, 1], l: [], u: [] }));
    expectUsageError(await runCli("qp", frac), "qp", /P\.indptr\[1\] is 0\.5, not a non-negative integer/);
  });
});

describe("steps beyond the plant's episode", () => {
  it("eval --steps 150 on a plant of episode 100 runs 100 steps and says so (it cut them silently)", async () => {
    const out = join(tmp, "steps-beyond");
    const r = await runCli("eval", spec, "--steps", "150", "--out", out, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^mpcrl eval: note: --steps 150 is more than the plant's episode of 100 steps: each episode ends after 100/m);
    const steps = readFileSync(join(out, "metrics.jsonl"), "utf8").split("\n").filter((l) => l.includes('"t"')).length;
    expect(steps).toBe(100);
  });
});

describe("rewriting a file (fmt --write, compile -o) never leaves it half written", () => {
  it("writes a temporary file beside the real one and renames it: a link stays a link, the mode is kept, nothing is left on failure", async () => {
    const dir = join(tmp, "replacing");
    mkdirSync(dir);
    const real = join(dir, "real.mpcrl");
    writeFileSync(real, "old\n");
    chmodSync(real, 0o640);
    const link = join(dir, "link.mpcrl");
    symlinkSync(real, link);
    writeFileReplacing(link, "new\n");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, "utf8")).toBe("new\n");
    expect(statSync(real).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(["link.mpcrl", "real.mpcrl"]);
    // a folder that does not exist: the write's error, no temporary file anywhere
    expect(() => writeFileReplacing(join(dir, "missing", "x.ts"), "x")).toThrow(/ENOENT/);
    expect(readdirSync(dir).sort()).toEqual(["link.mpcrl", "real.mpcrl"]);
    // fmt --write through a link to a spec that needs formatting
    const spec2 = join(dir, "spec.mpcrl");
    writeFileSync(spec2, SPEC.replace("horizon 5", "horizon    5"));
    const specLink = join(dir, "spec-link.mpcrl");
    symlinkSync(spec2, specLink);
    const r = await runCli("fmt", specLink, "--write");
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(specLink).isSymbolicLink()).toBe(true);
    expect(readFileSync(spec2, "utf8")).toContain("  horizon 5\n");
  });
});

describe("a refused command creates nothing", () => {
  it("eval --seeds / --episodes with --params outside its box or naming no parameter leaves no --out folder (it left an empty one)", async () => {
    for (const [params, pattern] of [
      [{ b: [5, 0], V0: 0 }, /^mpcrl eval: --params: parameter `b` entry b\[0\] = 5 is outside its declared box \[-1, 1\]$/m],
      [{ bb: [0, 0] }, /^mpcrl eval: --params: unknown parameter `bb` \(the controller's are: b, V0\)$/m],
    ] as const) {
      const p = file("refused-params.json", JSON.stringify(params));
      for (const extra of [["--seeds", "1..3"], ["--episodes", "3"], []]) {
        const out = join(tmp, "never-eval-out");
        expectUsageError(await runCli("eval", spec, "--params", p, "--out", out, "--steps", "2", ...extra), "eval", pattern);
        expect(existsSync(out), extra.join(" ")).toBe(false);
      }
    }
  });

  it("train --seeds whose every job is refused (a plant module of the wrong size) leaves no --out folder", async () => {
    const plant = file("wrong_size_plant.mjs", "export function createPlant() { return { nx: 3, nu: 1, reset() { return new Float64Array(3); }, step() { throw new Error('no'); } }; }\n");
    const out = join(tmp, "never-train-seeds");
    const r = await runCli("train", spec, "--seeds", "1..2", "--plant", plant, "--out", out, "--no-eval");
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^seed \d: .*wrong_size_plant\.mjs: the plant has 3 states and 1 inputs but the controller has 2 and 1\n$/);
    expect(existsSync(out)).toBe(false);
  });

  it("--disturbance for a plant that declares none is refused up front (it crashed mid-run, leaving metrics behind)", async () => {
    const quiet = file("quiet.mpcrl", SPEC.replace("  disturbance e[2] = [uniform(-0.1, 0), 0]\n", "").replace("*a + e\n", "*a\n"));
    const d = file("scalars.json", JSON.stringify([0.1, 0.2, 0.3]));
    const out = join(tmp, "never-quiet");
    expectUsageError(await runCli("train", quiet, "--disturbance", d, "--steps", "2", "--out", out, "--no-eval"), "train", /scalars\.json: the plant declares no disturbance, so there is nothing to replay/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("a refused run removes the folders it made, parents included", () => {
  it("eval --out x/y/z with a plant that throws at its first step leaves no x (it left x/y)", async () => {
    const top = join(tmp, "nested-x");
    const throwing = file("throwing_plant2.mjs", "export function createPlant() { return { nx: 2, nu: 1, reset() { return new Float64Array(2); }, step() { throw new Error('broken'); } }; }\n");
    for (const extra of [[], ["--seeds", "1..2"]]) {
      const r = await runCli("eval", spec, "--out", join(top, "y", "z"), "--plant", throwing, ...extra);
      expect(r.code, r.stderr).toBe(2);
      expect(existsSync(top)).toBe(false);
    }
    // a parent that existed before stays, with what it holds
    mkdirSync(top);
    writeFileSync(join(top, "keep.txt"), "mine\n");
    const r = await runCli("eval", spec, "--out", join(top, "y", "z"), "--plant", throwing);
    expect(r.code, r.stderr).toBe(2);
    expect(readdirSync(top)).toEqual(["keep.txt"]);
  });
});

describe("--force replaces a run, nothing else", () => {
  it("refuses, with or without --force, a folder whose run-like names are not a run's (a user's seed-3 folder, a link, a folder named report.html)", () => {
    const dir = join(tmp, "mixed");
    mkdirSync(join(dir, "seed-3"), { recursive: true });
    writeFileSync(join(dir, "seed-3", "notes.txt"), "mine\n");
    writeFileSync(join(dir, "summary.json"), "{}\n");
    const before = snapshot(dir);
    for (const force of [false, true]) {
      expect(() => claimRunDir(dir, force, "train")).toThrow(/^--out '.*mixed' holds 'seed-3', which is not a file or folder of a run \(a link, a file, or a folder with other files\): --force replaces only a run's own files; move it or choose another folder$/);
    }
    expect(snapshot(dir)).toEqual(before);
    rmSync(join(dir, "seed-3"), { recursive: true });
    symlinkSync(tmp, join(dir, "seed-4"));
    expect(() => claimRunDir(dir, true, "eval")).toThrow(/holds 'seed-4', which is not a file or folder of a run/);
    rmSync(join(dir, "seed-4"));
    mkdirSync(join(dir, "report.html"));
    expect(() => claimRunDir(dir, true, "eval")).toThrow(/holds 'report\.html', which is not a file or folder of a run \(not a regular file\)/);
    rmSync(join(dir, "report.html"), { recursive: true });
    // a run's files (a seed folder with a crash's .tmp file included) are replaced; other files stay
    mkdirSync(join(dir, "seed-1"));
    writeFileSync(join(dir, "seed-1", "metrics.jsonl"), "");
    writeFileSync(join(dir, "seed-1", "checkpoint.json.tmp"), "");
    writeFileSync(join(dir, "notes.txt"), "mine\n");
    expect(() => claimRunDir(dir, false, "eval")).toThrow(/already holds a run/);
    // claimed: the old run is moved aside until the new one exists; with none written it comes back
    const claim = claimRunDir(dir, true, "eval");
    expect(readdirSync(dir).filter((f) => !f.startsWith(".replaced-"))).toEqual(["notes.txt"]);
    claim.settle();
    expect(readdirSync(dir).sort()).toEqual(["notes.txt", "seed-1", "summary.json"]);
    // a new run written meanwhile replaces it for good
    const again = claimRunDir(dir, true, "eval");
    writeFileSync(join(dir, "metrics.jsonl"), "");
    again.settle();
    expect(readdirSync(dir).sort()).toEqual(["metrics.jsonl", "notes.txt"]);
  });
});

describe("run folders are never lost on bad input", () => {
  it("eval --force with bad --params, and train --force with a bad plant, keep the old run", async () => {
    const out = join(tmp, "kept");
    const first = await runCli("eval", spec, "--out", out, "--steps", "3");
    expect(first.code, first.stderr).toBe(0);
    const before = snapshot(out);
    const bad = file("bad-params.json", JSON.stringify({ b: [5, 0] }));
    for (const extra of [[], ["--episodes", "3"], ["--seeds", "1..2"]]) {
      expectUsageError(await runCli("eval", spec, "--out", out, "--force", "--params", bad, ...extra), "eval", /outside its declared box/);
      expect(snapshot(out)).toEqual(before);
    }
    const plant = file("wrong_plant.mjs", "export function createPlant() { return { nx: 3, nu: 1, reset() { return new Float64Array(3); }, step() { throw new Error('no'); } }; }\n");
    for (const extra of [[], ["--seeds", "1..2"]]) {
      const r = await runCli("train", spec, "--out", out, "--force", "--plant", plant, ...extra);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/the plant has 3 states/);
      expect(snapshot(out)).toEqual(before);
    }
    // a plant module that passes every check but throws at its first step: the old run was deleted
    // when the folder was claimed, and the failed run left nothing (review: an empty folder)
    const throwing = file("throwing_plant.mjs", "export function createPlant() { return { nx: 2, nu: 1, reset() { return new Float64Array(2); }, step() { throw new Error('broken'); } }; }\n");
    for (const cmd of ["eval", "train"]) {
      const r = await runCli(cmd, spec, "--out", out, "--force", "--plant", throwing);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/step\(\) threw: broken/);
      expect(snapshot(out)).toEqual(before);
      expect(readdirSync(out).some((f) => f.startsWith(".replaced-"))).toBe(false);
    }
  });
});

describe("--resume", () => {
  const run = join(tmp, "resumable");
  const copy = (name: string, edit: (cp: Record<string, any>) => unknown): string => {
    const dir = join(tmp, name);
    mkdirSync(dir);
    for (const f of readdirSync(run)) writeFileSync(join(dir, f), readFileSync(join(run, f)));
    const cp = JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8")) as Record<string, any>;
    const edited = edit(cp); // undefined: cp was edited in place
    writeFileSync(join(dir, "checkpoint.json"), JSON.stringify(edited === undefined ? cp : edited));
    return dir;
  };

  it("refuses damaged checkpoints, checkpoints of another spec and conflicting flags, changing nothing", async () => {
    const r0 = await runCli("train", spec, "--out", run, "--steps", "5", "--no-eval");
    expect(r0.code, r0.stderr).toBe(0);
    const renamed = file("renamed.mpcrl", SPEC.replace("learnable b[2]", "learnable bb[2]").replace("+ b\n", "+ bb\n"));
    const cases: [string, (cp: Record<string, any>) => unknown, string, string[], RegExp][] = [
      ["null", () => null, spec, [], /is not a checkpoint of this version: it does not hold a JSON object/],
      ["array", () => [1], spec, [], /it does not hold a JSON object/],
      ["no-settings", (cp) => ({ ...cp, settings: undefined }), spec, [], /no `settings` object/],
      ["null-theta", (cp) => void (cp.trainer.theta[0] = null), spec, [], /`trainer.theta` is not an array of finite numbers/],
      ["bad-steps", (cp) => void (cp.settings.steps = -3), spec, [], /`settings.steps` is -3, not a positive integer/],
      ["other-spec", () => undefined, renamed, [], /not of this spec's run: the checkpoint's learnable parameters are b\[0\], b\[1\], V0; the spec's are bb\[0\], bb\[1\], V0/],
      ["seed-flag", () => undefined, spec, ["--seed", "7"], /continues the run with its own --seed 1: drop --seed 7/],
      ["steps-flag", () => undefined, spec, ["--steps", "9"], /its own --steps 5: drop --steps 9/],
      // V0's box is unbounded, yet 1e308 is no admissible parameter
      ["huge-theta", (cp) => void (cp.trainer.theta[2] = 1e308), spec, [], /the checkpoint's parameters are refused: parameter `V0` entry V0 = 1e\+308 is too large: learnable parameters must have magnitude below 1e20/],
    ];
    for (const [name, edit, s, flags, pattern] of cases) {
      const dir = copy(`rs-${name}`, edit);
      const before = snapshot(dir);
      const r = await runCli("train", s, "--resume", dir, ...flags);
      expect(r.stderr, name).toMatch(pattern);
      expectUsageError(r, "train", pattern);
      expect(snapshot(dir), name).toEqual(before);
    }
    // the same values as the checkpoint's are no conflict
    expect(resumeConflicts({ seed: "1", steps: "5" }, { seed: 1, episodes: 1, steps: 5 })).toBeNull();
    expect(resumeConflicts({ disturbance: "x.json" }, { seed: 1, episodes: 1, steps: 5, disturbance: "random (seeded)" })).toMatch(/drop --disturbance x.json/);
  });
});

describe("--resume under an edited spec", () => {
  const folder = join(tmp, "edits");
  mkdirSync(folder);
  const specPath = join(folder, "tiny.mpcrl");
  // the same controller: indented otherwise, comments added, line ends CRLF
  const COMMENTED = `// a comment on top\n${SPEC.replace("  horizon 5\n", "      horizon   5 // five steps\n  /* a block\n     comment */\n")}`.replace(/\n/g, "\r\n");
  // another controller, the same parameter layout: another weight on the input
  const EDITED = SPEC.replace("0.5*u'*u\n}", "0.7*u'*u\n}");

  it("the canonical form ignores whitespace and comments and nothing else", () => {
    expect(canonicalSpec(COMMENTED)).toBe(canonicalSpec(SPEC));
    expect(canonicalSpec(EDITED)).not.toBe(canonicalSpec(SPEC));
    // a comment's line break still ends the line: two statements stay two
    expect(canonicalSpec("const a = 1 /* x\n */ const b = 2\n")).toBe(canonicalSpec("const a = 1\nconst b = 2\n"));
  });

  it("refuses a spec whose body changed (nothing written), resumes one with only whitespace and comments changed, and an older checkpoint with a note", async () => {
    writeFileSync(specPath, SPEC);
    const run = join(folder, "run");
    const r0 = await runCli("train", specPath, "--out", run, "--steps", "5", "--no-eval");
    expect(r0.code, r0.stderr).toBe(0);
    const before = snapshot(run);
    writeFileSync(specPath, EDITED);
    const edited = await runCli("train", specPath, "--resume", run, "--no-eval");
    expectUsageError(
      edited,
      "train",
      /^mpcrl train: --resume: '.*tiny\.mpcrl' changed since the run in '.*run' started \(the resumed steps would train another controller than the checkpoint's\): restore the spec the run started with, or start a new run \(--out NEWDIR, or --out .*run --force to replace this one\)\n$/,
    );
    expect(snapshot(run)).toEqual(before);

    writeFileSync(specPath, COMMENTED);
    const commented = await runCli("train", specPath, "--resume", run, "--no-eval");
    expect(commented.code, commented.stderr).toBe(0);
    expect(commented.stderr).not.toMatch(/note/);

    // an older checkpoint (no record of its spec): resumed, said so on stderr, recorded from then on
    const cpPath = join(run, "checkpoint.json");
    const { spec: recorded, ...older } = JSON.parse(readFileSync(cpPath, "utf8")) as Record<string, unknown>;
    expect(recorded).toMatchObject({ file: "tiny.mpcrl" });
    writeFileSync(cpPath, JSON.stringify(older));
    const old = await runCli("train", specPath, "--resume", run, "--no-eval");
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toMatch(/^mpcrl train: note: the checkpoint in '.*run' records no fingerprint of its spec \(an older mpcrl wrote it\), so an edit of '.*tiny\.mpcrl' since the run started cannot be detected; resuming with the spec as it is now \(the next checkpoints record it\)\n/);
    expect(JSON.parse(readFileSync(cpPath, "utf8")).spec).toEqual(recorded);
  });
});

describe("--plant modules outside an ES-module package", () => {
  // a folder whose package.json does not say "type": "module": .ts and .js files there are CommonJS to Node and tsx
  const plants = join(tmp, "plants");
  mkdirSync(plants);
  writeFileSync(join(plants, "package.json"), JSON.stringify({ name: "my-plants", private: true }));
  writeFileSync(join(plants, "gain.ts"), "export const gain = (s: number): number => 0.9 * s;\n");
  const TS_PLANT = `import { gain } from "./gain.js";
export function createPlant() {
  let s: number[] = [0, 0];
  return {
    nx: 2,
    nu: 1,
    reset(seed: number): number[] { s = [0, 0.1 + (seed % 2) * 0.01]; return s.slice(); },
    step(a: ArrayLike<number>) {
      const cost = s[0] * s[0] + s[1] * s[1] + 0.5 * a[0] * a[0];
      s = [gain(s[0]) + 0.25 * s[1] + 0.03 * a[0], s[1] + 0.25 * a[0]];
      return { observation: s.slice(), cost, terminated: false, truncated: false, info: { violations: 0 } };
    },
  };
}
`;
  const JS_PLANT = TS_PLANT.replace('import { gain } from "./gain.js";\n', "const gain = (s) => 0.9 * s;\n").replace(/: number\[\]|: number|: ArrayLike<number>/g, "");
  const plant = (name: string, text: string): string => {
    writeFileSync(join(plants, name), text);
    return join(plants, name);
  };
  const ts = plant("plant.ts", TS_PLANT);
  const js = plant("plant.js", JS_PLANT);

  it("load as .ts, .mts, .js, .mjs and .cjs, leaving no temporary file and nothing in the module's folder", async () => {
    const files = [ts, plant("plant.mts", TS_PLANT), js, plant("plant.mjs", JS_PLANT), plant("plant.cjs", JS_PLANT.replace("export function createPlant", "module.exports.createPlant = function"))];
    const mine = snapshot(plants);
    const scratch = join(tmp, "scratch");
    mkdirSync(scratch);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = scratch; // where the bundled copies go (os.tmpdir())
    try {
      for (const f of files) {
        const p = await loadPlantModule(f);
        expect(Array.from(p.reset(1)), f).toEqual([0, 0.11]);
        expect(p.step([0]).cost, f).toBeCloseTo(0.0121, 12);
        expect(Array.from(p.step([0]).observation), f).toEqual([0.9 * 0.25 * 0.11 + 0.25 * 0.11, 0.11]);
      }
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(readdirSync(scratch)).toEqual([]);
    expect(snapshot(plants)).toEqual(mine);
  });

  it("refuse what cannot be a plant module with one line that says what to do", async () => {
    const cases: [string, string, RegExp][] = [
      ["syntax.ts", "export function createPlant( {\n", /^cannot load '.*syntax\.ts': syntax\.ts:2:1: Expected identifier but found end of file$/],
      ["await.mts", "const k = await Promise.resolve(1);\nexport const createPlant = () => k;\n", /^cannot load '.*await\.mts': a plant module cannot use top-level await; await inside createPlant instead \(it may be async\)$/],
      ["plant.json", "{}\n", /^'.*plant\.json' is not a plant module: expected a \.ts, \.mts, \.cts, \.js, \.mjs or \.cjs file$/],
      ["none.ts", "export const x = 1;\n", /none\.ts: expected `export function createPlant\(\)` \(or a default export\)/],
    ];
    for (const [name, text, pattern] of cases) {
      const err = await loadPlantModule(plant(name, text)).then(() => undefined, (e: unknown) => e);
      expect(err, name).toBeInstanceOf(PlantModuleError);
      expect((err as Error).message, name).toMatch(pattern);
    }
    expectUsageError(await runCli("eval", spec, "--plant", join(plants, "plant.json"), "--out", join(tmp, "never-plant")), "eval", /^mpcrl eval: --plant: '.*plant\.json' is not a plant module/);
    expect(existsSync(join(tmp, "never-plant"))).toBe(false);
  });

  it("a module that throws or answers wrongly is a one-line --plant error (not an internal error), and a run refused before its first step leaves no folder", async () => {
    const answer = "{ observation: s.slice(), cost: 1, terminated: false, truncated: false, info: { violations: 0 } }";
    const module = (body: string): string => `export function createPlant() { let k = 0; let s = [0, 0.1]; return { nx: 2, nu: 1, ${body} }; }\n`;
    const cases: [string, string, RegExp][] = [
      ["throws-step.mjs", module("reset() { return s.slice(); }, step() { throw new Error('step exploded'); }"), /^mpcrl eval: --plant: .*throws-step\.mjs: step\(\) threw: step exploded$/m],
      ["short-reset.mjs", module(`reset() { return [0]; }, step() { return ${answer}; }`), /^mpcrl eval: --plant: .*short-reset\.mjs: reset\(\) must return the state as an array of 2 numbers \(nx = 2\), got 1$/m],
      ["string-cost.mjs", module("reset() { return s.slice(); }, step() { return { observation: s.slice(), cost: 'x' }; }"), /^mpcrl eval: --plant: .*string-cost\.mjs: step\(\) must return a number as cost, got string$/m],
    ];
    for (const [name, text, pattern] of cases) {
      const out = join(tmp, `never-${name}`);
      expectUsageError(await runCli("eval", spec, "--plant", plant(name, text), "--steps", "3", "--out", out), "eval", pattern);
      expect(existsSync(out), name).toBe(false);
    }
    // a failure after some steps: the same one line; the steps before it are kept, flushed
    const late = plant("late.mjs", module(`reset() { k = 0; return s.slice(); }, step() { if (++k > 3) throw new Error('broke at 4'); return ${answer}; }`));
    const out = join(tmp, "late-run");
    expectUsageError(await runCli("eval", spec, "--plant", late, "--steps", "10", "--out", out), "eval", /^mpcrl eval: --plant: .*late\.mjs: step\(\) threw: broke at 4$/m);
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
  });

  it("load in the CLI as a user runs it (the compiled bundle when it is fresh, else the sources through tsx)", () => {
    for (const f of [ts, js]) {
      const out = join(tmp, `spawned-${f.endsWith(".ts") ? "ts" : "js"}`);
      const r = spawnCli("eval", spec, "--plant", f, "--steps", "3", "--out", out, "--json");
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ kind: "evaluation", steps: 3 });
    }
  });
});

describe("study", () => {
  it("--out a file and --resume of a damaged study.json are one-line errors", async () => {
    const study = file("study.mpcrl", SPEC.replace("  seed 1\n}", "  seed 1\n  study {\n    grid optimizer lr in [1e-2, 5e-2]\n    seeds 1\n  }\n}"));
    const plain = file("plain.txt", "not a folder\n");
    expectUsageError(await runCli("study", study, "--out", plain), "study", /--out '.*plain\.txt': it is a file, not a folder/);
    // under a file: one line for study, train and eval alike (study crashed in mkdir: "internal error: ENOTDIR")
    expectUsageError(await runCli("study", study, "--out", join(plain, "sub")), "study", /--out '.*plain\.txt\/sub': a part of its path, '.*plain\.txt', is a file, not a folder\n$/);
    expectUsageError(await runCli("eval", spec, "--out", join(plain, "sub", "deeper")), "eval", /--out '.*deeper': a part of its path, '.*plain\.txt', is a file, not a folder\n$/);
    expect(readFileSync(plain, "utf8")).toBe("not a folder\n");
    const dir = join(tmp, "damaged-study");
    mkdirSync(dir);
    writeFileSync(join(dir, "spec.mpcrl"), readFileSync(study, "utf8"));
    for (const [text, pattern] of [
      ["{bad", /study\.json' is not valid JSON/],
      ["null", /is not a study of this version: it does not hold a JSON object/],
      [JSON.stringify({ version: 1, spec: "s", specHash: "h", seeds: [1], evaluation: {}, trials: [{ id: 3 }] }), /`trials` is not an array of trials/],
    ] as const) {
      writeFileSync(join(dir, "study.json"), text);
      expectUsageError(await runCli("study", "--resume", dir), "study", pattern);
    }
  });
});
