// The Chevrotain grammar of `.mpcrl` (a CstParser; language/parser/build.ts turns the CST into the AST).
// Built once at module level. Newline rules (docs/language.md, "Line breaks"):
//  - postfix `[` (indexing) and `(` (call) must start on the line of what they apply to;
//  - inside a constraint, a `+` / `-` at the start of a line (outside brackets) starts a new constraint;
//  - a setting in a train block ends at the end of its line (or at `{` / `}`).

import { CstParser, tokenMatcher, type IToken, type TokenType, type IParserErrorMessageProvider } from "chevrotain";
import {
  AddOp, allTokens, Caret, Colon, Comma, DotDot, Equals, Identifier, Inf, Kw, LBrace, LBracket, LParen,
  MulOp, NumberLit, Plus, Quote, RBrace, RBracket, RelOpTok, Reserved, RParen, Semi, Word,
} from "../lexer.js";

/** Structured error payload: the message provider returns this as JSON, build.ts turns it into a Diagnostic. */
export interface ErrorPayload {
  kind: "mismatch" | "noViableAlt" | "earlyExit" | "notAllInput";
  /** Token type names that were expected (first tokens of each viable path). */
  expected: string[];
  rule: string;
}

function firstTokens(paths: TokenType[][]): string[] {
  const names = new Set<string>();
  for (const p of paths) if (p.length > 0) names.add(p[0].name);
  return [...names];
}

const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, ruleName }) {
    return JSON.stringify({ kind: "mismatch", expected: [expected.name], rule: ruleName } satisfies ErrorPayload);
  },
  buildNotAllInputParsedMessage({ ruleName }) {
    return JSON.stringify({ kind: "notAllInput", expected: [], rule: ruleName } satisfies ErrorPayload);
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, ruleName }) {
    return JSON.stringify({ kind: "noViableAlt", expected: firstTokens(expectedPathsPerAlt.flat()), rule: ruleName } satisfies ErrorPayload);
  },
  buildEarlyExitMessage({ expectedIterationPaths, ruleName }) {
    return JSON.stringify({ kind: "earlyExit", expected: firstTokens(expectedIterationPaths), rule: ruleName } satisfies ErrorPayload);
  },
};

const costKeywords = [Kw.stage, Kw.terminal, Kw.initial];
const structureKeywords = [Kw.diag, Kw.factor, Kw.psd];

export class MpcrlParser extends CstParser {
  /** Bracket (`(`, `[`) depth of each token, by start offset; set by the driver before parsing. */
  bracketDepth: Map<number, number> = new Map();
  private inConstraint = false;

