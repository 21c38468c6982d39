// The `train` block, interpreted once: its settings (arguments evaluated to numbers, bare words and
// calls) go through `interpretTrainSettings` (runtime/learn/config.ts, the one table of defaults)
// into the typed TrainSpec that compileToModule, the emitted module's `trainConfig`, the CLI and
// the trainer factory (runtime/learn/factory.ts) all use. A setting the interpreter rejects is a
// compile error (MPC4601 at the setting), so `mpcrl check` reports it as `mpcrl train` would.

import type { Decl, Expr, PlantBlock, Program, Setting, TrainBlock } from "../../language/ast.js";
import type { Span } from "../../language/diagnostics.js";
import { interpretTrainSettings, SettingError, type SettingArg, type SettingData, type SpecDerived, type TrainSpec } from "../../runtime/learn/config.js";
import { ExprPool } from "../ir/expr.js";
import { PolyAlg } from "../ir/poly.js";
import { Evaluator, type Scope } from "./evaluate.js";
import { CompilerCodes, LowerError } from "./errors.js";
import { GlobalScope } from "./scope.js";

export interface TrainConfigIr {
  readonly controller: string;
  readonly plant: string;
  /** The interpreted settings (the raw ones are not kept: nothing reads them after this). */
  readonly spec: TrainSpec;
}

export function findTrain(program: Program, controller: string): TrainBlock | undefined {
  return program.items.find((i): i is TrainBlock => i.kind === "Train" && i.controller.name === controller);
}

export function lowerTrain(program: Program, block: TrainBlock): TrainConfigIr {
  const pool = new ExprPool();
  const ev = new Evaluator(new PolyAlg(pool));
  const globals = new GlobalScope(ev, program);
  const scope: Scope = { lookup: (n, s) => globals.lookup(n, s), prev: (n, s) => globals.prev(n, s) };
  const value = (e: Expr): SettingArg[] => {
    if (e.kind === "Name" && globals.lookup(e.name, e.span) === undefined) return [{ kind: "word", value: e.name }];
    if (e.kind === "Call") {
      const named: Record<string, SettingArg> = {};
      const positional: SettingArg[] = [];
      for (const a of e.args) {
        // a constant vector argument (`safe([0, 1])`) gives its entries
        if (a.name) named[a.name.name] = arg(a.value);
        else positional.push(...value(a.value));
      }
      return [{ kind: "call", name: e.callee.name, positional, named }];
    }
    try {
      return ev.evalNumbers(e, scope, "a training setting").values.map((v) => ({ kind: "number", value: v }));
    } catch (err) {
      if (err instanceof LowerError) return [{ kind: "word", value: sourceless(e) }];
      throw err;
    }
  };
  const arg = (e: Expr): SettingArg => {
    const v = value(e);
    return v.length === 1 ? v[0] : { kind: "word", value: sourceless(e) };
  };
  const setting = (s: Setting): SettingData => ({
    key: s.key.name,
    args: s.args.map(arg),
    ...(s.block ? { block: s.block.map(setting) } : {}),
    at: s.span,
  });
  // `study`: mpcrl study (language/check/study.ts), not a training setting
  const settings = block.settings.filter((s) => s.key.name !== "study").map(setting);
  let spec: TrainSpec;
  try {
    spec = interpretTrainSettings(settings, specDerived(program, block, ev, globals));
  } catch (err) {
    if (err instanceof SettingError) throw new LowerError(`training setting: ${err.message}`, (err.at as Span | undefined) ?? block.keywordSpan, CompilerCodes.unsupported);
    throw err;
  }
  return { controller: block.controller.name, plant: block.plant.name, spec };
}

/** What the rest of the spec implies for training: the train plant's `episode` (its constants in scope). */
function specDerived(program: Program, block: TrainBlock, ev: Evaluator, globals: GlobalScope): SpecDerived {
  const plant = program.items.find((i): i is PlantBlock => i.kind === "Plant" && i.name.name === block.plant.name);
  const episode = plant?.items.find((i) => i.kind === "ScalarSetting" && i.key === "episode");
  if (plant === undefined || episode?.kind !== "ScalarSetting") return {};
  const local = new Map(plant.items.filter((i): i is Decl => i.kind === "Decl" && i.declKind === "const").map((d) => [d.name.name, d]));
  const scope: Scope = {
    lookup: (n, s) => {
      const d = local.get(n);
      return d !== undefined ? globals.constDecl(d, scope, s) : globals.lookup(n, s);
    },
    prev: (n, s) => globals.prev(n, s),
  };
  return { plantEpisode: ev.evalNumber(episode.value, scope, "`episode`") };
}

function sourceless(e: Expr): string {
  return e.kind === "Name" ? e.name : `<${e.kind}>`;
}

/** The training settings `mpcrl train` uses for a compiled spec: the train block's TrainSpec, or,
 *  without a train block, the defaults with what the plant derives (its `episode`). */
export function trainSpecOf(train: TrainConfigIr | undefined, plant?: { readonly episode: number | undefined }): TrainSpec {
  return train?.spec ?? interpretTrainSettings([], { plantEpisode: plant?.episode });
}

/** Whether the Q-function keeps the declared bounds of u_0: the TrainSpec's `firstInputBounds`
 *  (the default table's value without a train block), so `compileToModule`, the emitted module and
 *  `mpcrl train` build the same Q-function. */
export function firstInputBounds(train: TrainConfigIr | undefined): "removed" | "kept" {
  return trainSpecOf(train).firstInputBounds;
}
