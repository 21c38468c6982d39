// What identifies the spec a training run was started from, recorded in its checkpoint.json
// (`spec`), and the rule `--resume` applies with it. A run continues only under the spec it
// started with: its checkpoint (parameters, optimizer moments, replay buffer, the current episode's
// actions) belongs to that controller, and a resumed run under an edited spec (other cost weights,
// constraints, dynamics with the same parameter layout) would mix two controllers in one folder.
//
// Two fingerprints (SHA-256, hex): of the spec's text as it was, and of its canonical form, which
// the caller computes (runtime/ reads no specs; the CLI takes the formatter's output of the text
// with its comments blanked out, cli/train_setup.ts `canonicalSpec`). The spec is the same when
// either matches: through the canonical form, edits of whitespace and comments are no change
// (they cannot change the controller); through the text's own fingerprint, an unedited
// spec stays resumable even when a later formatter lays it out differently.

import { createHash } from "node:crypto";

export interface SpecRecord {
  /** The spec's file name as the run was started with it (informational: a renamed file is the same spec). */
  readonly file: string;
  /** SHA-256 (hex) of the spec's text, UTF-8. */
  readonly sha256: string;
  /** SHA-256 (hex) of its canonical form (whitespace and comments not counted). */
  readonly canonicalSha256: string;
}

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** The record of a spec: `text` as read, `canonical` its canonical form (see the header). */
export function specRecord(file: string, text: string, canonical: string): SpecRecord {
  return { file, sha256: sha256(text), canonicalSha256: sha256(canonical) };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Whether `v` is a SpecRecord (a checkpoint's `spec` field, checked when the checkpoint is read). */
export function isSpecRecord(v: unknown): v is SpecRecord {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return typeof r.file === "string" && typeof r.sha256 === "string" && HEX64.test(r.sha256) && typeof r.canonicalSha256 === "string" && HEX64.test(r.canonicalSha256);
}

/** True when `now` is the spec `recorded` identifies (its text, or its canonical form). */
export function sameSpec(recorded: SpecRecord, now: SpecRecord): boolean {
  return recorded.sha256 === now.sha256 || recorded.canonicalSha256 === now.canonicalSha256;
}

export type ResumeSpecCheck =
  /** Resume; `note` (for the user, not an error): the checkpoint records no spec, so nothing could be compared. */
  | { readonly ok: true; readonly note?: string }
  /** Refuse: `message` says what changed and what to do. */
  | { readonly ok: false; readonly message: string };

/**
 * The rule of `--resume` for the spec: `recorded` is the checkpoint's `spec` (undefined in a
 * checkpoint of an older version, which is resumed with a note), `now` the record of the spec
 * given on the command line (`specPath`), `dir` the run folder.
 */
export function resumeSpecCheck(recorded: SpecRecord | undefined, now: SpecRecord, specPath: string, dir: string): ResumeSpecCheck {
  if (recorded === undefined) {
    return {
      ok: true,
      note: `the checkpoint in '${dir}' records no fingerprint of its spec (an older mpcrl wrote it), so an edit of '${specPath}' since the run started cannot be detected; resuming with the spec as it is now (the next checkpoints record it)`,
    };
  }
  if (sameSpec(recorded, now)) return { ok: true };
  const remedy = `start a new run (--out NEWDIR, or --out ${dir} --force to replace this one)`;
  const why = "the resumed steps would train another controller than the checkpoint's";
  if (recorded.file !== now.file) {
    return { ok: false, message: `the run in '${dir}' was started from '${recorded.file}', and '${specPath}' differs from it (${why}): resume with the spec the run started with, or ${remedy}` };
  }
  return { ok: false, message: `'${specPath}' changed since the run in '${dir}' started (${why}): restore the spec the run started with, or ${remedy}` };
}
