// What the spec checker lets through but a study cannot run as asked (docs/studies.md): a trial's
// id is its settings and seed, so two configurations with the same settings would be one trial
// counted twice (one of them never recorded, the study never complete), and a seed must be exact in
// a double to be a training seed. Pure, browser-safe: the CLI refuses such a study before it
// touches any folder.

import { settingText } from "./aggregate.js";
import type { StudySettingValue } from "./types.js";

export interface StudyCheckAxis {
  readonly label: string;
  readonly grid?: readonly StudySettingValue[];
  readonly random?: { readonly integer: boolean };
}

export interface StudyCheckConfig {
  readonly index: number;
  readonly settings: Readonly<Record<string, StudySettingValue>>;
}

const key = (v: unknown): string => JSON.stringify(v);

/** The first reason the expanded study cannot run (one line), or null. */
export function studyProblem(axes: readonly StudyCheckAxis[], configs: readonly StudyCheckConfig[], seeds: readonly number[]): string | null {
  for (const s of seeds) {
    if (!Number.isSafeInteger(s) || s < 0) return `seed ${s} is not a non-negative integer of at most ${Number.MAX_SAFE_INTEGER}: a training seed must be exact`;
  }
  for (const a of axes) {
    const seen = new Set<string>();
    for (const v of a.grid ?? []) {
      if (seen.has(key(v))) return `the grid of \`${a.label}\` lists ${settingText(v)} twice: list each value once (a repeated configuration is the same trials)`;
      seen.add(key(v));
    }
  }
  const first = new Map<string, number>();
  for (const c of configs) {
    const k = key(c.settings);
    const prior = first.get(k);
    if (prior !== undefined) {
      const same = Object.entries(c.settings).map(([label, v]) => `${label} = ${settingText(v)}`).join(", ") || "the spec as written";
      const integers = axes.filter((a) => a.random?.integer).map((a) => `\`${a.label}\``);
      const why = integers.length > 0 ? `the random draws of the integer setting(s) ${integers.join(", ")} repeat: fewer \`samples\` or a wider range` : "make the configurations differ";
      return `configurations ${prior} and ${c.index} are the same (${same}), so their trials would be one: ${why}`;
    }
    first.set(k, c.index);
  }
  return null;
}
