// The training snippets offered by completion are built from the checker's schema; filled with
// their defaults they must be accepted by the checker (no MPC5xxx errors) for every algorithm.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { check } from "../../language/index.js";
import { TRAIN_SETTINGS } from "../../language/check/index.js";
import { ALGORITHMS, algorithmSnippet } from "../training.js";
import { repoRoot } from "./client.js";

/** Expands a snippet with its defaults: `${1:x}` -> x, `${1|a,b|}` -> a, `$0` -> nothing. */
function expand(snippet: string): string {
  return snippet
    .replace(/\$\{\d+:([^}]*)\}/g, "$1")
    .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, "$1")
    .replace(/\$\d+/g, "");
}

const example = readFileSync(`${repoRoot}examples/gros_zanon/linear_mpc.mpcrl`, "utf8");
const withoutTrain = example.slice(0, example.indexOf("train LinearMpc on LtiSystem"));

describe("algorithm snippets", () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: the expanded snippet passes the checker`, () => {
      const body = expand(algorithmSnippet(algorithm))
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n");
      const extra = algorithm === "bayesopt" ? "\n  episodes 5" : "";
      const spec = `${withoutTrain}train LinearMpc on LtiSystem {\n${body}${extra}\n  steps 10\n  seed 1\n}\n`;
      // MPC5007 (bayesopt needs finite bounds on every learnable) is about the controller, not the settings.
      const errors = check(spec).diagnostics.filter((d) => d.severity === "error" && d.code.startsWith("MPC5") && d.code !== "MPC5007");
      expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });
  }
});

describe("setting examples", () => {
  // the algorithm skeleton fills numbers from each setting's example by position: the example's
  // tokens must line up with the setting's arguments
  for (const spec of TRAIN_SETTINGS.filter((x) => x.key !== "algorithm" && x.args.length > 0 && x.args.every((a) => a.kind !== "call"))) {
    it(`${spec.key}: the example's tokens match the arguments`, () => {
      const tokens = spec.example.trim().split(/\s+/);
      expect(tokens[0]).toBe(spec.key);
      const values = tokens.slice(1);
      expect(values.length).toBe(spec.args.length);
      spec.args.forEach((a, i) => {
        if (a.kind === "num") {
          const v = Number(values[i]);
          expect(values[i] !== "" && Number.isFinite(v)).toBe(true);
          if (a.integer) expect(Number.isInteger(v)).toBe(true);
        } else if (a.kind === "word" && a.values) expect(a.values).toContain(values[i]);
      });
    });
  }
});
