// Glue shared by `mpcrl train` and `mpcrl eval`: compile the spec in process (its `trainConfig` is
// the interpreted TrainSpec), apply the flags over it, build the controller, the plant (from the
// spec, or a TypeScript module) and the trainer (runtime/learn/factory.ts; this file only reads the
// offline data set's file). Errors carry the exit code: 1 for problems in the spec, 2 for bad flags
// or unreadable files.

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { compileToModule, type CompiledModule, type NlpModule } from "../compiler/index.js";
import type { NonlinearMpc } from "../runtime/nmpc/learnable.js";
import { format, parse, renderDiagnostics } from "../language/index.js";
import type { TrainSpec } from "../runtime/learn/config.js";
import { parseDataset, type Rollout } from "../runtime/learn/dataset.js";
import { controllerOptions, makeTrainer, specRunSettings, TrainerSetupError, withOverrides, type TrainableController } from "../runtime/learn/factory.js";
import type { EpisodicTrainer } from "../runtime/learn/types.js";
import { ThetaBoxError } from "../runtime/mpc/bounds.js";
import type { MpcController } from "../runtime/mpc/controller.js";
import { parseDisturbance, recordedDisturbanceShortfall, type DisturbanceSource, type RecordedDisturbance } from "../runtime/plants/disturbance.js";
import { loadPlantModule, PlantModuleError } from "../runtime/plants/module.js";
import type { Plant } from "../runtime/plants/types.js";
import { thetaNames } from "../runtime/run/params.js";
import type { RunSettings } from "../runtime/run/driver.js";
import { specRecord, type SpecRecord } from "../runtime/run/spec.js";
import { cannotReadMessage, useColor } from "./io.js";
import { plantStateBox } from "./plant_bounds.js";

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export interface CommonFlags {
  episodes?: string;
  steps?: string;
  seed?: string;
  seeds?: string;
  disturbance?: string;
  plant?: string;
  color?: boolean;
}

export interface Setup {
  readonly specPath: string;
  readonly source: string;
  readonly module: CompiledModule | NlpModule;
  readonly spec: TrainSpec;
  readonly settings: RunSettings;
  readonly inputLower: number[];
  readonly inputUpper: number[];
  /** Said to the user on stderr by the commands (`mpcrl train: note: ...`), not errors: e.g. steps
   *  asked for beyond the plant's episode. */
  readonly notes: readonly string[];
  createController(): MpcController | NonlinearMpc;
  createPlant(): Promise<Plant>;
}

/** The largest count or seed a flag takes: integers beyond it are not exact in a double (1e20 would be 100000000000000000000 rounded). */
export const MAX_FLAG_INT = Number.MAX_SAFE_INTEGER;

export function parsePositiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new CliError(`${flag} expects a positive integer, got '${v}'`, 2);
  if (!Number.isSafeInteger(Number(v))) throw new CliError(`${flag} expects a positive integer of at most ${MAX_FLAG_INT}, got '${v}'`, 2);
  return Number(v);
}

/** A non-negative integer seed (`flag`: --seed, --eval-seed, ...), exact in a double. */
export function parseSeed(v: string | undefined, flag = "--seed"): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CliError(`${flag} expects a non-negative integer, got '${v}'`, 2);
  if (!Number.isSafeInteger(Number(v))) throw new CliError(`${flag} expects a non-negative integer of at most ${MAX_FLAG_INT}, got '${v}'`, 2);
  return Number(v);
}

/** `1..8`, `3,5,9` or `7`: distinct seeds (each gets its own folder seed-N), each exact in a double. */
export function parseSeeds(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const range = /^(\d+)\.\.(\d+)$/.exec(v);
  let seeds: number[];
  if (range) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (b < a || b - a > 1000) throw new CliError(`--seeds range '${v}' must go upward and hold at most 1001 seeds`, 2);
    seeds = Array.from({ length: b - a + 1 }, (_, i) => a + i);
  } else if (/^\d+(,\d+)*$/.test(v)) seeds = v.split(",").map(Number);
  else throw new CliError(`--seeds expects a range like 1..8 or a list like 1,2,5, got '${v}'`, 2);
  const big = seeds.find((s) => !Number.isSafeInteger(s));
  if (big !== undefined) throw new CliError(`--seeds '${v}': seeds must be integers of at most ${MAX_FLAG_INT}`, 2);
  if (seeds.length > 1001) throw new CliError(`--seeds '${v}' holds ${seeds.length} seeds; at most 1001`, 2);
  const seen = new Set<number>();
  for (const s of seeds) {
    if (seen.has(s)) throw new CliError(`--seeds '${v}' lists seed ${s} twice (each seed has one folder, seed-${s})`, 2);
    seen.add(s);
  }
  return seeds;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(cannotReadMessage(path, err, what), 2);
  }
}

