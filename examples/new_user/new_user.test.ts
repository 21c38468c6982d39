// The three new-user problems (README.md): each spec checks clean, and a short training of each
// (a few episodes of a few steps, in process, no CLI spawned) runs without solver failures and
// ends with a finite verdict on held-out episodes. The full runs' verdicts are in docs/figures.md
// (`npm run figures -- --only newuser`).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runJob } from "../../cli/train_run.js";
import { verify } from "../../compiler/index.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "mpcrl-new-user-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// short runs: [spec, episodes, steps per episode]
const problems: [string, string, string][] = [
  ["msd_qlearning.mpcrl", "2", "30"],
  ["cartpole_dpg.mpcrl", "2", "50"],
  ["room_bayesopt.mpcrl", "3", "24"],
];

describe("new-user problems", () => {
  it.each(problems.map(([s]) => s))("%s checks clean", (spec) => {
    const errors = verify(readFileSync(join(here, spec), "utf8")).diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => `${d.code}: ${d.message}`)).toEqual([]);
  });

  it.each(problems)(
    "%s: a short training runs without solver failures and ends with a finite verdict",
    async (spec, episodes, steps) => {
      const dir = join(tmp, spec.replace(/\.mpcrl$/, ""));
      const r = await runJob({ specPath: join(here, spec), flags: { episodes, steps }, seed: 1, dir, resume: false, learn: true, verdict: { episodes: 3, steps: 30 } });
      expect(r.status).toBe("completed");
      expect(r.summary.solverFailures).toBe(0);
      expect(Number.isFinite(r.summary.J)).toBe(true);
      const v = r.verdict!;
      expect(v).toBeDefined();
      expect(v.comparison.n).toBe(3);
      for (const x of [v.initial.meanCost, v.learned.meanCost, v.comparison.meanDifference, ...(v.comparison.ci95 ?? [NaN, NaN])]) expect(Number.isFinite(x)).toBe(true);
      expect(v.initial.solverFailures + v.learned.solverFailures).toBe(0);
      expect(["helped", "no_difference", "worse", "inconclusive"]).toContain(v.outcome);
      expect(v.line.length).toBeGreaterThan(0);
    },
    20_000,
  );
});
