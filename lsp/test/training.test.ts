// The training snippets offered by completion are built from the checker's schema; filled with
// their defaults they must be accepted by the checker (no MPC5xxx errors) for every algorithm.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { check } from "../../language/index.js";
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
