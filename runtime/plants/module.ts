// Loads a plant from a TypeScript/JavaScript module (see docs/plants.md). The module exports
// either `createPlant(options?)` returning a Plant, or a default export that is a Plant or such a
// factory. The object is checked for the documented shape before use.
//
// How the module is loaded, wherever it lives and however the CLI runs (from the sources through
// tsx, or from the compiled bundle): esbuild bundles it (its TypeScript, its relative imports, the
// packages it uses) into one CommonJS file in a fresh temporary folder, which `require` loads and
// which is deleted at once. Not `import()` of the file itself: a `.ts` outside an ES-module package
// (no "type": "module" in its package.json) is read as CommonJS by tsx and cannot import the
// runtime's ES modules, and the compiled CLI, compiled by `vm.Script` with V8's code cache
// (bin/mpcrl.js), has no dynamic import() on Node 20 ("A dynamic import callback was not
// specified"). CommonJS has no top-level await: a module with one is refused with what to do.
// esbuild is a development dependency of mpcrl: an app that installed mpcrl without it gets a
// message for a TypeScript module, and `require` loads a JavaScript one (Node 20.19 and later load
// ES modules that way too).

import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Plant, PlantStep } from "./types.js";

/** A plant module that cannot be loaded (its kind of file, a syntax error, a missing tool); the message says what to do. */
export class PlantModuleError extends Error {
  override readonly name = "PlantModuleError";
}

/** A loaded plant module that failed while running: its reset() or step() threw, or answered with
 *  the wrong kind or size of value. The module's error, not the toolchain's: the message names the
 *  module and the call (never a stack trace, never an "internal error"). */
export class PlantRuntimeError extends Error {
  override readonly name = "PlantRuntimeError";
}

const nodeRequire = createRequire(import.meta.url);

