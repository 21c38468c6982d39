// The Chevrotain grammar of `.mpcrl` (a CstParser; language/parser/build.ts turns the CST into the AST).
// Built once at module level. Newline rules (docs/language.md, "Line breaks"):
//  - postfix `[` (indexing) and `(` (call) must start on the line of what they apply to;
//  - inside a constraint, a `+` / `-` at the start of a line (outside brackets) starts a new constraint;
//  - a setting in a train block ends at the end of its line (or at `{` / `}`).

import { CstParser, EOF, tokenMatcher, type CstNode, type IToken, type TokenType, type IParserErrorMessageProvider } from "chevrotain";
import {
  AddOp, allTokens, AnyToken, BinOp, BlockKw, Caret, CostKw, DeclKw, LineEnd, ModifierKw, PlantCostKw, ScalarKw, StructureKw, Colon, Comma, DotDot, Equals, Identifier, Inf, Kw, LBrace, LBracket, LParen,
  NumberLit, Plus, Quote, RBrace, RBracket, RelOpTok, Reserved, RParen, Semi, Word,
} from "../lexer.js";
import { lazyLookahead } from "./lazy_lookahead.js";

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

const L_OPS = { LABEL: "ops" };
const L_OPERANDS = { LABEL: "operands" };
const L_SIGNS = { LABEL: "signs" };
const L_EXPSIGNS = { LABEL: "expSigns" };
const L_CARETS = { LABEL: "carets" };
const L_ATOMS = { LABEL: "atoms" };
const L_ARGS = { LABEL: "args" };
const L_NAME = { LABEL: "name" };
const L_CALL_OPEN = { LABEL: "callOpen" };
const L_CALL_CLOSE = { LABEL: "callClose" };
const L_ELEMENTS = { LABEL: "elements" };
const L_KEYWORD = { LABEL: "keyword" };
const L_WORD = { LABEL: "word" };
const L_STRUCTURE = { LABEL: "structure" };
const L_DIMS = { LABEL: "dims" };
const L_DIMS_OPEN = { LABEL: "dimsOpen" };
const L_DIMS_CLOSE = { LABEL: "dimsClose" };
const L_INIT = { LABEL: "init" };
const L_TARGET = { LABEL: "target" };


interface RecoveryInternals {
  flattenFollowSet(this: MpcrlParser): TokenType[];
  findReSyncTokenType(this: MpcrlParser): TokenType;
}

export class MpcrlParser extends CstParser {

