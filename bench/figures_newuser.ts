// The `newuser` group of `npm run figures` (bench/figures.ts): the three new-user problems of
// examples/new_user, each trained through the CLI (`mpcrl train SPEC`, the spec's own seed and the
// default held-out protocol), one row per problem with its verdict: the mean held-out episode cost
// of the initial and the learned parameters, the change in % with its 95 % confidence interval,
// whether it is significant, and the outcome (read from the run folder's verdict.json).

import { readFileSync } from "node:fs";
import { join } from "node:path";

/** `cli` of bench/figures.ts: runs `mpcrl <sub> spec flags --out <scratch>/name`, returns summary.json. */
export type CliRunner = <T>(sub: "train" | "eval", spec: string, flags: string[], name: string) => { summary: T; dir: string; command: string };

interface VerdictFile {
  line: string;
  outcome: string;
  evaluation: { episodes: number; steps: number; seed: number };
  initial: { meanCost: number | null; violationSteps: number; solverFailures: number };
  learned: { meanCost: number | null; violationSteps: number; solverFailures: number };
  comparison: { n: number; relativePercent: number | null; relativeCi95Percent: [number, number] | null; ci95: [number, number] | null; meanDifference: number | null; significant: boolean | null };
}

const NEW_USER = "examples/new_user";
const problems = [
  { spec: "msd_qlearning.mpcrl", what: "mass-spring-damper, plant spring 4 N/m vs model 2 N/m (Q-learning of the stiffness)" },
  { spec: "cartpole_dpg.mpcrl", what: "cart-pole, linearization with wrong masses (DPG of its four entries)" },
  { spec: "room_bayesopt.mpcrl", what: "room heating with a comfort band, UA half the plant's (Bayesian optimization of UA and a back-off)" },
];

const fx = (v: number | null | undefined, d: number): string => (v === null || v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(d));
const pct = (v: number): string => `${v > 0 ? "+" : ""}${v.toFixed(1)} %`;

export function groupNewUser(cli: CliRunner): { title: string; rows: { what: string; ours: string; reference: string; command: string }[]; notes: string[] } {
  const rows = problems.map((p) => {
    const run = cli<{ wallTime: number; solverFailures: number }>("train", `${NEW_USER}/${p.spec}`, [], `newuser-${p.spec.replace(/\.mpcrl$/, "")}`);
    const v = JSON.parse(readFileSync(join(run.dir, "verdict.json"), "utf8")) as VerdictFile;
    const c = v.comparison;
    const change =
      c.relativePercent !== null && c.relativeCi95Percent !== null
        ? `${pct(c.relativePercent)} (95 % CI ${pct(c.relativeCi95Percent[0])} to ${pct(c.relativeCi95Percent[1])})`
        : `${fx(c.meanDifference, 3)} (95 % CI ${c.ci95 ? `${fx(c.ci95[0], 3)} to ${fx(c.ci95[1], 3)}` : "-"})`;
    return {
      what: `${p.what}: mean held-out episode cost initial -> learned; change; significant; outcome`,
      ours:
        `${fx(v.initial.meanCost, 2)} -> ${fx(v.learned.meanCost, 2)}; ${change}; ${c.significant ? "significant" : "not significant"}; ${v.outcome}` +
        ` (${c.n} paired episodes of ${v.evaluation.steps} steps, seed ${v.evaluation.seed}; violating steps ${v.initial.violationSteps} -> ${v.learned.violationSteps}; training ${fx(run.summary.wallTime, 1)} s, ${run.summary.solverFailures} solver failures)`,
      reference: "-",
      command: run.command,
    };
  });
  return {
    title: "New-user problems: the verdict of each training (examples/new_user)",
    rows,
    notes: [
      "Each row is the verdict that `mpcrl train` prints at the end of the run (verdict.json): the spec's initial parameters and the learned ones on the same 10 held-out episodes (default protocol, seed 1000, not the training's), a paired t interval on the per-episode difference, relative to the initial mean. The problems and their model mismatches are described in examples/new_user/README.md.",
    ],
  };
}