/** The part of esbuild's API used here (esbuild is optional at run time: no type import). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}
interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number } | null;
}

function esbuild(): Esbuild | undefined {
  try {
    return nodeRequire("esbuild") as Esbuild;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return undefined;
    throw err;
  }
}

const TYPESCRIPT = /\.[cm]?ts$/i;
const JAVASCRIPT = /\.[cm]?js$/i;
const INSTALL_ESBUILD = "install esbuild next to mpcrl (npm install --save-dev esbuild)";

/** esbuild's failure as one line: the first error with its place, and how many more. */
function bundleError(file: string, err: unknown): PlantModuleError {
  const errors = ((err as { errors?: EsbuildMessage[] }).errors ?? []).filter((e) => typeof e?.text === "string");
  if (errors.length === 0) return new PlantModuleError(`cannot load '${file}': ${err instanceof Error ? err.message : String(err)}`);
  const first = errors[0];
  if (/top-level await/i.test(first.text)) {
    return new PlantModuleError(`cannot load '${file}': a plant module cannot use top-level await; await inside createPlant instead (it may be async)`);
  }
  const at = first.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : "";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error(s))` : "";
  return new PlantModuleError(`cannot load '${file}': ${at}${first.text}${more}`);
}

/** The module's exports, loaded as the header says; every temporary file is deleted before this returns. */
async function loadModule(file: string, path: string): Promise<unknown> {
  if (!TYPESCRIPT.test(path) && !JAVASCRIPT.test(path)) {
    throw new PlantModuleError(`'${file}' is not a plant module: expected a .ts, .mts, .cts, .js, .mjs or .cjs file`);
  }
  const api = esbuild();
  if (api === undefined) {
    if (TYPESCRIPT.test(path)) throw new PlantModuleError(`'${file}' is TypeScript, and loading it needs esbuild: ${INSTALL_ESBUILD}, or compile the module to JavaScript (.mjs)`);
    try {
      return nodeRequire(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ERR_REQUIRE_ASYNC_MODULE") throw new PlantModuleError(`cannot load '${file}': a plant module cannot use top-level await; await inside createPlant instead (it may be async)`);
      if (code === "ERR_REQUIRE_ESM" || (err instanceof SyntaxError && /\b(import|export)\b/.test(err.message))) {
        throw new PlantModuleError(`cannot load '${file}' as an ES module without esbuild: ${INSTALL_ESBUILD}, or name it .mjs (Node 20.19 or later)`);
      }
      throw err;
    }
  }
  const folder = mkdtempSync(join(tmpdir(), "mpcrl-plant-"));
  const out = join(folder, "plant.cjs");
  try {
    try {
      await api.build({
        entryPoints: [path],
        outfile: out,
        bundle: true,
        format: "cjs",
        platform: "node",
        target: `node${process.versions.node}`,
        sourcemap: "inline",
        logLevel: "silent",
        absWorkingDir: dirname(path),
        // the module's own place, not the temporary file's: import.meta, __filename, __dirname and
        // any require left in the bundle (a computed one) resolve from the plant's folder
        define: {
          "import.meta.url": JSON.stringify(pathToFileURL(path).href),
          "import.meta.filename": JSON.stringify(path),
          "import.meta.dirname": JSON.stringify(dirname(path)),
        },
        banner: { js: `__filename = ${JSON.stringify(path)}; __dirname = ${JSON.stringify(dirname(path))}; require = require("node:module").createRequire(__filename);` },
      });
    } catch (err) {
      throw bundleError(file, err);
    }
    return nodeRequire(out);
  } finally {
    delete nodeRequire.cache[out];
    rmSync(folder, { recursive: true, force: true });
  }
}

/** One load per module file and process, as `import()` would (its module-level state is shared by the plants it creates). */
const loaded = new Map<string, Promise<unknown>>();

function plantModule(file: string): Promise<unknown> {
  const path = resolve(file);
  let mod = loaded.get(path);
  if (mod === undefined) {
    mod = loadModule(file, path);
    loaded.set(path, mod);
    mod.catch(() => loaded.delete(path));
  }
  return mod;
}

function isPlant(v: unknown): v is Plant {
  if (v === null || typeof v !== "object") return false;
  const p = v as Record<string, unknown>;
  return (
    typeof p.nx === "number" &&
    typeof p.nu === "number" &&
    typeof p.reset === "function" &&
    typeof p.step === "function"
  );
}

/** Wraps a user plant so that its answers are validated (sizes, finite numbers) with clear messages. */
export class CheckedPlant implements Plant {
  readonly nx: number;
  readonly nu: number;
  constructor(
    private readonly inner: Plant,
    private readonly name: string,
  ) {
    this.nx = inner.nx;
    this.nu = inner.nu;
  }
  reset(seed: number): Float64Array {
    const s = this.call("reset()", () => this.inner.reset(seed));
    return this.vector(s, this.nx, "reset()", "the state");
  }
  step(action: ArrayLike<number>): PlantStep {
    const out = this.call("step()", () => this.inner.step(action));
    if (out === null || typeof out !== "object") throw new PlantRuntimeError(`${this.name}: step() must return an object { observation, cost, terminated, truncated, info }, got ${out === null ? "null" : typeof out}`);
    const observation = this.vector(out.observation, this.nx, "step()", "observation");
    // (a NaN or infinite cost is a number: the plant diverged, and the episode stops as a plant failure
    // like a spec plant's, J NaN, exit 1; only a cost of another type is the module's error)
    if (typeof out.cost !== "number") throw new PlantRuntimeError(`${this.name}: step() must return a number as cost, got ${typeof out.cost}`);
    return {
      observation,
      cost: out.cost,
      terminated: Boolean(out.terminated),
      truncated: Boolean(out.truncated),
      info: { violations: out.info?.violations ?? 0, disturbance: out.info?.disturbance },
    };
  }
  /** Runs the module's own code: what it throws becomes one line naming the module and the call. */
  private call<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw new PlantRuntimeError(`${this.name}: ${what} threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  private vector(v: unknown, n: number, call: string, what: string): Float64Array {
    if (!(v instanceof Float64Array) && !Array.isArray(v)) throw new PlantRuntimeError(`${this.name}: ${call} must return ${what} as an array of ${n} numbers, got ${v === null ? "null" : typeof v}`);
    const arr = Float64Array.from(v as ArrayLike<number>);
    if (arr.length !== n) throw new PlantRuntimeError(`${this.name}: ${call} must return ${what} as an array of ${n} numbers (nx = ${n}), got ${arr.length}`);
    return arr;
  }
}

export async function loadPlantModule(file: string, options?: Record<string, unknown>): Promise<Plant> {
  const raw = await plantModule(file);
  // a CommonJS module whose exports are the plant or its factory counts as its default export
  const mod = (typeof raw === "function" || isPlant(raw) ? { default: raw } : (raw ?? {})) as Record<string, unknown>;
  const candidate = mod.createPlant ?? mod.default;
  let plant: unknown = candidate;
  if (typeof candidate === "function") plant = await (candidate as (o?: Record<string, unknown>) => unknown)(options);
  if (!isPlant(plant)) {
    throw new PlantModuleError(
      `${file}: expected \`export function createPlant()\` (or a default export) returning { nx, nu, reset(seed), step(action) }`,
    );
  }
  return new CheckedPlant(plant, file);
}
