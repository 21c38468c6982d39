// One default for `first_input_bounds`: compileToModule, the emitted module and the CLI's train path
// (cli/train_setup.ts `prepare`) build the same Q-function (the same controller setting).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { prepare } from "../../cli/train_setup.js";
import { defaultTrainSpec } from "../../runtime/learn/config.js";
import type { MpcController } from "../../runtime/mpc/controller.js";
import { compile, compileToModule, firstInputBounds } from "../index.js";
import { linearController, readRepo, repoRoot } from "./helpers.js";

const setting = (c: MpcController): string => (c as unknown as { firstInputBounds: string }).firstInputBounds;
const tmpDir = `${repoRoot}compiler/test/.tmp-fib-${process.pid}/`;
mkdirSync(tmpDir, { recursive: true });
afterAll(() => rmSync(tmpDir, { recursive: true, force: true }));

const cases: [string, "removed" | "kept"][] = [
  ["examples/double_integrator/double_integrator.mpcrl", defaultTrainSpec.firstInputBounds],
  ["examples/gros_zanon/linear_mpc.mpcrl", "removed"],
  ["examples/gros_zanon/linear_mpc_testcfg.mpcrl", "kept"],
];

describe("first_input_bounds: one default", () => {
  it("the compiler's default is the trainer's default table (kept)", () => {
    expect(firstInputBounds(undefined)).toBe(defaultTrainSpec.firstInputBounds);
    expect(defaultTrainSpec.firstInputBounds).toBe("kept");
  });

  it.each(cases)("%s: CLI, compileToModule and the emitted module agree", async (path, expected) => {
    const source = readRepo(path);
    const live = compileToModule(source).module!.createController();
    const cli = linearController((await prepare(repoRoot + path, {})).createController());
    const f = `${tmpDir}${path.split("/").pop()!.replace(".mpcrl", "")}.ts`;
    writeFileSync(f, compile(source, { fileName: path }).code!);
    const emitted = ((await import(f)) as { createController: () => MpcController }).createController();
    expect(setting(live)).toBe(expected);
    expect(setting(cli)).toBe(expected);
    expect(setting(emitted)).toBe(expected);
  });

  it("the setting changes Q: an input outside its bounds is infeasible only when kept", () => {
    const src = readRepo("examples/double_integrator/double_integrator.mpcrl");
    const kept = compileToModule(src).module!.createController();
    const removed = compileToModule(src.replace("evaluation every 10 episodes 2", "evaluation every 10 episodes 2\n  first_input_bounds removed")).module!.createController();
    expect(setting(removed)).toBe("removed");
    const s = [0.5, 0];
    expect(kept.qvalue(s, [3]).status).not.toBe("solved");
    expect(removed.qvalue(s, [3]).status).toBe("solved");
  });
});
