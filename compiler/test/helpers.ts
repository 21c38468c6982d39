// Shared helpers for the compiler tests.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MpcController } from "../../runtime/mpc/controller.js";
import type { NonlinearMpc } from "../../runtime/nmpc/learnable.js";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const sharedData = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

export function readRepo(path: string): string {
  return readFileSync(repoRoot + path, "utf8");
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** The controller as a linear MPC (the CLI's setup may hold a nonlinear one); throws otherwise. */
export function linearController(c: MpcController | NonlinearMpc): MpcController {
  if (!(c instanceof MpcController)) throw new Error(`expected a linear (QP) controller, got ${c.constructor.name}`);
  return c;
}
