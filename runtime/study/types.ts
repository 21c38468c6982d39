// The records of a study (docs/studies.md): one line of study.jsonl per trial. Plain data, shared by
// the CLI (which runs trials and writes the folder) and the report (report.ts). Browser-safe.

/** A setting's value in a configuration: a number, nested arrays, or a word/call as spec text. */
export type StudySettingValue = number | string | StudySettingValue[];

/** What a trial computed: identical wherever and whenever it ran (the runs are deterministic). */
export type TrialOutcome =
  | {
      readonly status: "completed";
      /** The training run: its total cost J, last episode's cost, counts of steps. */
      readonly final: {
        readonly J: number;
        readonly episodes: number;
        readonly steps: number;
        readonly lastEpisodeCost: number | null;
        readonly violatingSteps: number;
        readonly lastViolatingStep: number | null;
        readonly solverFailures: number;
        readonly rejectedUpdates: number;
      };
      /** The final parameters on the held-out evaluation: mean episode cost, violating steps per episode. */
      readonly evaluation: {
        readonly cost: number | null;
        readonly violations: number;
        readonly episodeCosts: number[];
        readonly violatingSteps: number;
        readonly steps: number;
        readonly seed: number;
      };
      /** params.json's format. */
      readonly params: unknown;
      /** Mean stage cost over (at most 40) equal windows of the training's steps. */
      readonly curve: number[];
    }
  | { readonly status: "failed"; readonly error: string };

/** One line of study.jsonl. `wallTime` (s) and `host` come last: they are the only fields that
 *  depend on where and when the trial ran. */
export type TrialRecord = {
  readonly id: string;
  /** Index in the study's trial order (configuration-major, then seeds). */
  readonly trial: number;
  readonly config: number;
  readonly settings: Readonly<Record<string, StudySettingValue>>;
  readonly seed: number;
} & TrialOutcome & { readonly wallTime: number; readonly host: string };