  constructor() {
    super(allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: messageProvider });
    this.performSelfAnalysis();
  }

  private sameLine(): boolean {
    const prev = this.LA(0);
    const next = this.LA(1);
    return prev.endLine !== undefined && next.startLine === prev.endLine;
  }

  private atCostBoundary(): boolean {
    return tokenMatcher(this.LA(1), Plus) && costKeywords.some((k) => tokenMatcher(this.LA(2), k));
  }

  private continuesExpression(): boolean {
    if (this.atCostBoundary()) return false;
    if (this.inConstraint && !this.sameLine() && (this.bracketDepth.get(this.LA(1).startOffset) ?? 0) === 0) return false;
    return true;
  }

  // ------------------------------------------------------------ items

  public topItem = this.RULE("topItem", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.block) },
      { ALT: () => this.SUBRULE(this.trainBlock) },
      { ALT: () => this.SUBRULE(this.declaration) },
    ]);
  });

  public block = this.RULE("block", () => {
    this.OR([{ ALT: () => this.CONSUME(Kw.controller, { LABEL: "keyword" }) }, { ALT: () => this.CONSUME(Kw.plant, { LABEL: "keyword" }) }]);
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.blockItem));
    this.CONSUME(RBrace);
  });

  public blockItem = this.RULE("blockItem", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.declaration) },
      { ALT: () => this.SUBRULE(this.letDecl) },
      { ALT: () => this.SUBRULE(this.dynamics) },
      { ALT: () => this.SUBRULE(this.scalarSetting) },
      { ALT: () => this.SUBRULE(this.objective) },
      { ALT: () => this.SUBRULE(this.plantCost) },
      { ALT: () => this.SUBRULE(this.subjectTo) },
    ]);
  });

  public declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.CONSUME(Kw.state, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(Kw.input, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(Kw.param, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(Kw.runtime, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(Kw.disturbance, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(Kw.const, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(Kw.learnable, { LABEL: "keyword" }) },
    ]);
    this.OPTION({
      GATE: () => structureKeywords.some((k) => tokenMatcher(this.LA(1), k)) && tokenMatcher(this.LA(2), Identifier),
      DEF: () => this.CONSUME2(Identifier, { LABEL: "structure" }),
    });
    this.CONSUME(Identifier, { LABEL: "name" });
    this.OPTION2(() => {
      this.CONSUME(LBracket, { LABEL: "dimsOpen" });
      this.SUBRULE(this.expression, { LABEL: "dims" });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.expression, { LABEL: "dims" });
      });
      this.CONSUME(RBracket, { LABEL: "dimsClose" });
    });
    this.OPTION3(() => {
      this.CONSUME(Equals);
      this.SUBRULE3(this.expression, { LABEL: "init" });
    });
    this.OPTION4(() => this.SUBRULE(this.bounds));
  });

  public bounds = this.RULE("bounds", () => {
    this.CONSUME(Kw.in);
    this.CONSUME(LBracket);
    this.SUBRULE(this.expression, { LABEL: "lower" });
    this.CONSUME(Comma);
    this.SUBRULE2(this.expression, { LABEL: "upper" });
    this.CONSUME(RBracket);
  });

  public letDecl = this.RULE("letDecl", () => {
    this.CONSUME(Kw.let);
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  public dynamics = this.RULE("dynamics", () => {
    this.CONSUME(Kw.dynamics);
    this.OR([
      {
        // der(x) = ...
        ALT: () => {
          this.CONSUME(Identifier, { LABEL: "der" });
          this.CONSUME(LParen);
          this.CONSUME2(Identifier, { LABEL: "target" });
          this.CONSUME(RParen);
        },
      },
      {
        // x+ = ...
        ALT: () => {
          this.CONSUME3(Identifier, { LABEL: "target" });
          this.CONSUME(Plus);
        },
      },
    ]);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: "rhs" });
    this.OPTION(() => {
      this.CONSUME(Kw.using);
      this.CONSUME4(Identifier, { LABEL: "method" });
    });
  });

  public scalarSetting = this.RULE("scalarSetting", () => {
    this.OR([
      { ALT: () => this.CONSUME(Kw.horizon, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(Kw.discount, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(Kw.timestep, { LABEL: "keyword" }) },
      { ALT: () => this.CONSUME(Kw.episode, { LABEL: "keyword" }) },
    ]);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  public objective = this.RULE("objective", () => {
    this.CONSUME(Kw.minimize);
    this.SUBRULE(this.costTerm);
    this.MANY({
      GATE: () => this.atCostBoundary(),
      DEF: () => {
        this.CONSUME(Plus);
        this.SUBRULE2(this.costTerm);
      },
    });
  });

  public costTerm = this.RULE("costTerm", () => {
    this.OPTION({
      GATE: () => costKeywords.some((k) => tokenMatcher(this.LA(1), k)),
      DEF: () =>
        this.OR([
          { ALT: () => this.CONSUME(Kw.stage, { LABEL: "keyword" }) },
          { ALT: () => this.CONSUME(Kw.terminal, { LABEL: "keyword" }) },
          { ALT: () => this.CONSUME(Kw.initial, { LABEL: "keyword" }) },
        ]),
    });
    this.SUBRULE(this.expression, { LABEL: "expr" });
  });

  public plantCost = this.RULE("plantCost", () => {
    this.OR([{ ALT: () => this.CONSUME(Kw.cost, { LABEL: "keyword" }) }, { ALT: () => this.CONSUME(Kw.reward, { LABEL: "keyword" }) }]);
    this.SUBRULE(this.expression, { LABEL: "expr" });
  });

  public subjectTo = this.RULE("subjectTo", () => {
    this.CONSUME(Kw.subject);
    this.CONSUME(Kw.to);
    this.MANY(() => this.SUBRULE(this.constraint));
  });

  public constraint = this.RULE("constraint", () => {
    const saved = this.inConstraint;
    this.inConstraint = true;
    try {
      this.OPTION(() => this.CONSUME(Kw.soft));
      this.OPTION2(() => this.CONSUME(Kw.terminal));
      this.SUBRULE(this.expression, { LABEL: "operands" });
      this.AT_LEAST_ONE(() => {
        this.CONSUME(RelOpTok, { LABEL: "ops" });
        this.SUBRULE2(this.expression, { LABEL: "operands" });
      });
      this.OPTION3(() => this.SUBRULE(this.stageRange));
      this.OPTION4(() => this.SUBRULE(this.penalty));
    } finally {
      this.inConstraint = saved;
    }
  });

  public stageRange = this.RULE("stageRange", () => {
    this.CONSUME(Kw.for);
    this.CONSUME(Identifier, { LABEL: "index" });
    this.CONSUME(Kw.in);
    this.SUBRULE(this.expression, { LABEL: "from" });
    this.CONSUME(DotDot);
    this.SUBRULE2(this.expression, { LABEL: "to" });
  });

  public penalty = this.RULE("penalty", () => {
    this.CONSUME(Kw.penalty);
    this.OPTION(() => {
      this.CONSUME(Kw.linear);
      this.SUBRULE(this.expression, { LABEL: "linear" });
    });
    this.OPTION2(() => {
      this.CONSUME(Kw.quadratic);
      this.SUBRULE2(this.expression, { LABEL: "quadratic" });
    });
  });

  public trainBlock = this.RULE("trainBlock", () => {
    this.CONSUME(Kw.train);
    this.CONSUME(Identifier, { LABEL: "controller" });
    this.CONSUME(Kw.on);
    this.CONSUME2(Identifier, { LABEL: "plant" });
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.setting));
    this.CONSUME(RBrace);
  });

  public setting = this.RULE("setting", () => {
    this.CONSUME(Word, { LABEL: "key" });
    this.MANY({ GATE: () => this.sameLine(), DEF: () => this.SUBRULE(this.settingArg) });
    this.OPTION(() => {
      this.CONSUME(LBrace);
      this.MANY2(() => this.SUBRULE(this.setting));
      this.CONSUME(RBrace);
    });
  });

  public settingArg = this.RULE("settingArg", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.unary) },
      { ALT: () => this.CONSUME(Reserved, { LABEL: "word" }) },
    ]);
  });

  // ------------------------------------------------------------ expressions

  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.multiplicative, { LABEL: "operands" });
    this.MANY({
      GATE: () => this.continuesExpression(),
      DEF: () => {
        this.CONSUME(AddOp, { LABEL: "ops" });
        this.SUBRULE2(this.multiplicative, { LABEL: "operands" });
      },
    });
  });

  public multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(MulOp, { LABEL: "ops" });
      this.SUBRULE2(this.unary, { LABEL: "operands" });
    });
  });

  /** Prefix signs apply to a whole power: `-x^2` is `-(x^2)`. */
  public unary = this.RULE("unary", () => {
    this.MANY(() => this.CONSUME(AddOp, { LABEL: "signs" }));
    this.SUBRULE(this.postfix, { LABEL: "base" });
    this.MANY2(() => {
      this.CONSUME(Caret, { LABEL: "carets" });
      this.SUBRULE(this.exponent, { LABEL: "exponents" });
    });
  });

  /** The right operand of `^`, with its own signs: `2^-k`. */
  public exponent = this.RULE("exponent", () => {
    this.MANY(() => this.CONSUME(AddOp, { LABEL: "signs" }));
    this.SUBRULE(this.postfix, { LABEL: "base" });
  });

  public postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => this.SUBRULE(this.postfixOp));
  });

  public postfixOp = this.RULE("postfixOp", () => {
    this.OR([
      { ALT: () => this.CONSUME(Quote) },
      {
        GATE: () => this.sameLine(),
        ALT: () => {
          this.CONSUME(LBracket);
          this.SUBRULE(this.indexArg, { LABEL: "indices" });
          this.MANY(() => {
            this.CONSUME(Comma);
            this.SUBRULE2(this.indexArg, { LABEL: "indices" });
          });
          this.CONSUME(RBracket);
        },
      },
    ]);
  });

  public indexArg = this.RULE("indexArg", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Colon);
          this.OPTION(() => this.SUBRULE(this.expression, { LABEL: "end" }));
        },
      },
      {
        ALT: () => {
          this.SUBRULE2(this.expression, { LABEL: "start" });
          this.OPTION2(() => {
            this.CONSUME2(Colon);
            this.OPTION3(() => this.SUBRULE3(this.expression, { LABEL: "end" }));
          });
        },
      },
    ]);
  });

  public primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLit) },
      { ALT: () => this.CONSUME(Inf) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      { ALT: () => this.SUBRULE(this.paren) },
      { ALT: () => this.SUBRULE(this.array) },
    ]);
  });

  public nameOrCall = this.RULE("nameOrCall", () => {
    this.CONSUME(Identifier);
    this.OPTION({
      GATE: () => this.sameLine(),
      DEF: () => {
        this.CONSUME(LParen);
        this.OPTION2(() => {
          this.SUBRULE(this.callArg, { LABEL: "args" });
          this.MANY(() => {
            this.CONSUME(Comma);
            this.SUBRULE2(this.callArg, { LABEL: "args" });
          });
        });
        this.CONSUME(RParen);
      },
    });
  });

  public callArg = this.RULE("callArg", () => {
    this.OPTION({
      GATE: () => tokenMatcher(this.LA(2), Equals),
      DEF: () => {
        this.CONSUME(Identifier, { LABEL: "name" });
        this.CONSUME(Equals);
      },
    });
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  public paren = this.RULE("paren", () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.expression, { LABEL: "inner" });
    this.CONSUME(RParen);
  });

  public array = this.RULE("array", () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.arrayRow, { LABEL: "rows" });
      this.MANY(() => {
        this.CONSUME(Semi);
        this.SUBRULE2(this.arrayRow, { LABEL: "rows" });
      });
    });
    this.CONSUME(RBracket);
  });

  public arrayRow = this.RULE("arrayRow", () => {
    this.SUBRULE(this.expression, { LABEL: "elements" });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.expression, { LABEL: "elements" });
    });
  });
}

/** The one parser instance (Chevrotain parsers are reusable: set `.input` and call a rule). */
export const parserInstance = new MpcrlParser();

export type { IToken };
