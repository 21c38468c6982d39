// `npm run figures`: runs the benchmarks and the example trainings, and writes docs/figures.md, the
// one table of the project's figures (README and example READMEs link to it instead of quoting
// numbers). Each row records the command that produced it; each group records its date and the
// machine's load average (1 minute, before and after), because the 2-core machine is shared.
// The figures come from the `--json` output of the bench scripts and from the `summary.json` /
// `metrics.jsonl` of run folders written by the CLI (`mpcrl train`/`eval`, run from the sources).
// The data of the last run of every group is kept in docs/figures.md (an HTML comment at the end),
// so a subset can be re-measured without losing the other groups (their dates stay as they were).
// Usage: tsx bench/figures.ts [--only qp,sens,train,examples,cli,check,compile,lsp,study,scale,longhorizon,nmpc,nmpclearn,newuser] [--quick] [--out FILE]
//   --quick: fewer repetitions (about half the time, noisier medians).

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { groupNewUser } from "./figures_newuser.js";
import { stats } from "../cli/train_multi.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const outIdx = args.indexOf("--out");
const outFile = outIdx >= 0 ? args[outIdx + 1] : join(root, "docs/figures.md");
const allGroups = ["train", "examples", "qp", "sens", "cli", "check", "compile", "lsp", "study", "scale", "longhorizon", "nmpc", "nmpclearn", "newuser"] as const;
type Group = (typeof allGroups)[number];
const onlyIdx = args.indexOf("--only");
const only = onlyIdx >= 0 ? (args[onlyIdx + 1] ?? "").split(",").filter((g) => g.length > 0) : [...allGroups];
for (const g of only) {
  if (!(allGroups as readonly string[]).includes(g)) {
    console.error(`figures: unknown group '${g}' (groups: ${allGroups.join(", ")})`);
    process.exit(2);
  }
}
if (args.includes("--help")) {
  console.log("usage: tsx bench/figures.ts [--only " + allGroups.join(",") + "] [--quick] [--out FILE]");
  process.exit(0);
}

interface Row {
  what: string;
  ours: string;
  reference: string;
  command: string;
}
interface GroupData {
  title: string;
  date: string;
  load: { before: number[]; after: number[] };
  seconds: number;
  rows: Row[];
  notes: string[];
}
type Data = Partial<Record<Group, GroupData>>;

const DATA_START = "<!-- figures-data";
const DATA_END = "figures-data -->";

function readPrevious(): Data {
  if (!existsSync(outFile)) return {};
  const text = readFileSync(outFile, "utf8");
  const a = text.indexOf(DATA_START);
  const b = text.indexOf(DATA_END);
  if (a < 0 || b < 0) return {};
  try {
    return JSON.parse(text.slice(a + DATA_START.length, b)) as Data;
  } catch {
    return {};
  }
}

const load = (): number[] => loadavg().map((v) => Math.round(v * 100) / 100);
const tsx = (script: string, scriptArgs: string[]) => ({ cmd: process.execPath, argv: ["--import", "tsx", script, ...scriptArgs] });

