// Shared helpers for the compiler tests.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const sharedData = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

export function readRepo(path: string): string {
  return readFileSync(repoRoot + path, "utf8");
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
