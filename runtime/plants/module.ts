// Loads a plant from a TypeScript/JavaScript module (see docs/plants.md). The module exports
// either `createPlant(options?)` returning a Plant, or a default export that is a Plant or such a
// factory. The object is checked for the documented shape before use.

import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import type { Plant, PlantStep } from "./types.js";

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
    const s = this.inner.reset(seed);
    return this.vector(s, this.nx, "reset() returned");
  }
  step(action: ArrayLike<number>): PlantStep {
    const out = this.inner.step(action);
    if (out === null || typeof out !== "object") throw new Error(`${this.name}: step() must return an object`);
    const observation = this.vector(out.observation, this.nx, "step().observation is");
    if (typeof out.cost !== "number" || Number.isNaN(out.cost)) throw new Error(`${this.name}: step().cost must be a number`);
    return {
      observation,
      cost: out.cost,
      terminated: Boolean(out.terminated),
      truncated: Boolean(out.truncated),
      info: { violations: out.info?.violations ?? 0, disturbance: out.info?.disturbance },
    };
  }
  private vector(v: unknown, n: number, what: string): Float64Array {
    if (!(v instanceof Float64Array) && !Array.isArray(v)) throw new Error(`${this.name}: ${what} not an array of numbers`);
    const arr = Float64Array.from(v as ArrayLike<number>);
    if (arr.length !== n) throw new Error(`${this.name}: ${what} of length ${arr.length}, expected ${n}`);
    return arr;
  }
}

export async function loadPlantModule(file: string, options?: Record<string, unknown>): Promise<Plant> {
  const url = pathToFileURL(resolve(file)).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const candidate = mod.createPlant ?? mod.default;
  let plant: unknown = candidate;
  if (typeof candidate === "function") plant = await (candidate as (o?: Record<string, unknown>) => unknown)(options);
  if (!isPlant(plant)) {
    throw new Error(
      `${file}: expected \`export function createPlant()\` (or a default export) returning { nx, nu, reset(seed), step(action) }`,
    );
  }
  return new CheckedPlant(plant, file);
}
