// Chevrotain's LL(k) lookahead, built on first use instead of for every production at start-up.
// `performSelfAnalysis` asks the strategy for one lookahead function per OR / OPTION / MANY of the
// grammar (a third of the parser's construction, paid by every CLI start-up); a parse reaches only
// some of them. Each function here builds Chevrotain's own function the first time it is called,
// from the same options (the rule's grammar, which does not change), and delegates to it: the
// same decisions as the eager strategy. Validation (tests run it) is the LL(k) strategy's.

import { LLkLookaheadStrategy, type ILookaheadStrategy } from "chevrotain";

type Strategy = Required<ILookaheadStrategy>;
type AltOptions = Parameters<Strategy["buildLookaheadForAlternation"]>[0];
type OptOptions = Parameters<Strategy["buildLookaheadForOptional"]>[0];
type AltFn = ReturnType<Strategy["buildLookaheadForAlternation"]>;
type OptFn = ReturnType<Strategy["buildLookaheadForOptional"]>;

export function lazyLookahead(maxLookahead: number): ILookaheadStrategy {
  const llk = new LLkLookaheadStrategy({ maxLookahead });
  return {
    validate: (options) => llk.validate(options),
    initialize: (options) => llk.initialize?.(options),
    buildLookaheadForAlternation(options: AltOptions): AltFn {
      let built: AltFn | undefined;
      // `this` is the parser (Chevrotain calls lookahead functions with it)
      return function (this: unknown, orAlts) {
        built ??= llk.buildLookaheadForAlternation(options);
        return built.call(this, orAlts);
      };
    },
    buildLookaheadForOptional(options: OptOptions): OptFn {
      let built: OptFn | undefined;
      return function (this: unknown) {
        built ??= llk.buildLookaheadForOptional(options);
        return built.call(this);
      };
    },
  };
}