  /** `validate` runs Chevrotain's grammar validations (ambiguities, left recursion): a third of
   *  the CLI's start-up, so the shared instance skips them and language/test/grammar.test.ts runs
   *  them on every test run. */
  constructor(options: { readonly validate?: boolean } = {}) {
    super(allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      lookaheadStrategy: lazyLookahead(3),
      errorMessageProvider: messageProvider,
      nodeLocationTracking: "onlyOffset",
      skipValidations: options.validate !== true,
    });
    this.performSelfAnalysis();
  }

  /** Error recovery inside a `subject to` section re-synchronises at the end of the line: the rest
   *  of a broken constraint is skipped and the next line is parsed as the next constraint. Elsewhere
   *  Chevrotain's default (the nearest token in the follow sets of the rules being parsed). Overrides
   *  an internal method of Chevrotain 11 (the package is pinned to ~11.2). */
  findReSyncTokenType(): TokenType {
    const internals = CstParser.prototype as unknown as RecoveryInternals;
    const follows = internals.flattenFollowSet.call(this);
    if (follows.includes(LineEnd)) {
      for (let k = 1; ; k++) {
        const t = this.LA(k);
        if (t.tokenType === EOF) break;
        if (t.tokenType === LineEnd) return LineEnd;
      }
    }
    return internals.findReSyncTokenType.call(this);
  }

  private sameLine(): boolean {
    const prev = this.LA(0);
    const next = this.LA(1);
    return prev.endLine !== undefined && next.startLine === prev.endLine;
  }

  private atCostBoundary(): boolean {
    return tokenMatcher(this.LA(1), Plus) && tokenMatcher(this.LA(2), CostKw);
  }

  private continuesExpression(): boolean {
    return !this.atCostBoundary();
  }

  // ------------------------------------------------------------ items
  // DSL callbacks and alternatives are class fields, created once (no per-call allocation).

  private readonly topAlts = [
    { ALT: (): CstNode => this.SUBRULE(this.block) },
    { ALT: (): CstNode => this.SUBRULE(this.trainBlock) },
    { ALT: (): CstNode => this.SUBRULE(this.declaration) },
  ];
  public topItem = this.RULE("topItem", () => {
    this.OR(this.topAlts);
  });

  private readonly oneBlockItem = (): CstNode => this.SUBRULE(this.blockItem);
  public block = this.RULE("block", () => {
    this.CONSUME(BlockKw, L_KEYWORD);
    this.CONSUME(Identifier, L_NAME);
    this.CONSUME(LBrace);
    this.MANY(this.oneBlockItem);
    this.CONSUME(RBrace);
  });

  private readonly blockItemAlts = [
    { ALT: (): CstNode => this.SUBRULE(this.declaration) },
    { ALT: (): CstNode => this.SUBRULE(this.letDecl) },
    { ALT: (): CstNode => this.SUBRULE(this.dynamics) },
    { ALT: (): CstNode => this.SUBRULE(this.scalarSetting) },
    { ALT: (): CstNode => this.SUBRULE(this.objective) },
    { ALT: (): CstNode => this.SUBRULE(this.plantCost) },
    { ALT: (): CstNode => this.SUBRULE(this.subjectTo) },
    { ALT: (): CstNode => this.SUBRULE(this.solver) },
    { ALT: (): CstNode => this.SUBRULE(this.unknownItem) },
  ];
  public blockItem = this.RULE("blockItem", () => {
    this.OR(this.blockItemAlts);
  });

  /** The next line continues the current one: it starts with an operator or a closer, or this line
   *  ends with an operator, `,`, `=` or an opener (an expression broken over lines). */
  private continuedLine(): boolean {
    const next = this.LA(1);
    const prev = this.LA(0);
    return (
      tokenMatcher(next, BinOp) || tokenMatcher(next, RelOpTok) || tokenMatcher(next, Caret) || tokenMatcher(next, Quote) ||
      tokenMatcher(next, Comma) || tokenMatcher(next, Semi) || tokenMatcher(next, RParen) || tokenMatcher(next, RBracket) ||
      tokenMatcher(next, DotDot) || tokenMatcher(prev, BinOp) || tokenMatcher(prev, RelOpTok) || tokenMatcher(prev, Caret) ||
      tokenMatcher(prev, Comma) || tokenMatcher(prev, Semi) || tokenMatcher(prev, Equals) || tokenMatcher(prev, LParen) ||
      tokenMatcher(prev, LBracket) || tokenMatcher(prev, DotDot)
    );
  }
  private readonly restOfLine = {
    GATE: (): boolean =>
      (this.sameLine() || this.continuedLine()) && !tokenMatcher(this.LA(1), LBrace) && !tokenMatcher(this.LA(1), RBrace),
    DEF: (): IToken => this.CONSUME(AnyToken),
  };
  /** A line starting with a word that is not an item keyword (a typo such as `horizn 10`): skipped to
   *  the end of the line (and the lines that continue it, such as `+ stage ...` after an objective)
   *  and reported by build.ts with a suggestion, so that parsing goes on. */
  public unknownItem = this.RULE("unknownItem", () => {
    this.CONSUME(Identifier, L_WORD);
    this.MANY(this.restOfLine);
  });

  private readonly structure = {
    GATE: (): boolean => tokenMatcher(this.LA(1), StructureKw) && tokenMatcher(this.LA(2), Identifier),
    DEF: (): IToken => this.CONSUME2(Identifier, L_STRUCTURE),
  };
  private readonly moreDims = (): void => {
    this.CONSUME(Comma);
    this.SUBRULE2(this.expression, L_DIMS);
  };
  private readonly dims = (): void => {
    this.CONSUME(LBracket, L_DIMS_OPEN);
    this.SUBRULE(this.expression, L_DIMS);
    this.MANY(this.moreDims);
    this.CONSUME(RBracket, L_DIMS_CLOSE);
  };
  private readonly init = (): void => {
    this.CONSUME(Equals);
    this.SUBRULE3(this.expression, L_INIT);
  };
  private readonly declBounds = (): CstNode => this.SUBRULE(this.bounds);
  public declaration = this.RULE("declaration", () => {
    this.CONSUME(DeclKw, L_KEYWORD);
    this.OPTION(this.structure);
    this.CONSUME(Identifier, L_NAME);
    this.OPTION2(this.dims);
    this.OPTION3(this.init);
    this.OPTION4(this.declBounds);
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
    this.CONSUME(Identifier, L_NAME);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  private readonly dynamicsLhs = [
    {
      // der(x) = ...
      ALT: (): void => {
        this.CONSUME(Identifier, { LABEL: "der" });
        this.CONSUME(LParen);
        this.CONSUME2(Identifier, L_TARGET);
        this.CONSUME(RParen);
      },
    },
    {
      // x+ = ...
      ALT: (): void => {
        this.CONSUME3(Identifier, L_TARGET);
        this.CONSUME(Plus);
      },
    },
    {
      // x = ... (the `+` is missing: reported by build.ts, the dynamics are kept)
      ALT: (): IToken => this.CONSUME5(Identifier, { LABEL: "targetNoPlus" }),
    },
  ];
  /** `using rk4(4)`: the substep count, on the line of the method. */
  private readonly substeps = {
    GATE: (): boolean => this.sameLine(),
    DEF: (): void => {
      this.CONSUME2(LParen, { LABEL: "substepsOpen" });
      this.SUBRULE2(this.expression, { LABEL: "substeps" });
      this.CONSUME2(RParen);
    },
  };
  private readonly using = (): void => {
    this.CONSUME(Kw.using);
    this.CONSUME4(Identifier, { LABEL: "method" });
    this.OPTION2(this.substeps);
  };
  public dynamics = this.RULE("dynamics", () => {
    this.CONSUME(Kw.dynamics);
    this.OR(this.dynamicsLhs);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: "rhs" });
    this.OPTION(this.using);
  });

  private readonly moreSolverOptions = (): void => {
    this.CONSUME(Comma);
    this.SUBRULE2(this.callArg, L_ARGS);
  };
  private readonly solverOptionList = (): void => {
    this.SUBRULE(this.callArg, L_ARGS);
    this.MANY(this.moreSolverOptions);
  };
  private readonly solverOptions = {
    GATE: (): boolean => this.sameLine(),
    DEF: (): void => {
      this.CONSUME(LParen, L_CALL_OPEN);
      this.OPTION2(this.solverOptionList);
      this.CONSUME(RParen, L_CALL_CLOSE);
    },
  };
  /** `solver sqp`, `solver rti(hessian = exact, max_iterations = 50)`: build.ts validates the method and the options. */
  public solver = this.RULE("solver", () => {
    this.CONSUME(Kw.solver, L_KEYWORD);
    this.CONSUME(Identifier, { LABEL: "method" });
    this.OPTION(this.solverOptions);
  });

  public scalarSetting = this.RULE("scalarSetting", () => {
    this.CONSUME(ScalarKw, L_KEYWORD);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  private readonly moreCostTerms = {
    GATE: (): boolean => this.atCostBoundary(),
    DEF: (): void => {
      this.CONSUME(Plus);
      this.SUBRULE2(this.costTerm);
    },
  };
  public objective = this.RULE("objective", () => {
    this.CONSUME(Kw.minimize);
    this.SUBRULE(this.costTerm);
    this.MANY(this.moreCostTerms);
  });

  private readonly costKind = {
    GATE: (): boolean => tokenMatcher(this.LA(1), CostKw),
    DEF: (): IToken => this.CONSUME(CostKw, L_KEYWORD),
  };
  public costTerm = this.RULE("costTerm", () => {
    this.OPTION(this.costKind);
    this.SUBRULE(this.expression, { LABEL: "expr" });
  });

  public plantCost = this.RULE("plantCost", () => {
    this.CONSUME(PlantCostKw, L_KEYWORD);
    this.SUBRULE(this.expression, { LABEL: "expr" });
  });

  private readonly constraintLine = (): void => {
    this.SUBRULE(this.constraint);
    this.CONSUME2(LineEnd);
  };
  private readonly firstLineEnd = (): IToken => this.CONSUME(LineEnd);
  /** `subject to` then one constraint per line: the driver (index.ts) inserts a LineEnd token at
   *  each line break of the section outside brackets, so that a broken constraint is skipped to the
   *  end of its line by Chevrotain's re-synchronisation and the next line is parsed normally. */
  public subjectTo = this.RULE("subjectTo", () => {
    this.CONSUME(Kw.subject);
    this.CONSUME(Kw.to);
    this.OPTION(this.firstLineEnd);
    this.MANY(this.constraintLine);
  });

  private readonly modifier = (): IToken => this.CONSUME(ModifierKw, { LABEL: "modifiers" });
  private readonly relation = (): void => {
    this.CONSUME(RelOpTok, L_OPS);
    this.SUBRULE2(this.expression, L_OPERANDS);
  };
  private readonly range = (): CstNode => this.SUBRULE(this.stageRange);
  private readonly penaltyClause = (): CstNode => this.SUBRULE(this.penalty);
  public constraint = this.RULE("constraint", () => {
    this.MANY(this.modifier);
    this.SUBRULE(this.expression, L_OPERANDS);
    this.AT_LEAST_ONE(this.relation);
    this.OPTION3(this.range);
    this.OPTION4(this.penaltyClause);
  });

  public stageRange = this.RULE("stageRange", () => {
    this.CONSUME(Kw.for);
    this.CONSUME(Identifier, { LABEL: "index" });
    this.CONSUME(Kw.in);
    this.SUBRULE(this.expression, { LABEL: "from" });
    this.CONSUME(DotDot);
    this.SUBRULE2(this.expression, { LABEL: "to" });
  });

  private readonly linearWeight = (): void => {
    this.CONSUME(Kw.linear);
    this.SUBRULE(this.expression, { LABEL: "linear" });
  };
  private readonly quadraticWeight = (): void => {
    this.CONSUME(Kw.quadratic);
    this.SUBRULE2(this.expression, { LABEL: "quadratic" });
  };
  public penalty = this.RULE("penalty", () => {
    this.CONSUME(Kw.penalty);
    this.OPTION(this.linearWeight);
    this.OPTION2(this.quadraticWeight);
  });

  private readonly oneSetting = (): CstNode => this.SUBRULE(this.setting);
  public trainBlock = this.RULE("trainBlock", () => {
    this.CONSUME(Kw.train);
    this.CONSUME(Identifier, { LABEL: "controller" });
    // `on` (any other word here is reported by build.ts with the fix, and parsing goes on)
    this.CONSUME3(Identifier, { LABEL: "on" });
    this.CONSUME2(Identifier, { LABEL: "plant" });
    this.CONSUME(LBrace);
    this.MANY(this.oneSetting);
    this.CONSUME(RBrace);
  });

  private readonly settingArgs = { GATE: (): boolean => this.sameLine(), DEF: (): CstNode => this.SUBRULE(this.settingArg) };
  private readonly nestedSetting = (): CstNode => this.SUBRULE2(this.setting);
  private readonly settingBlock = (): void => {
    this.CONSUME(LBrace);
    this.MANY2(this.nestedSetting);
    this.CONSUME(RBrace);
  };
  private readonly settingEquals = {
    GATE: (): boolean => this.sameLine(),
    DEF: (): IToken => this.CONSUME(Equals, { LABEL: "equals" }),
  };
  public setting = this.RULE("setting", () => {
    this.CONSUME(Word, { LABEL: "key" });
    this.OPTION2(this.settingEquals); // `seed = 3`: reported by build.ts with the fix
    this.MANY(this.settingArgs);
    this.OPTION(this.settingBlock);
  });

  private readonly settingArgAlts = [
    { ALT: (): CstNode => this.SUBRULE(this.unary) },
    { ALT: (): IToken => this.CONSUME(Reserved, L_WORD) },
  ];
  public settingArg = this.RULE("settingArg", () => {
    this.OR(this.settingArgAlts);
  });

  // ------------------------------------------------------------ expressions

  // Hot rules below avoid per-call allocations (Chevrotain's performance guide: cached
  // alternatives arrays and DEF functions, constant option objects).

  private readonly exprRest = (): void => {
    this.CONSUME(BinOp, L_OPS);
    this.SUBRULE2(this.unary, L_OPERANDS);
  };
  private readonly exprMany = {
    GATE: (): boolean => !tokenMatcher(this.LA(1), AddOp) || this.continuesExpression(),
    DEF: this.exprRest,
  };
  /** A flat chain `u (op u)*` of all binary operators but `^`; build.ts applies the precedence
   *  (`* / .* ./` over `+ -`, left-associative). Fewer rule invocations per operand = faster. */
  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.unary, L_OPERANDS);
    this.MANY(this.exprMany);
  });

  private readonly sign = (): void => {
    this.CONSUME(AddOp, L_SIGNS);
  };
  private readonly expSign = (): void => {
    this.CONSUME2(AddOp, L_EXPSIGNS);
  };
  private readonly powerRest = (): void => {
    this.CONSUME(Caret, L_CARETS);
    this.MANY3(this.expSign);
    this.SUBRULE2(this.atom, L_ATOMS);
  };
  /** Prefix signs, then a right-associative `^` chain whose operands have their own signs:
   *  `-x^2` is `-(x^2)`, `2^-k^2` is `2^(-(k^2))`. */
  public unary = this.RULE("unary", () => {
    this.MANY(this.sign);
    this.SUBRULE(this.atom, L_ATOMS);
    this.MANY2(this.powerRest);
  });

  private readonly moreCallArgs = (): void => {
    this.CONSUME(Comma);
    this.SUBRULE2(this.callArg, L_ARGS);
  };
  private readonly callArgs = (): void => {
    this.SUBRULE(this.callArg, L_ARGS);
    this.MANY(this.moreCallArgs);
  };
  private readonly callSuffix = {
    GATE: (): boolean => this.sameLine(),
    DEF: (): void => {
      this.CONSUME(LParen, L_CALL_OPEN);
      this.OPTION2(this.callArgs);
      this.CONSUME(RParen, L_CALL_CLOSE);
    },
  };
  private readonly atomAlts = [
    { ALT: (): IToken => this.CONSUME(NumberLit) },
    { ALT: (): IToken => this.CONSUME(Inf) },
    {
      ALT: (): void => {
        this.CONSUME(Identifier, L_NAME);
        this.OPTION(this.callSuffix);
      },
    },
    { ALT: (): CstNode => this.SUBRULE(this.paren) },
    { ALT: (): CstNode => this.SUBRULE(this.array) },
  ];
  private readonly postfixMany = {
    GATE: (): boolean => tokenMatcher(this.LA(1), Quote) || this.sameLine(),
    DEF: (): CstNode => this.SUBRULE(this.postfixOp),
  };
  /** A primary expression with its postfix operators (transpose, indexing). */
  public atom = this.RULE("atom", () => {
    this.OR(this.atomAlts);
    this.MANY2(this.postfixMany);
  });

  public postfixOp = this.RULE("postfixOp", () => {
    this.OR([
      { ALT: () => this.CONSUME(Quote) },
      {
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

  private readonly moreElements = (): void => {
    this.CONSUME(Comma);
    this.SUBRULE2(this.expression, L_ELEMENTS);
  };
  public arrayRow = this.RULE("arrayRow", () => {
    this.SUBRULE(this.expression, L_ELEMENTS);
    this.MANY(this.moreElements);
  });
}

/** The one parser instance (Chevrotain parsers are reusable: set `.input` and call a rule). */
export const parserInstance = new MpcrlParser();

export type { IToken };