/**
 * The canonical form of a spec's text for `--resume` (runtime/run/spec.ts): line ends read as LF,
 * every comment blanked out (its line breaks kept: a line break can end a statement), then the
 * formatter's output (language/format.ts) without its blank lines. Why the formatter and not the text: it prints the AST
 * and checks that its output reads back as the same AST, so two texts with one canonical form are
 * one program, whatever their whitespace and comments, which cannot change the controller; a run
 * whose spec was reindented or commented since it started resumes. Why not the checker's model or
 * the compiled module: they are not text with a stable rendering, and they would change with the
 * compiler's version, refusing unedited specs. The formatter keeps a matrix literal written one
 * row per line as it finds it, so re-breaking a matrix's rows counts as an edit: refused, the safe
 * side. A text with syntax errors is its own canonical form (the formatter leaves it as it is).
 */
export function canonicalSpec(text: string): string {
  const lf = text.replace(/\r\n?/g, "\n");
  const chars = lf.split("");
  for (const c of parse(lf).program.comments) for (let i = c.span.start; i < c.span.end; i++) if (chars[i] !== "\n") chars[i] = " ";
  // blank lines (left by a comment, or kept by the formatter between items) are layout too
  return format(chars.join("")).text.split("\n").filter((l) => l.trim() !== "").join("\n");
}

/** What identifies the spec at `specPath` with text `source`, recorded in a run's checkpoints. */
export function specRecordOf(specPath: string, source: string): SpecRecord {
  return specRecord(basename(specPath), source, canonicalSpec(source));
}