/** Runs a command from the repository root; returns stdout (throws with stderr's tail on failure). */
function run(script: string, scriptArgs: string[]): string {
  const { cmd, argv } = tsx(script, scriptArgs);
  process.stderr.write(`figures: ${script} ${scriptArgs.join(" ")}\n`);
  const r = spawnSync(cmd, argv, { cwd: root, encoding: "utf8", maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${script} ${scriptArgs.join(" ")} exited ${r.status}: ${(r.stderr || "").trim().split("\n").slice(-5).join("\n")}`);
  return r.stdout;
}
function bench<T>(name: string, benchArgs: string[]): { json: T; command: string } {
  const out = run(`bench/${name}.ts`, ["--json", ...benchArgs]);
  return { json: JSON.parse(out) as T, command: `npx tsx bench/${name}.ts ${benchArgs.join(" ")}`.trim() };
}

let scratch: string | undefined;
function runDir(name: string): string {
  scratch ??= mkdtempSync(join(tmpdir(), "mpcrl-figures-"));
  return join(scratch, name); // does not exist yet: the CLI creates it
}
interface Summary {
  J: number;
  lastViolatingStep: number | null;
  violationsPer500: number[];
  episodeCosts: number[];
  wallTime: number;
  stepsPerSecond: number;
  solverFailures: number;
  params: Record<string, unknown>;
}
interface Stats {
  median: number | null;
  min: number | null;
  max: number | null;
}
function cli<T>(sub: "train" | "eval", spec: string, flags: string[], name: string): { summary: T; dir: string; command: string } {
  const dir = runDir(name);
  run("cli/main.ts", [sub, spec, ...flags, "--out", dir]);
  return { summary: JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as T, dir, command: `mpcrl ${sub} ${spec} ${flags.join(" ")}`.trim() };
}
function episodeLines(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"type":"episode"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const f = (v: number | null | undefined, d = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(d));
const us = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} us`);
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const range = (s: Stats, d = 1): string => `${f(s.median, d)} [${f(s.min, d)}, ${f(s.max, d)}]`;
const vec = (v: unknown, d = 3): string => (Array.isArray(v) ? `[${v.map((x) => vec(x, d)).join(", ")}]` : typeof v === "number" ? v.toFixed(d) : String(v));

// ------------------------------------------------------------------ groups
const GZ = "examples/gros_zanon";
const ANCHOR = "../shared/data/anchors";

function groupTrain(): Omit<GroupData, "date" | "load" | "seconds"> {
  type T = {
    qlearning: { medianSeconds: number; minSeconds: number; maxSeconds: number; stepsPerSecond: number; J: number; mpcrlJ: number; lastViolatingStep: number | null; params: Record<string, unknown>; mpcrlParams: Record<string, unknown> };
    nominal: { J: number; mpcrlJ: number; seconds: number };
    learnerUsPerStep: number;
  };
  const runs = quick ? 3 : 5;
  const { json: t, command } = bench<T>("train", ["--runs", String(runs), "--nominal"]);
  const q = t.qlearning;
  const rel = (a: number, b: number): string => `${(((a - b) / b) * 100).toFixed(2)} %`;
  return {
    title: "Gros & Zanon Q-learning with mpcrl's recorded noise replayed (ANCHORS.md section 3)",
    rows: [
      { what: "Q-learning, 5000 steps: total cost J", ours: `${f(q.J, 2)} (${rel(q.J, q.mpcrlJ)})`, reference: `mpcrl 1.4: ${f(q.mpcrlJ, 2)}`, command },
      { what: "last step violating a state bound", ours: String(q.lastViolatingStep ?? "none"), reference: "mpcrl: 1206", command },
      { what: "learned `x_lb` / `b`", ours: `${vec(q.params.x_lb)} / ${vec(q.params.b)}`, reference: `mpcrl: ${vec(q.mpcrlParams.x_lb)} / ${vec(q.mpcrlParams.b)}`, command },
      { what: "learned `A` / `B`", ours: `${vec(q.params.A)} / ${vec(q.params.B)}`, reference: `mpcrl: ${vec(q.mpcrlParams.A)} / ${vec(q.mpcrlParams.B)}`, command },
      {
        what: "wall time of the 5000-step Q-learning run (in process, compiled once)",
        ours: `median ${f(q.medianSeconds, 2)} s of ${runs} runs (${f(q.minSeconds, 2)} to ${f(q.maxSeconds, 2)} s), ${q.stepsPerSecond.toFixed(0)} steps/s`,
        reference: "mpcrl: 23 to 37 s (reference from ANCHORS.md, not measured here); goal: at most 1.5 s",
        command,
      },
      { what: "same MPC, no learning, 5000 steps: J", ours: `${f(t.nominal.J, 2)} (${rel(t.nominal.J, t.nominal.mpcrlJ)})`, reference: `mpcrl: ${f(t.nominal.mpcrlJ, 2)}`, command },
      { what: "learner alone (analytic Q, 4 parameters), per step", ours: `${f(t.learnerUsPerStep, 1)} us`, reference: "-", command },
    ],
    notes: [
      "The runs agree step by step with mpcrl's for the first steps only (`examples/gros_zanon/anchors.test.ts`); the closed loop amplifies a tiny change of one action exponentially (`bench:train --nominal` prints how fast), so the 5000-step figures agree statistically, not exactly.",
    ],
  };
}

function groupExamples(): Omit<GroupData, "date" | "load" | "seconds"> {
  const rows: Row[] = [];
  const demo = cli<Summary>("train", `${GZ}/linear_mpc.mpcrl`, [], "demo");
  rows.push({
    what: "`npm run demo`: Q-learning, 5000 steps, fresh seeded noise (seed 69): J / last violating step",
    ours: `${f(demo.summary.J, 1)} / ${demo.summary.lastViolatingStep ?? "none"} (${f(demo.summary.wallTime, 2)} s)`,
    reference: "not comparable to mpcrl's 1259.85: another noise sequence (see below)",
    command: demo.command,
  });
  const replay = cli<Summary>("train", `${GZ}/linear_mpc.mpcrl`, ["--disturbance", `${ANCHOR}/gz_qlearning_mpcrl_5000.json`], "replay");
  rows.push({
    what: "the same with mpcrl's recorded noise replayed: J / last violating step",
    ours: `${f(replay.summary.J, 2)} / ${replay.summary.lastViolatingStep ?? "none"} (${f(replay.summary.wallTime, 2)} s)`,
    reference: "mpcrl 1.4: 1259.85 / 1206",
    command: replay.command,
  });
  const seeds = cli<{ J: Stats; lastViolatingStep: Stats; violatingSteps: Stats; wallTime: number }>("train", `${GZ}/linear_mpc.mpcrl`, ["--seeds", "1..5"], "seeds");
  rows.push({
    what: "Q-learning, fresh noise, seeds 1 to 5: J median [range]; last violating step; violating steps",
    ours: `${range(seeds.summary.J)}; ${range(seeds.summary.lastViolatingStep, 0)}; ${range(seeds.summary.violatingSteps, 0)}`,
    reference: "mpcrl (its noise): J 1259.85, 556 violating steps",
    command: seeds.command,
  });
  const safeReplay = cli<Summary & { violatingSteps: number }>("train", `${GZ}/linear_mpc_safe.mpcrl`, ["--disturbance", `${ANCHOR}/gz_qlearning_mpcrl_5000.json`, "--no-eval"], "safe-replay");
  rows.push({
    what: "beside deep RL, the same 5000 online steps with mpcrl's recorded noise: safe Q-learning (`linear_mpc_safe.mpcrl`) J / violating steps / last violating step / wall time",
    ours: `${f(safeReplay.summary.J, 1)} / ${safeReplay.summary.violatingSteps} / ${safeReplay.summary.lastViolatingStep ?? "none"} / ${f(safeReplay.summary.wallTime, 2)} s`,
    reference:
      "Stable-Baselines3 defaults, same noise, 5 seeds (ANCHORS.md section 5, reference, not measured here): SAC and PPO diverge within 71 to 108 steps (cost about 4e6 by then); SAC allowed to reset: J 2.2e7 to 3.3e8, violating until step 4790 to 4999; SAC about 15 s per 1000 steps",
    command: safeReplay.command,
  });
  const safeQ = cli<{ J: Stats; lastViolatingStep: Stats; violatingSteps: Stats }>("train", `${GZ}/linear_mpc_safe.mpcrl`, ["--seeds", "1..5", "--no-eval"], "safe-q");
  rows.push({
    what: "safe Q-learning (`linear_mpc_safe.mpcrl`: the same with `identify 20`), seeds 1 to 5: violating steps in 5000; J; last violating step (median [range])",
    ours: `${range(safeQ.summary.violatingSteps, 0)}; ${range(safeQ.summary.J)}; ${range(safeQ.summary.lastViolatingStep, 0)}`,
    reference: "mpcrl: 556 violating steps, J 1259.85; issue 13's target: at most 278, J no worse",
    command: safeQ.command,
  });
  const nominal = cli<{ J: Stats; lastViolatingStep: Stats }>("eval", `${GZ}/linear_mpc.mpcrl`, ["--seeds", "1..5", "--steps", "5000"], "nominal-seeds");
  rows.push({
    what: "no learning (initial parameters), seeds 1 to 5: J median [range]; last violating step",
    ours: `${range(nominal.summary.J)}; ${range(nominal.summary.lastViolatingStep, 0)}`,
    reference: "mpcrl, its noise: 4657.36, violations never stop",
    command: nominal.command,
  });
  const testcfg = cli<Summary>("train", `${GZ}/linear_mpc_testcfg.mpcrl`, ["--disturbance", `${ANCHOR}/gz_qlearning_mpcrl_testcfg_100.json`], "testcfg");
  rows.push({
    what: "regression configuration, 100 steps, mpcrl's noise: J",
    ours: f(testcfg.summary.J, 1),
    reference: "mpcrl: 317.71 (see examples/gros_zanon/README.md for why 100 steps do not reproduce)",
    command: testcfg.command,
  });
  const dpg = cli<Summary>("train", `${GZ}/linear_mpc_dpg.mpcrl`, [], "dpg");
  const roll = dpg.summary.episodeCosts.length > 1 ? dpg.summary.episodeCosts : rolloutCosts(dpg.dir, 100);
  rows.push({ what: "DPG, 5000 steps (seed 69): J", ours: `${f(dpg.summary.J, 1)} (${f(dpg.summary.wallTime, 1)} s)`, reference: "mpcrl: 899.4", command: dpg.command });
  rows.push({ what: "DPG: cost per 100-step rollout, mean of the first 10 -> last 10", ours: `${f(mean(roll.slice(0, 10)))} -> ${f(mean(roll.slice(-10)))}`, reference: "mpcrl: 47.9 -> 7.3", command: dpg.command });
  rows.push({ what: "DPG: violating steps per 500", ours: dpg.summary.violationsPer500.join(", "), reference: "mpcrl: 217, 108, 64, 75, 50, 54, 29, 27, 25, 19", command: dpg.command });
  const safeDpg = cli<{ J: Stats; runs: { dir: string }[] }>("train", `${GZ}/linear_mpc_dpg_safe.mpcrl`, ["--seeds", "1..5", "--no-eval"], "safe-dpg");
  const late = safeDpg.summary.runs.map((r) => lastViolations(r.dir, 1000));
  const lastRoll = safeDpg.summary.runs.map((r) => mean(rolloutCosts(r.dir, 100).slice(-10)));
  rows.push({
    what: "safe DPG (`linear_mpc_dpg_safe.mpcrl`: `identify 20`, safety-filtered exploration, `exploration_margin 0.1`; mpcrl's lr 1e-6), seeds 1 to 5: violating steps in the last 1000; cost per 100-step rollout, mean of the last 10; J (median [range])",
    ours: `${range(stats(late), 0)}; ${range(stats(lastRoll), 2)}; ${range(safeDpg.summary.J)}`,
    reference: "mpcrl DPG: about 44 per 1000 at the end (25 + 19), 7.3, J 899.4; issue 13's target: 0 and at most 7.3",
    command: safeDpg.command,
  });
  const off = cli<Summary>("train", `${GZ}/linear_mpc_offline.mpcrl`, [], "offline");
  const evals = episodeLines(off.dir).filter((e) => typeof e.eval_cost === "number").map((e) => e.eval_cost as number);
  rows.push({
    what: "off-policy Q-learning with the model guard (the default, `guard model`): evaluation cost every 10 recorded rollouts (5 episodes of 100 steps)",
    ours: evals.map((v) => v.toFixed(1)).join(", "),
    reference: "mpcrl (no guard, like `guard none`): 1134 -> 397",
    command: off.command,
  });
  // the same data without the guard (mpcrl's train_offpolicy): the verdicts side by side
  const noGuardSpec = runDir("offline-guard-none.mpcrl");
  const offlineSource = readFileSync(join(root, GZ, "linear_mpc_offline.mpcrl"), "utf8");
  const noGuardSource = offlineSource.replace("    first_input_bounds removed\n  }\n  dataset", "    first_input_bounds removed\n    guard none\n  }\n  dataset");
  if (noGuardSource === offlineSource) throw new Error("figures: linear_mpc_offline.mpcrl changed; the `guard none` variant is no longer made (update groupExamples)");
  writeFileSync(noGuardSpec, noGuardSource);
  const noGuard = cli<Summary>("train", noGuardSpec, [], "offline-guard-none");
  type Verdict = { initial: { meanCost: number; violationSteps: number }; learned: { meanCost: number; violationSteps: number }; comparison: { relativePercent: number; meanInitial: number; meanLearned: number }; evaluation: { episodes: number } };
  const verdictOf = (dir: string) => JSON.parse(readFileSync(join(dir, "verdict.json"), "utf8")) as Verdict;
  const vModel = verdictOf(off.dir);
  const vNone = verdictOf(noGuard.dir);
  rows.push({
    what: `offline, seed 69, the same ${vModel.evaluation.episodes} held-out episodes (verdicts): mean cost behaviour (nominal MPC) / learned with \`guard model\` / learned with \`guard none\`; held-out steps violating the state bounds, the same three`,
    ours: `${f(vModel.initial.meanCost, 2)} / ${f(vModel.learned.meanCost, 3)} (${f(vModel.comparison.relativePercent, 1)} %) / ${f(vNone.learned.meanCost, 1)} (${vNone.comparison.relativePercent > 0 ? "+" : ""}${f(vNone.comparison.relativePercent, 1)} %); ${vModel.initial.violationSteps} / ${vModel.learned.violationSteps} / ${vNone.learned.violationSteps}`,
    reference: "mpcrl (no guard, like `guard none`): about 4 times the behaviour policy's cost (397 / 101.5)",
    command: `${off.command}; the same spec with \`guard none\``,
  });
  const offSeeds = cli<{ runs: { dir: string }[] }>("train", `${GZ}/linear_mpc_offline.mpcrl`, ["--seeds", "1..5"], "offline-seeds");
  const ratios = offSeeds.summary.runs.map((r) => {
    const c = verdictOf(r.dir).comparison;
    return c.meanLearned / c.meanInitial;
  });
  rows.push({
    what: "offline (`guard model`), seeds 1 to 5: learned / behaviour mean cost on the same 10 held-out episodes (each seed's verdict), median [range]",
    ours: range(stats(ratios), 3),
    reference: "mpcrl (no guard): about 4 (397 / 101.5); issue 13's target: at most 0.8",
    command: offSeeds.command,
  });
  rows.push({
    what: "off-policy: behaviour policy (nominal MPC) cost per 100-step rollout, first / last",
    ours: `${f(off.summary.episodeCosts[0])} / ${f(off.summary.episodeCosts[off.summary.episodeCosts.length - 1])} (run ${f(off.summary.wallTime, 1)} s)`,
    reference: "mpcrl: about 101.5",
    command: off.command,
  });
  const bo = cli<Summary>("train", `${GZ}/linear_mpc_bayesopt.mpcrl`, [], "bayesopt");
  const costs = bo.summary.episodeCosts;
  const best = costs.indexOf(Math.min(...costs));
  rows.push({
    what: "Bayesian optimization, 35 episodes of 200 steps: episode cost of the initial parameters -> best (evaluation)",
    ours: `${f(costs[0], 1)} -> ${f(costs[best], 2)} (evaluation ${best + 1} of ${costs.length}; ${f(bo.summary.wallTime, 1)} s)`,
    reference: "-",
    command: bo.command,
  });
  return {
    title: "Example trainings through the CLI (examples/gros_zanon)",
    rows,
    notes: [
      `The demo's J differs from mpcrl's 1259.85 because it uses fresh noise: the plant's disturbance is drawn from the spec's seeded random stream (xoshiro128**, seed 69), while mpcrl's figure comes from its own NumPy noise sequence. Replaying that recorded sequence (\`--disturbance ../shared/data/anchors/gz_qlearning_mpcrl_5000.json\`, second row) gives a J ${(((replay.summary.J - 1259.85) / 1259.85) * 100).toFixed(2)} % from mpcrl's. Over five fresh seeds J ranges from ${f(seeds.summary.J.min)} to ${f(seeds.summary.J.max)}, so a single fresh-noise run is compared with that range, not with mpcrl's one figure.`,
      "Run times of CLI runs are the run's own wall time from `summary.json` (compilation and start-up excluded).",
    ],
  };
}

/** The step lines of a run folder's metrics.jsonl. */
function stepLines(dir: string): { violations: number; cost: number }[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.includes('"type":"step"'))
    .map((l) => JSON.parse(l) as { violations: number; cost: number });
}

/** Violating steps among the last `tail` steps of a run folder. */
function lastViolations(dir: string, tail: number): number {
  return stepLines(dir)
    .slice(-tail)
    .filter((s) => s.violations > 0).length;
}

function rolloutCosts(dir: string, len: number): number[] {
  const steps = stepLines(dir).map((s) => s.cost);
  const out: number[] = [];
  for (let k = 0; k < steps.length; k += len) out.push(steps.slice(k, k + len).reduce((a, b) => a + b, 0));
  return out;
}

function groupQp(): Omit<GroupData, "date" | "load" | "seconds"> {
  type Mpc = { problem: string; settings: string; checkTermination: number; medianUs: number; iterations: number; notSolved: number; steps: number; native: { measured: boolean; referenceUs?: string; coreUs?: number[]; notSolved?: number; ratio?: number; source?: string } };
  type T = {
    native: { available: boolean; version?: string; reason?: string };
    mpc: Mpc[];
    maros: { count: number; solved: number; wrongVerdicts: number; medianMsSolved: number; medianFirstMsSolved: number; problems: { problem: string; ms: number; solved: boolean; status: string }[]; native: { measured: boolean; solved?: number; wrongVerdicts?: number; medianMsSolved?: number; medianRatioBothSolved?: number; bothSolved?: number; oursMedianMsBoth?: number; nativeMedianMsBoth?: number } };
  };
  const reps = quick ? 3 : 15;
  const { json: t, command } = bench<T>("qp", ["--reps", String(reps)]);
  const rows: Row[] = [];
  for (const m of t.mpc) {
    const nat = m.native.measured
      ? `native measured here: ${m.native.coreUs!.map((v) => v.toFixed(1)).join(" / ")} us (ours/native ${m.native.ratio!.toFixed(2)}x), not solved ${m.native.notSolved}/${m.steps}`
      : `native ${m.native.referenceUs} us: reference from ANCHORS.md (${m.checkTermination === 25 ? "section 1, idle machine" : "section 7, load about 4"}), not measured here`;
    rows.push({
      what: `${m.problem}, ${m.settings === "tight" ? "tight (1e-6 + polish)" : "default (1e-3)"}, termination checked every ${m.checkTermination}: median warm solve; steps not solved`,
      ours: `${us(m.medianUs)}, ${m.iterations} iterations; ${m.notSolved} of ${m.steps}`,
      reference: nat,
      command,
    });
  }
  const mr = t.maros;
  rows.push({
    what: "Maros-Meszaros small set (tight, 100000 iterations): solved (rel. error <= 1e-4); wrong infeasibility verdicts",
    ours: `${mr.solved} of ${mr.count}; ${mr.wrongVerdicts}`,
    reference: mr.native.measured ? `native measured here: ${mr.native.solved} of ${mr.count}; ${mr.native.wrongVerdicts}` : "native 48 of 69; 5 (reference from ANCHORS.md section 2, not measured here)",
    command,
  });
  const ms = mr.problems.filter((p) => p.solved).map((p) => p.ms).sort((a, b) => a - b);
  rows.push({
    what: "Maros-Meszaros: median setup + solve time of a solved problem (fastest / slowest solved); the same for the first solve of each problem in the process (V8 still compiling)",
    ours: `${f(mr.medianMsSolved, 2)} ms (${f(ms[0], 2)} / ${f(ms[ms.length - 1], 0)} ms); first solves ${f(mr.medianFirstMsSolved, 2)} ms`,
    reference: mr.native.measured
      ? `native measured here: ${f(mr.native.medianMsSolved, 2)} ms; median ratio over problems both solve ${f(mr.native.medianRatioBothSolved, 1)}x`
      : "native about 1 ms (reference from ANCHORS.md section 2, not measured here)",
    command,
  });
  if (mr.native.measured) {
    rows.push({
      what: `Maros-Meszaros, the ${mr.native.bothSolved} problems both solve: median setup + solve time; median of the per-problem ratio ours / native`,
      ours: `${f(mr.native.oursMedianMsBoth, 2)} ms; ${f(mr.native.medianRatioBothSolved, 2)}x`,
      reference: `native measured here: ${f(mr.native.nativeMedianMsBoth, 2)} ms; issue 10's target: within 2x`,
      command,
    });
  }
  return {
    title: "QP solver: MPC closed loops (100 warm-started steps) and Maros-Meszaros",
    rows,
    notes: [
      t.native.available
        ? `Native OSQP (osqp ${t.native.version}) was measured in the same run: on the MPC loops in 4 passes alternating with 3 rounds of ours, with the same termination-check period, on Maros by bench/native_maros.py; ratios are ours / native's C time (OSQP's own timers).`
        : `Native OSQP was not measured in this run (${t.native.reason}): its figures are references from ../shared/ANCHORS.md, from other runs on other days, and no ratios are formed. \`npm run setup:native\` (or MPCRL_OSQP_PYTHON set to a Python with osqp, numpy and scipy) measures it side by side.`,
      "Maros times: setup + solve with a fresh solver. The first solve of a problem in this process pays V8's compilation of the code paths it is the first to use (DUAL1 alone: 31 ms the first time, 2.1 ms from the 13th), which native's compiled C never does; so a problem solved in under 100 ms is solved 10 more times untimed, then 5 times timed, and its time is their median (the first solves' median is in the second Maros row). Native's time is OSQP's C timers (setup + solve + polish), the median of 6 runs for a problem under 100 ms, with the data converted before any timer starts. Per-problem times: `npx tsx bench/qp.ts --only-maros`.",
      marosDetails(mr.problems, mr.native.measured),
    ],
  };
}

function marosDetails(problems: { problem: string; ms: number; solved: boolean; status: string; native?: { ms?: number; status: string } }[], measured: boolean): string {
  const head = measured ? "| problem | status | setup + solve | native status | native time |\n|---|---|---|---|---|" : "| problem | status | setup + solve |\n|---|---|---|";
  const body = problems.map((p) => {
    const st = p.solved ? p.status : `${p.status} (not solved)`;
    return measured ? `| ${p.problem} | ${st} | ${f(p.ms, 2)} ms | ${p.native?.status ?? "-"} | ${f(p.native?.ms, 2)} ms |` : `| ${p.problem} | ${st} | ${f(p.ms, 2)} ms |`;
  });
  return `<details><summary>Maros-Meszaros, time per problem (ours${measured ? " and native's, measured in the same run" : "; native's per-problem times were not measured here"})</summary>\n\n${head}\n${body.join("\n")}\n\n</details>`;
}

function groupSens(): Omit<GroupData, "date" | "load" | "seconds"> {
  type T = { problems: { problem: string; updateAdjointUs: number; coldUs: number; derivativeInSolves: number; nativeAdjointRefUs: number; nativeAdjointInSolvesRef: number }[] };
  const { json: t, command } = bench<T>("sensitivity", ["--reps", quick ? "11" : "31"]);
  return {
    title: "QP solution derivatives (one adjoint)",
    rows: t.problems.map((p) => ({
      what: `${p.problem}: adjoint with a kept factorization object (update + adjoint); cold; in tight solves`,
      ours: `${us(p.updateAdjointUs)}; ${us(p.coldUs)}; ${p.derivativeInSolves.toFixed(2)} solves`,
      reference: `native adjoint ${us(p.nativeAdjointRefUs)}, ${p.nativeAdjointInSolvesRef.toFixed(2)} solves (reference from ANCHORS.md section 1, not measured here)`,
      command,
    })),
    notes: [],
  };
}

function groupCheck(): Omit<GroupData, "date" | "load" | "seconds"> {
  type T = { lines: number; checkMs: { wall: number; cpu: number }; parseMs: { wall: number }; exampleCheckMs: Record<string, number> };
  const { json: t, command } = bench<T>("check", []);
  const ex = Object.values(t.exampleCheckMs);
  return {
    title: "Front end",
    rows: [
      { what: `check (parse + checker) of a generated ${t.lines}-line spec`, ours: `${f(t.checkMs.wall, 1)} ms wall, ${f(t.checkMs.cpu, 1)} ms CPU`, reference: "target < 200 ms", command },
      { what: "check of a shipped example (fastest / slowest)", ours: `${f(Math.min(...ex), 2)} / ${f(Math.max(...ex), 2)} ms`, reference: "-", command },
    ],
    notes: [],
  };
}

function groupCli(): Omit<GroupData, "date" | "load" | "seconds"> {
  type T = {
    rows: { command: string; wallSeconds: number; cpuSeconds: number; wallRatio: number; cpuRatio: number; target: number | null; met: boolean | null }[];
    sources: { name: string; wall: number }[];
  };
  const { json: t, command } = bench<T>("cli", ["--runs", quick ? "5" : "9"]);
  const base = t.rows[0];
  return {
    title: "CLI start-up (the installed bin on the compiled bundle)",
    rows: [
      ...t.rows.map((r) => ({
        what: r.command,
        ours: r.target === null ? `${f(r.wallSeconds * 1000, 0)} ms wall` : `${f(r.wallRatio, 2)}x node -e 0 wall (${f(r.wallSeconds * 1000, 0)} ms; CPU ${f(r.cpuRatio, 2)}x)`,
        reference: r.target === null ? "baseline" : `target <= ${r.target}x: ${r.met ? "met" : "NOT met"}`,
        command,
      })),
      ...t.sources.map((s) => ({ what: s.name, ours: `${f(s.wall / base.wallSeconds, 2)}x node -e 0 wall (${f(s.wall * 1000, 0)} ms)`, reference: "before the compiled bundle", command })),
    ],
    notes: ["CPU time counts V8's background threads (code-cache deserialization, GC) as well; the targets are wall-time ratios, measured interleaved with `node -e 0` in the same rounds."],
  };
}

function groupCompile(): Omit<GroupData, "date" | "load" | "seconds"> {
  type T = {
    compileMs: Record<string, { full: number; noEmit: number }>;
    gzPerCallUs: Record<string, number>;
    gzStepUs: number;
    gzStepCpuUs: number;
    gzStepBefore: { label: string; stepUs: number; stepCpuUs: number; load: string };
  };
  const { json: t, command } = bench<T>("compile", ["--reps", quick ? "3" : "5"]);
  const gz = t.compileMs["gros_zanon/linear_mpc.mpcrl"];
  const big = t.compileMs["generated nx=20 nu=8 N=40"];
  const bare = t.gzPerCallUs["bare QP solve (same settings)"];
  const act = t.gzPerCallUs["act"];
  return {
    title: "Compiler and generated controller",
    rows: [
      { what: "compile gros_zanon/linear_mpc.mpcrl (in process, after warm-up): full / without emitting", ours: gz ? `${f(gz.full, 1)} / ${f(gz.noEmit, 1)} ms` : "-", reference: "-", command },
      { what: "compile a generated spec (nx 20, nu 8, N 40): full / without emitting", ours: big ? `${f(big.full, 0)} / ${f(big.noEmit, 0)} ms` : "-", reference: "-", command },
      { what: "Gros & Zanon controller: `act` per call vs the bare QP solve", ours: `${us(act)} vs ${us(bare)}`, reference: "-", command },
      { what: "Gros & Zanon controller: `gradQvalue` / `policySensitivity` per call", ours: `${us(t.gzPerCallUs.gradQvalue)} / ${us(t.gzPerCallUs["policySensitivity (16 directions)"])}`, reference: "-", command },
      {
        what: "Gros & Zanon: `act` + `gradQvalue` + `policySensitivity` on the same state (the sensitivity reuses the solve's factorization): wall / CPU per state",
        ours: `${us(t.gzStepUs)} / ${us(t.gzStepCpuUs)}`,
        reference: `${t.gzStepBefore.label}, before the one KKT layer: ${us(t.gzStepBefore.stepUs)} / ${us(t.gzStepBefore.stepCpuUs)} (load ${t.gzStepBefore.load}); measured in another run, so compare with the load in mind`,
        command,
      },
    ],
    notes: [],
  };
}

function groupLsp(): Omit<GroupData, "date" | "load" | "seconds"> {
  type T = { bestMedianMs: number; worstMedianMs: number };
  const { json: t, command } = bench<T>("lsp", ["--reps", quick ? "7" : "15"]);
  return {
    title: "Language server",
    rows: [{ what: "didChange -> publishDiagnostics over stdio, per example: median (best / worst example)", ours: `${f(t.bestMedianMs, 1)} / ${f(t.worstMedianMs, 1)} ms`, reference: "target 50 ms", command }],
    notes: [],
  };
}

function groupStudy(): Omit<GroupData, "date" | "load" | "seconds"> {
  const out = run("bench/study.ts", []);
  const command = "npx tsx bench/study.ts";
  const rows: Row[] = [];
  for (const line of out.split("\n")) {
    const m = /^(.+?)\s+([\d.]+) s\s+([\d.]+) trials\/min$/.exec(line.trim());
    if (m) rows.push({ what: `12 short trials (cli/test/fixtures/study_tiny.mpcrl): ${m[1].trim()}`, ours: `${m[3]} trials/min (${m[2]} s)`, reference: "-", command });
    const o = /^queue overhead per trial.*?: (-?\d+) ms/.exec(line.trim());
    if (o) rows.push({ what: "BullMQ queue overhead per trial against the 1-thread pool", ours: `${o[1]} ms`, reference: "-", command });
    if (/^queue: skipped/.test(line.trim())) rows.push({ what: "BullMQ queue", ours: "not measured (no redis-server)", reference: "-", command });
  }
  return {
    title: "Studies (mpcrl study): trials per minute",
    rows,
    notes: ["Trials this short are dominated by starting worker threads (one module load each), so the pool scales little on them; the queue polls every 300 ms."],
  };
}

/** Issue 11's learning results on the nonlinear examples: seeds 1..5, each with its held-out verdict. */
function groupNmpcLearning(): Omit<GroupData, "date" | "load" | "seconds"> {
  type Multi = { J: Stats; violatingSteps: Stats; runs: { dir: string }[]; verdicts?: { helped: number; no_difference: number; worse: number; inconclusive: number } };
  type Comparison = { meanInitial: number; meanLearned: number; relativePercent: number; significant: boolean };
  const rows: Row[] = [];
  for (const [spec, label] of [
    ["examples/cartpole/cartpole.mpcrl", "cart-pole (Q-learning of the pole's mass and half-length)"],
    ["examples/cartpole/cartpole_swingup.mpcrl", "cart-pole swing-up from hanging down, real-time iteration (Q-learning of the pole's mass and half-length)"],
    ["examples/cstr/cstr.mpcrl", "CSTR (Q-learning of the kinetic parameters)"],
    ["examples/cstr/cstr_bayesopt.mpcrl", "CSTR (Bayesian optimization of a rate weight and a temperature back-off)"],
  ] as const) {
    const r = cli<Multi>("train", spec, ["--seeds", "1..5"], `learn-${spec.split("/").pop()}`);
    const cmp = r.summary.runs.map((x) => (JSON.parse(readFileSync(join(x.dir, "verdict.json"), "utf8")) as { comparison: Comparison }).comparison);
    const held = cmp.map((c) => c.relativePercent);
    const v = r.summary.verdicts;
    rows.push({
      what: `${label}, seeds 1 to 5: training J; violating steps during learning (median [range]); held-out change of the mean cost, learned vs initial, % (median [range]); verdicts`,
      ours: `${range(r.summary.J, 4)}; ${range(r.summary.violatingSteps, 0)}; ${range(stats(held), 1)} %; ${v ? `learning helped in ${v.helped} of 5, no significant difference in ${v.no_difference}, worse in ${v.worse}` : "-"}`,
      reference: "-",
      command: `mpcrl train ${spec} --seeds 1..5`,
    });
  }
  return { title: "Learning on the nonlinear examples (seeds 1 to 5)", rows, notes: ["Each seed ends with its verdict: the initial and the learned parameters on the same 10 held-out episodes (verdict.json per seed folder)."] };
}

/** Issue 14's long-horizon learning run: the Gros & Zanon Q-learning examples with horizon 80. */
function groupLongHorizon(): Omit<GroupData, "date" | "load" | "seconds"> {
  type Multi = { J: Stats; violatingSteps: Stats; runs: { dir: string }[] };
  const rows: Row[] = [];
  for (const [file, label] of [
    ["linear_mpc.mpcrl", "Q-learning (mpcrl's configuration)"],
    ["linear_mpc_safe.mpcrl", "safe Q-learning (`identify 20`)"],
  ] as const) {
    const spec = runDir(`n80-${file}`);
    writeFileSync(spec, readFileSync(join(root, GZ, file), "utf8").replace("  horizon 10\n", "  horizon 80\n"));
    const r = cli<Multi>("train", spec, ["--seeds", "1..5", "--no-eval"], `n80-${file}-runs`);
    const per = r.summary.runs.map((x) => JSON.parse(readFileSync(join(x.dir, "summary.json"), "utf8")) as { solverFailures: number; fallbacks: number; rejectedUpdates: number; stepsPerSecond: number; violationsPer500: number[] });
    const sum = (k: "solverFailures" | "fallbacks" | "rejectedUpdates") => per.reduce((a, x) => a + x[k], 0);
    // a seed that settled where the state keeps violating: most of its last 500 steps violate
    const stuck = per.filter((x) => (x.violationsPer500[x.violationsPer500.length - 1] ?? 0) > 250).length;
    rows.push({
      what: `${label}, horizon 80, 5000 steps, seeds 1 to 5: J; violating steps (median [range]); seeds still violating in most of their last 500 steps; solver failures / fallbacks / rejected updates (all seeds); ms per step (median [range])`,
      ours: `${range(r.summary.J)}; ${range(r.summary.violatingSteps, 0)}; ${stuck} of ${per.length}; ${sum("solverFailures")} / ${sum("fallbacks")} / ${sum("rejectedUpdates")}; ${range(stats(per.map((x) => 1000 / x.stepsPerSecond)), 2)}`,
      reference: "before (issue 14): diverged within 200 steps (J 1.4e10, 110 solver failures, 90 rejected updates)",
      command: `mpcrl train ${GZ}/${file} --seeds 1..5 --no-eval, its horizon 10 -> 80`,
    });
  }
  return {
    title: "Learning on a long horizon (Gros & Zanon, horizon 80)",
    rows,
    notes: [
      "Without identification, seeds can settle where the state keeps violating its bounds (the row's count; a policy learning does not leave: no solver failure, no numeric divergence); with `identify 20` none does. The test `runtime/learn/test/long_horizon.test.ts` checks that no accepted update is followed by a failed solve.",
    ],
  };
}

function groupScale(): Omit<GroupData, "date" | "load" | "seconds"> {
  type R = { size: number; n: number; msPerStep: number; p10: number; p90: number; factorizationsPerStep: number; ipmPerStep: number; admmPerStep: number; failures: number };
  type Seq = { offset: number; msPerStep: number; mean: number; ipmPerStep: number; factorizationsPerStep: number };
  type G = { act: R[]; qlearning: R[]; exponentAct: number; exponentQ: number; sequences?: Seq[]; sequenceSteps?: number; pooled?: { median: number; p10: number; p90: number; mean: number; ipmPerStep: number } };
  type NativeRow = { size: number; settings: "tight" | "default"; steps: number; core_us: number; oursMs: number; median_iter: number; unsolved: number; unsolved_statuses: Record<string, number>; unpolished: number; max_du0: number };
  type T = { gz: G; gzUndiscounted: G; chain: { rows: R[]; exponent: number }; native: { available: boolean; version?: string; reason?: string; rows: NativeRow[]; exponents: { tight?: number; default?: number } } };
  const { json: t, command } = bench<T>("scale", quick ? ["--max-n", "80"] : []);
  const rows: Row[] = [];
  t.gz.act.forEach((a, i) => {
    const q = t.gz.qlearning[i];
    rows.push({
      what: `Gros & Zanon, horizon ${a.size} (n ${a.n}): the \`act\` call / a Q-learning step per closed-loop step, median [p10, p90] (working sets, interior-point solves, ADMM fallbacks per step)`,
      ours: `${f(a.msPerStep, 3)} [${f(a.p10, 3)}, ${f(a.p90, 3)}] / ${f(q.msPerStep, 3)} [${f(q.p10, 3)}, ${f(q.p90, 3)}] ms (${f(a.factorizationsPerStep, 1)} / ${f(q.factorizationsPerStep, 1)} sets, ${f(a.ipmPerStep, 2)} / ${f(q.ipmPerStep, 2)} IPM, ${f(a.admmPerStep, 2)} / ${f(q.admmPerStep, 2)} ADMM)`,
      reference: a.size === 160 ? "target: Q step < 2 ms, act <= 20x N = 10" : "-",
      command,
    });
  });
  const pooled = t.gz.pooled;
  if (pooled !== undefined && t.gz.sequences !== undefined) {
    rows.push({
      what: `Q-learning step at horizon 160 on ${t.gz.sequences.length} disturbance sequences (offsets ${t.gz.sequences.map((r) => r.offset).join(", ")} of the recorded noise, ${t.gz.sequenceSteps ?? "?"} steps each), pooled: median [p10, p90], mean (interior-point solves per step); per sequence: median / mean ms`,
      ours: `${f(pooled.median, 3)} [${f(pooled.p10, 3)}, ${f(pooled.p90, 3)}] ms, mean ${f(pooled.mean, 3)} ms (${f(pooled.ipmPerStep, 2)} IPM); ${t.gz.sequences.map((r) => `${f(r.msPerStep, 2)} / ${f(r.mean, 2)}`).join(", ")}`,
      reference: "target: Q step < 2 ms",
      command,
    });
  }
  for (const N of [...new Set(t.native.rows.map((r) => r.size))]) {
    const at = t.native.rows.filter((r) => r.size === N);
    const tight = at.find((r) => r.settings === "tight");
    const dflt = at.find((r) => r.settings === "default");
    if (tight === undefined || dflt === undefined) continue;
    const notSolved = (r: NativeRow) => (r.unsolved === 0 ? "0" : `${r.unsolved} (${Object.entries(r.unsolved_statuses).map(([k, v]) => `${v} ${k}`).join(", ")})`);
    const side = (r: NativeRow) => `${f(r.core_us / 1000, 3)} ms (ours/native ${f(r.oursMs / (r.core_us / 1000), 2)}x), ${r.median_iter} iterations, not solved ${notSolved(r)} of ${r.steps}, max |u0 - ours| ${r.max_du0.toExponential(1)}`;
    rows.push({
      what: `Gros & Zanon, horizon ${N}: the act loop's QPs replayed on native OSQP, measured in this run right after ours: our median \`act\` call; native's median C time per step (bounds update, solve, polish), tight (1e-6 + polish) / default (1e-3), termination checked every 5`,
      ours: `${f(tight.oursMs, 3)} ms (exact)`,
      reference: `tight: ${side(tight)}${tight.unpolished > 0 ? `, polish failed ${tight.unpolished}` : ""}; default: ${side(dflt)}`,
      command,
    });
  }
  const nx = t.native.exponents;
  rows.push({
    what: "growth exponent in N (least squares on log-log): act / Q-learning step",
    ours: `${f(t.gz.exponentAct, 2)} / ${f(t.gz.exponentQ, 2)}`,
    reference: `target <= 1.2${nx.tight !== undefined && nx.default !== undefined ? `; native OSQP on the act loops' QPs, measured here: tight ${f(nx.tight, 2)} / default ${f(nx.default, 2)}` : ""}`,
    command,
  });
  const flat = t.gzUndiscounted;
  rows.push({
    what: `the same without the discount (gamma = 1), horizon ${flat.act.map((r) => r.size).join(" / ")}: act; Q-learning step, median ms (working sets per step)`,
    ours: [flat.act, flat.qlearning].map((rs) => rs.map((r) => `${f(r.msPerStep, 3)} (${f(r.factorizationsPerStep, 1)})`).join(" / ")).join("; "),
    reference: "-",
    command,
  });
  rows.push({ what: "without the discount: growth exponent in N, act / Q-learning step", ours: `${f(flat.exponentAct, 2)} / ${f(flat.exponentQ, 2)}`, reference: "target <= 1.2", command });
  for (const r of t.chain.rows) rows.push({ what: `chain of masses, N = 20, nx ${r.size} (n ${r.n}): act per step`, ours: `${f(r.msPerStep, 3)} ms (${f(r.factorizationsPerStep, 1)} sets)`, reference: "-", command });
  rows.push({ what: "chain of masses: growth exponent in nx", ours: f(t.chain.exponent, 2), reference: "-", command });
  return {
    title: "Scale: per-step cost against the horizon and the state size",
    rows,
    notes: [
      "A Q-learning run is chaotic: where a QP is degenerate (the discounted tail), a solver change that picks another of its optimal active sets moves the multipliers, the gradient and the parameters, and the run drifts into another regime. The one-sequence rows are therefore luck as much as speed; the several-sequence row pools their steps.",
      t.native.available
        ? `Native OSQP (osqp ${t.native.version}) solved the same QPs in the same run (bench/native_scale.py: one warm-started solver per closed loop, the state updated at each step, at most 100000 iterations). Its time is OSQP's own C timers (bounds update, solve, polish), ours the whole \`act\` call. Ours is an exact active-set solution, native's meets its tolerances; its largest first-input difference from ours is over the steps it solved.`
        : `Native OSQP on the same QPs: not measured in this run (${t.native.reason}); \`npm run setup:native\` installs it.`,
    ],
  };
}

function groupNmpc(): Omit<GroupData, "date" | "load" | "seconds"> {
  type Stat = { median_s: number; p90_s: number };
  type Parts = { tracking: number; inputChange: number; softPenalty: number; maxTR: number };
  type M = { system: string; mode: string; cost: number; step: Stat; feedback?: Stat; iterations: number; notSolved: number; uprightFrom?: number; maxIterations?: number; parts?: Parts };
  type Chain = { masses: number; nx: number; mode: "sqp" | "rti" | "linear"; step: Stat; qpsPerStep: number; retainedHeapBytes: number; statuses: Record<string, number> };
  type T = {
    measured: M[];
    reference: { experiments: { system: string; mode: string; name: string; cost: number; step: Stat; uprightFrom?: number; parts?: Parts }[] };
    chain?: { rows: Chain[]; exponents: Record<string, number> };
  };
  const { json: t, command } = bench<T>("nmpc", quick ? ["--chain-max", "6"] : []);
  const ms = (s: number): string => f(s * 1e3, 3);
  const rows: Row[] = t.measured.map((m) => {
    const refs = t.reference.experiments.filter((r) => r.system === m.system && r.mode === m.mode);
    const label: Record<string, string> = { cstr: "CSTR (do-mpc), 100 steps", cartpole_balance: "cart-pole balance from 0.2 rad, 250 steps", cartpole_swingup: "cart-pole swing-up from hanging down (theta = pi), 250 steps" };
    const up = (v: number | undefined): string => (v === undefined ? "" : `; upright (|theta| < 0.1 rad for good) from step ${v}`);
    return {
      what: `${label[m.system] ?? m.system}, ${m.mode === "sqp" ? `converged SQP${m.maxIterations !== undefined ? ` (at most ${m.maxIterations} iterations per step)` : ""}` : "real-time iteration"}: closed-loop cost; step median / p90${m.feedback ? " (feedback phase)" : ""}; QPs per step; steps not solved${m.uprightFrom !== undefined ? "; upright from" : ""}`,
      ours: `${m.cost.toPrecision(8)}; ${ms(m.step.median_s)} / ${ms(m.step.p90_s)} ms${m.feedback ? ` (${ms(m.feedback.median_s)} ms)` : ""}; ${f(m.iterations, 2)}; ${m.notSolved}${m.uprightFrom !== undefined ? `; step ${m.uprightFrom}` : ""}`,
      reference: refs.map((r) => `${r.name}: ${r.cost.toPrecision(8)}, ${ms(r.step.median_s)} / ${ms(r.step.p90_s)} ms${up(r.uprightFrom)}`).join("; ") + " (reference, not measured here)",
      command,
    };
  });
  // the CSTR's cost by part: where the converged SQP's cost differs from IPOPT's
  const partsText = (p: Parts): string => `${p.tracking.toPrecision(8)} / ${p.inputChange.toPrecision(6)} / ${p.softPenalty.toPrecision(4)}; ${p.maxTR.toFixed(7)} degC`;
  for (const m of t.measured) {
    if (m.parts === undefined) continue;
    const refs = t.reference.experiments.filter((r) => r.system === "cstr" && r.parts !== undefined);
    rows.push({
      what: `CSTR (do-mpc), 100 steps, ${m.mode === "sqp" ? "converged SQP" : "real-time iteration"}: closed-loop cost by part: tracking of C_b / input changes / soft T_R penalty; largest plant T_R`,
      ours: partsText(m.parts),
      reference: refs.map((r) => `${r.name}: ${partsText(r.parts!)}`).join("; ") + " (reference, not measured here)",
      command,
    });
  }
  const chain = t.chain;
  if (chain) {
    const masses = [...new Set(chain.rows.map((r) => r.masses))].sort((a, b) => a - b);
    for (const M of masses) {
      const by = (mode: Chain["mode"]) => chain.rows.find((r) => r.masses === M && r.mode === mode);
      const cell = (r: Chain | undefined) => (r ? `${ms(r.step.median_s)} / ${ms(r.step.p90_s)} ms` : "-");
      const failed = chain.rows.filter((r) => r.masses === M).reduce((a, r) => a + Object.entries(r.statuses).filter(([k]) => k !== "solved" && k !== "acceptable" && k !== "rti").reduce((b, [, v]) => b + v, 0), 0);
      const nx = by("sqp")?.nx ?? by("linear")?.nx ?? 0;
      rows.push({
        what: `hanging chain, ${M} masses (nx ${nx}, 3 inputs, N = 20), 30 closed-loop steps: SQP / RTI / linear MPC (the chain linearized at rest) per step, median / p90; SQP QPs per step; retained heap SQP; steps not solved`,
        ours: `${cell(by("sqp"))}; ${cell(by("rti"))}; ${cell(by("linear"))}; ${f(by("sqp")?.qpsPerStep, 2)}; ${f((by("sqp")?.retainedHeapBytes ?? NaN) / 1e6, 2)} MB; ${failed}`,
        reference: "-",
        command,
      });
    }
    rows.push({
      what: "hanging chain: growth exponent of the per-step time in nx (least squares on log-log): SQP / RTI / linear",
      ours: `${f(chain.exponents.sqp, 2)} / ${f(chain.exponents.rti, 2)} / ${f(chain.exponents.linear, 2)}`,
      reference: "-",
      command,
    });
  }
  return {
    title: "Nonlinear MPC: closed loops and per-step times (runtime/nmpc; ANCHORS.md nonlinear references)",
    rows,
    notes: [
      "The references (CasADi + IPOPT / RTI with OSQP or qpOASES) were measured on this machine kind at load 4 to 5 (../shared/data/anchors/nmpc_cstr_cartpole.json), not in this run.",
      "CSTR: the compiled spec examples/cstr/cstr.mpcrl at alpha = beta = 1; plant RK4 with 100 substeps (the reference's is cvodes). The cost by part shows where the converged SQP's total differs from IPOPT's: tracking and input changes agree, the whole difference is the soft T_R penalty. Q_dot is nearly free in do-mpc's objective (its change weight is 2.5e-10 per kW^2), so the optimum is a face, not a point: active-set solutions (ours, and the reference's own RTI with qpOASES) take a vertex on the T_R <= 140 bound, where the plant overshoots the controller's RK4 prediction by less than 1e-6 degC times the penalty 100; IPOPT's interior point stays 2.5e-3 degC below it.",
      "Hanging chain (bench/nmpc_chain.ts; acados' chain_mass): the RK4 forward sensitivities skip the structural zeros of f_x (runtime/nmpc/integrator.ts; one interval at 10 masses 4.0 -> 0.4 ms); a CPU profile of the SQP at 10 masses after that: about 40 % RK4 sensitivities, 20 % QP factorizations, 13 % the in-process model evaluation.",
      "Cart-pole swing-up: the same OCP from theta = pi (the reference's cartpole_swingup_* experiments); the Gauss-Newton SQP ends `acceptable` (KKT residual below 1e-5 for 10 iterations) on the steps where it circles at 1e-6, and takes its point. Far from the upright it converges linearly (its hardest step takes 126 iterations), so its cap is 200 iterations per step instead of the default 100 (acados' default; IPOPT's is 3000); with 100 that step ended at max_iterations. The exact Hessian (`hessian = exact`, convexified) is no help here: 37.6 instead of 11.4 iterations per step, 73 steps not solved.",
    ],
  };
}

const runners: Record<Group, () => Omit<GroupData, "date" | "load" | "seconds">> = {
  train: groupTrain,
  examples: groupExamples,
  qp: groupQp,
  sens: groupSens,
  cli: groupCli,
  check: groupCheck,
  compile: groupCompile,
  lsp: groupLsp,
  study: groupStudy,
  scale: groupScale,
  longhorizon: groupLongHorizon,
  nmpclearn: groupNmpcLearning,
  nmpc: groupNmpc,
  newuser: () => groupNewUser(cli),
};

// ------------------------------------------------------------------ main
const data = readPrevious();
const failures: string[] = [];
const t0 = performance.now();
try {
  for (const g of allGroups) {
    if (!only.includes(g)) continue;
    const before = load();
    const start = performance.now();
    try {
      const r = runners[g]();
      data[g] = { ...r, date: new Date().toISOString().replace(/\.\d+Z$/, "Z"), load: { before, after: load() }, seconds: Math.round((performance.now() - start) / 1000) };
    } catch (err) {
      failures.push(`${g}: ${err instanceof Error ? err.message : String(err)}`);
      process.stderr.write(`figures: group ${g} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}

const esc = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const lines: string[] = [
  "# Figures",
  "",
  "<!-- Generated by `npm run figures` (bench/figures.ts). Do not edit by hand: re-run it. -->",
  "",
  "The project's measured figures, in one place. Everything below was produced by `npm run figures`",
  "(`bench/figures.ts`), which runs the benchmarks (`bench/*.ts --json`) and the example trainings",
  "(the `mpcrl` CLI from the sources, reading the run folders' `summary.json`); each row names the",
  "command that produced it. Re-run a part with `npm run figures -- --only qp,train` (groups: " + allGroups.join(", ") + "),",
  "or everything faster and noisier with `--quick`.",
  "",
  `The machine has ${cpus().length} cores shared with other jobs: times are medians and move with the load average`,
  "(1, 5 and 15 minutes, recorded before and after each group). Compare times measured at similar",
  "loads, and prefer ratios measured in the same run. Costs and counts (J, violations, solved",
  "problems) are deterministic for a given seed and do not depend on the load.",
  "",
  "\"Reference\" figures come from `../shared/ANCHORS.md`; a reference that was not measured in the same",
  "run says so (\"not measured here\").",
  "",
];
for (const g of allGroups) {
  const d = data[g];
  if (!d) continue;
  lines.push(`## ${d.title}`, "");
  lines.push(`Measured ${d.date.replace("T", " ").replace("Z", " UTC")}, load average before ${d.load.before.join(" ")}, after ${d.load.after.join(" ")} (${d.seconds} s).`, "");
  lines.push("| what | here | reference | produced by |", "|---|---|---|---|");
  for (const r of d.rows) lines.push(`| ${esc(r.what)} | ${esc(r.ours)} | ${esc(r.reference)} | \`${esc(r.command)}\` |`);
  lines.push("");
  for (const n of d.notes) lines.push(n, "");
}
if (failures.length) lines.push("## Not measured in the last run", "", ...failures.map((x) => `- ${esc(x)}`), "");
lines.push(DATA_START, JSON.stringify(data), DATA_END, "");
writeFileSync(outFile, lines.join("\n"));
process.stderr.write(`figures: wrote ${outFile} in ${((performance.now() - t0) / 1000).toFixed(0)} s${failures.length ? ` (${failures.length} group(s) failed)` : ""}\n`);
if (failures.length) process.exitCode = 1;
