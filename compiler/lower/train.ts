// The `train` block as plain typed data for the trainer: nested settings with evaluated arguments.

import type { Expr, Program, Setting, TrainBlock } from "../../language/ast.js";
import { defaultTrainSpec } from "../../runtime/learn/config.js";
import { ExprPool } from "../ir/expr.js";
import { PolyAlg } from "../ir/poly.js";
import { Evaluator, type Scope } from "./evaluate.js";
import { LowerError } from "./errors.js";
import { GlobalScope } from "./scope.js";

export type TrainArg = number | string | { readonly call: string; readonly args: readonly TrainArg[]; readonly named: Readonly<Record<string, TrainArg>> };

export interface TrainSetting {
  readonly key: string;
  readonly args: readonly TrainArg[];
  readonly block?: readonly TrainSetting[];
}

export interface TrainConfigIr {
  readonly controller: string;
  readonly plant: string;
  readonly settings: readonly TrainSetting[];
}

export function findTrain(program: Program, controller: string): TrainBlock | undefined {
  return program.items.find((i): i is TrainBlock => i.kind === "Train" && i.controller.name === controller);
}

export function lowerTrain(program: Program, block: TrainBlock): TrainConfigIr {
  const pool = new ExprPool();
  const ev = new Evaluator(new PolyAlg(pool));
  const globals = new GlobalScope(ev, program);
  const scope: Scope = { lookup: (n, s) => globals.lookup(n, s), prev: (n, s) => globals.prev(n, s) };
  const arg = (e: Expr): TrainArg => {
    if (e.kind === "Name" && globals.lookup(e.name, e.span) === undefined) return e.name;
    if (e.kind === "Call") {
      const named: Record<string, TrainArg> = {};
      const args: TrainArg[] = [];
      for (const a of e.args) {
        if (a.name) named[a.name.name] = arg(a.value);
        else args.push(arg(a.value));
      }
      return { call: e.callee.name, args, named };
    }
    try {
      return ev.evalNumber(e, scope, "a training setting");
    } catch (err) {
      if (err instanceof LowerError) return sourceless(e);
      throw err;
    }
  };
  const setting = (s: Setting): TrainSetting => ({
    key: s.key.name,
    args: s.args.map(arg),
    ...(s.block ? { block: s.block.map(setting) } : {}),
  });
  return { controller: block.controller.name, plant: block.plant.name, settings: block.settings.filter((s) => s.key.name !== "study").map(setting) }; // `study`: mpcrl study (compiler/study.ts)
}

function sourceless(e: Expr): string {
  return e.kind === "Name" ? e.name : `<${e.kind}>`;
}

/** The first argument of a (possibly nested) setting, e.g. `first_input_bounds removed`. */
export function findSetting(settings: readonly TrainSetting[], key: string): TrainSetting | undefined {
  for (const s of settings) {
    if (s.key === key) return s;
    if (s.block) {
      const inner = findSetting(s.block, key);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Whether the Q-function keeps the declared bounds of u_0: the train block's `first_input_bounds`
 *  (nested or top level), else the trainer's default (`defaultTrainSpec`, the one table of defaults
 *  that `interpretTrainSettings` also uses for the CLI). With no train block the same default holds,
 *  so `compileToModule`, the emitted module and `mpcrl train` build the same Q-function. */
export function firstInputBounds(train: TrainConfigIr | undefined): "removed" | "kept" {
  const a = train ? findSetting(train.settings, "first_input_bounds")?.args[0] : undefined;
  return a === "removed" || a === "kept" ? a : defaultTrainSpec.firstInputBounds;
}