/** `source`: the spec's text when it is not the file's (a study's trial); files stay relative to `specPath`. */
export async function prepare(specPath: string, flags: CommonFlags, sourceText?: string): Promise<Setup> {
  const source = sourceText ?? readText(specPath, "the spec");
  const episodes = parsePositiveInt(flags.episodes, "--episodes");
  const steps = parsePositiveInt(flags.steps, "--steps");
  const seed = parseSeed(flags.seed);
  if (flags.disturbance !== undefined && !existsSync(flags.disturbance)) throw new CliError(`cannot read the disturbance file '${flags.disturbance}': no such file`, 2);
  if (flags.plant !== undefined && !existsSync(flags.plant)) throw new CliError(`cannot read the plant module '${flags.plant}': no such file`, 2);
  if (flags.plant !== undefined && flags.disturbance !== undefined) {
    throw new CliError("--disturbance replays into the spec's plant, which --plant replaces: give one of them", 2);
  }
  const compiled = compileToModule(source, { fileName: specPath });
  const { diagnostics } = compiled;
  const module: CompiledModule | NlpModule | undefined = compiled.module ?? compiled.nlpModule;
  if (!module || diagnostics.some((d) => d.severity === "error")) {
    throw new CliError(renderDiagnostics(source, diagnostics, specPath, { color: useColor(flags.color, process.stderr) }), 1);
  }
  const plantIr = module.plant;
  const spec = withOverrides(module.trainConfig, { episodes, steps, seed });
  const ir = module.ir;
  const inputLower = [...ir.u0Lower];
  const inputUpper = [...ir.u0Upper];
  // plant state bounds (for the report's plots)
  const { lower: stateLower, upper: stateUpper } = plantStateBox(plantIr, ir.nx);
  const names = (groups: readonly { name: string; size: number }[]): string[] =>
    groups.flatMap((g) => (g.size === 1 ? [g.name] : Array.from({ length: g.size }, (_, i) => `${g.name}[${i}]`)));
  const template = module.template;
  const settings: RunSettings = {
    spec: basename(specPath),
    ...specRunSettings(spec),
    disturbance: flags.disturbance ?? "random (seeded)",
    plant: flags.plant ?? plantIr?.name ?? "none",
    controller: ir.name,
    stateNames: names(ir.stateNames),
    inputNames: names(ir.inputNames),
    stateLower: stateLower as number[],
    stateUpper: stateUpper as number[],
    inputLower,
    inputUpper,
    thetaNames: thetaNames(template.params),
  };
  const notes: string[] = [];
  // the spec's plant ends every episode at its own length (its `episode`): more steps asked for are
  // not run (a --plant module replaces that plant and its episode length)
  if (steps !== undefined && flags.plant === undefined && plantIr?.episode !== undefined && steps > plantIr.episode) {
    notes.push(`--steps ${steps} is more than the plant's episode of ${plantIr.episode} steps: each episode ends after ${plantIr.episode} (the plant block's \`episode\`)`);
  }
  let disturbance: DisturbanceSource | undefined;
  if (flags.disturbance !== undefined) {
    let recorded: RecordedDisturbance;
    try {
      recorded = parseDisturbance(readText(flags.disturbance, "the disturbance file"), plantIr?.nd ?? 0);
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`${flags.disturbance}: ${err instanceof Error ? err.message : String(err)}`, 2);
    }
    // the plant ends an episode at its own length when that is shorter than the steps asked for
    const short = recordedDisturbanceShortfall(recorded, Math.min(spec.steps, plantIr?.episode ?? Infinity));
    if (short !== null) throw new CliError(`${flags.disturbance}: ${short}`, 2);
    disturbance = recorded;
  }
  return {
    specPath,
    source,
    module,
    spec,
    settings,
    inputLower,
    inputUpper,
    notes,
    createController: () => {
      try {
        return module.createController(controllerOptions(spec));
      } catch (err) {
        // initial values the runtime refuses (outside their boxes, or of magnitude >= 1e20, which
        // the checker may let through): a one-line error for train and eval alike, not a crash
        if (err instanceof ThetaBoxError) throw new CliError(`the spec's initial parameters are refused: ${err.message}`, 2);
        throw err;
      }
    },
    createPlant: async () => {
      if (flags.plant !== undefined) {
        try {
          return await loadPlantModule(flags.plant);
        } catch (err) {
          // a module that cannot be loaded names itself; an error the module threw gets its name
          if (err instanceof PlantModuleError) throw new CliError(`--plant: ${err.message}`, 2);
          throw new CliError(`${flags.plant}: ${err instanceof Error ? err.message : String(err)}`, 2);
        }
      }
      if (!module.createPlant) throw new CliError(`${specPath}: the spec declares no plant; add a \`plant\` block or pass --plant module.ts`, 1);
      return module.createPlant(disturbance ? { disturbance } : {});
    },
  };
}

/** The offline data set's rollouts when its file (`name.jsonl` next to the spec) exists; undefined:
 *  the factory records them with the initial controller. */
function readDataset(setup: Setup, mpc: TrainableController): Rollout[] | undefined {
  const { spec } = setup;
  const path = spec.dataset !== undefined ? join(dirname(resolve(setup.specPath)), `${spec.dataset}.jsonl`) : undefined;
  if (path === undefined || !existsSync(path)) return undefined;
  try {
    return parseDataset(readText(path, "the data set"), mpc.nx, mpc.nu);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${path}: ${err instanceof Error ? err.message : String(err)}`, 2);
  }
}

/** The trainer of the spec (runtime/learn/factory.ts), its setup errors as errors in the spec. */
export function trainerFor(setup: Setup, mpc: TrainableController, plant: Plant, seed: number, learn: boolean): EpisodicTrainer {
  try {
    return makeTrainer(setup.spec, mpc, plant, { seed, learn, inputLower: setup.inputLower, inputUpper: setup.inputUpper, stateLower: setup.settings.stateLower, stateUpper: setup.settings.stateUpper, dataset: () => readDataset(setup, mpc) });
  } catch (err) {
    if (err instanceof TrainerSetupError) throw new CliError(`${setup.specPath}: ${err.message}`, 1);
    throw err;
  }
}
