// Shared state of one checker run: symbol tables, side tables keyed by AST node id, and the
// diagnostics list. Each pass (names, shapes, affinity, consistency, train) reads and fills it.

import type {
  Constraint,
  CostTerm,
  Dynamics,
  PlantCost,
  ScalarSetting,
  ControllerBlock,
  Decl,
  DeclKind,
  Expr,
  LearnableStructure,
  LetDecl,
  PlantBlock,
  Program,
  TrainBlock,
} from "../ast.js";
import { diagnostic, type Diagnostic, type DiagnosticCode, type DiagnosticInput, type Span } from "../diagnostics.js";
import type { ControllerClass, CostTermClass, ExprClass, Shape, SymbolInfo, SymbolKind } from "../semantic.js";
import { IdMap, IdSet } from "./idmap.js";

export type BlockKind = "top" | "controller" | "plant" | "train";

/** A matrix value, row-major. */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: readonly number[];
}

export class Sym implements SymbolInfo {
  shape?: Shape;
  /** The shape was computed (possibly unsuccessfully: then `shape` stays undefined). */
  shapeDone = false;
  used = false;
  /** Reference spans (not including the declaration). */
  readonly refs: Span[] = [];
  constructor(
    readonly name: string,
    readonly kind: SymbolKind,
    readonly blockKind: BlockKind,
    readonly scope: string | undefined,
    readonly decl?: Decl | LetDecl | ControllerBlock | PlantBlock | TrainBlock,
    readonly nameSpan?: Span,
  ) {}
  get declKind(): DeclKind | undefined {
    return this.decl && this.decl.kind === "Decl" ? this.decl.declKind : undefined;
  }
  get structure(): LearnableStructure | undefined {
    return this.decl && this.decl.kind === "Decl" ? this.decl.structure : undefined;
  }
  /** States and inputs of a controller: the decision variables of the QP. */
  get isDecisionVar(): boolean {
    return this.blockKind === "controller" && (this.kind === "state" || this.kind === "input");
  }
}

/** The scope of one block (or the top level). */
export interface BlockScope {
  readonly name: string | undefined;
  readonly kind: BlockKind;
  readonly node: Program | ControllerBlock | PlantBlock | TrainBlock;
  readonly symbols: Map<string, Sym>;
  /** Built-ins visible in this block (`N`, `I`, `inf`), created on demand. */
  readonly builtins: Map<string, Sym>;
}

/** The role of a top-level expression in its statement: decides what names and degrees are allowed. */
export type Role =
  | "dim"
  | "init"
  | "bound"
  | "let"
  | "dynamics"
  | "setting"
  | "cost-initial"
  | "cost-stage"
  | "cost-terminal"
  | "plant-cost"
  | "constraint"
  | "range"
  | "penalty"
  | "train";

/** One expression rooted in a statement, with what it needs to be analysed. */
export interface Root {
  readonly expr: Expr;
  readonly role: Role;
  readonly block: BlockScope;
  /** The stage index bound here (`k`, or the name in `for j in ..`). */
  readonly stageIndex?: Sym;
  /** The declaration this expression belongs to (dims, init, bounds, let value). */
  readonly owner?: Sym;
  /** The statement it belongs to (dynamics, cost term, constraint, setting). */
  readonly stmt?: Dynamics | CostTerm | Constraint | ScalarSetting | PlantCost;
}

export class Ctx {
  readonly diagnostics: Diagnostic[] = [];
  readonly top: BlockScope;
  readonly blocks: BlockScope[] = [];
  /** Every declared symbol in declaration order. */
  readonly allSymbols: Sym[] = [];
  /** NameRef / Identifier node id -> symbol. */
  readonly resolution: IdMap<Sym>;
  /** Expression node id -> shape. */
  readonly shapes: IdMap<Shape>;
  /** Expression node ids whose shape was computed (shapes.ts). */
  readonly shapeDone: IdSet;
  /** Expression node id -> class in the decision variables (converted lazily from the affinity pass). */
  classOf: (id: number) => ExprClass | undefined = () => undefined;
  /** Expression node id -> the block it belongs to. */
  readonly exprBlock: IdMap<BlockScope>;
  /** Expression roots in source order. */
  readonly roots: Root[] = [];
  /** Stage-index symbols (`k`), by the id of the range identifier or per block default. */
  readonly stageSyms: Sym[] = [];
  /** Constant values of expression nodes (null: not constant), filled lazily by const_eval.ts. */
  readonly values: IdMap<Mat | null>;
  /** Constant values of symbols (null: not constant or in progress). */
  readonly symValues = new Map<Sym, Mat | null>();
  /** Controller name -> how it is solved (nlp.ts), filled by the convexity pass. */
  readonly controllerClasses = new Map<string, ControllerClass>();
  /** CostTerm node id -> the classes of its addends (nlp.ts), filled by the convexity pass. */
  readonly costClasses = new Map<number, CostTermClass>();

  constructor(
    readonly program: Program,
    readonly text: string,
  ) {
    this.top = { name: undefined, kind: "top", node: program, symbols: new Map(), builtins: new Map() };
    // node ids are 1..program.id (parser numbering): dense side tables
    const n = Number.isInteger(program.id) && program.id >= 0 && program.id < 1e7 ? program.id + 1 : 0;
    this.resolution = new IdMap(n);
    this.shapes = new IdMap(n);
    this.shapeDone = new IdSet(n);
    this.exprBlock = new IdMap(n);
    this.values = new IdMap(n);
  }

  /** Reports a diagnostic; its code must be registered (codes.ts), which supplies a fixed severity. */
  report<C extends DiagnosticCode>(d: DiagnosticInput<C>): void {
    this.diagnostics.push(diagnostic(d));
  }

  /** Source text of a span (for quoting terms in messages), shortened when long. */
  src(span: Span, max = 40): string {
    const s = this.text.slice(span.start, span.end).replace(/\s+/g, " ");
    return s.length > max ? `${s.slice(0, max - 3)}...` : s;
  }

  private blockIndex: Map<string, BlockScope> | undefined;
  private indexedBlocks = 0;
  blockByName(name: string): BlockScope | undefined {
    if (!this.blockIndex || this.indexedBlocks !== this.blocks.length) {
      this.blockIndex = new Map();
      this.indexedBlocks = this.blocks.length;
      for (const b of this.blocks) if (b.name !== undefined && !this.blockIndex.has(b.name)) this.blockIndex.set(b.name, b);
    }
    return this.blockIndex.get(name);
  }

  /** Look a name up from a block: its own symbols, then the top level. */
  lookup(block: BlockScope, name: string): Sym | undefined {
    return block.symbols.get(name) ?? (block === this.top ? undefined : this.top.symbols.get(name));
  }

  /** Built-in name symbol (`N`, `I`, `inf`) for a block, shared by all references in that block. */
  builtin(block: BlockScope, name: string, kind: SymbolKind): Sym {
    let s = block.builtins.get(name);
    if (!s) {
      s = new Sym(name, kind, block.kind, block.name);
      block.builtins.set(name, s);
    }
    return s;
  }
}

/** Matrices larger than this are not folded to values or intervals (the checker stays fast and small). */
export const MAX_ELEMENTS = 250_000;
export const tooBig = (s: Shape | undefined): boolean => s !== undefined && !(s.rows * s.cols <= MAX_ELEMENTS);

export const SCALAR: Shape = { rows: 1, cols: 1 };
export const isScalar = (s: Shape): boolean => s.rows === 1 && s.cols === 1;
export const sameShape = (a: Shape, b: Shape): boolean => a.rows === b.rows && a.cols === b.cols;
