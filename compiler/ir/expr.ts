// Scalar expressions over the parameters of a QP datum: learnable theta entries, runtime values and
// constants; for a nonlinear controller (compiler/lower/nmpc.ts) also over one stage's state and
// input entries (leaves `x`, `u`), differentiated symbolically for the Jacobians and Hessians. A hash-consed DAG with constant folding: structurally equal expressions share a node,
// so common subexpressions are computed once in generated code. Node ids are topological (children
// are always created before their parents), which both the interpreter and the emitter rely on.

export type UnaryFn = "neg" | "sin" | "cos" | "tan" | "exp" | "sqrt" | "log" | "abs" | "tanh";
export type BinaryFn = "add" | "sub" | "mul" | "div" | "pow" | "max" | "min";

export type ENode =
  | { readonly op: "const"; readonly value: number }
  | { readonly op: "theta"; readonly index: number }
  | { readonly op: "rt"; readonly index: number }
  | { readonly op: "x" | "u"; readonly index: number }
  | { readonly op: UnaryFn; readonly a: number }
  | { readonly op: BinaryFn; readonly a: number; readonly b: number };

export class ExprPool {
  readonly nodes: ENode[] = [];
  private readonly keys = new Map<string, number>();
  private readonly thetaDeps: (readonly number[])[] = [];
  /** Whether a node depends on a stage leaf (`x` or `u`). */
  private readonly stageDep: boolean[] = [];
  private readonly diffMemo = new Map<string, number>();
  readonly zero: number;
  readonly one: number;

  constructor() {
    this.zero = this.num(0);
    this.one = this.num(1);
  }

  private intern(node: ENode, key: string): number {
    const found = this.keys.get(key);
    if (found !== undefined) return found;
    const id = this.nodes.length;
    this.nodes.push(node);
    this.keys.set(key, id);
    let deps: readonly number[];
    if (node.op === "theta") deps = [node.index];
    else if (node.op === "const" || node.op === "rt" || node.op === "x" || node.op === "u") deps = [];
    else if ("b" in node) deps = mergeSorted(this.thetaDeps[node.a], this.thetaDeps[node.b]);
    else if ("a" in node) deps = this.thetaDeps[node.a];
    else deps = [];
    this.thetaDeps.push(deps);
    let stage = false;
    if (node.op === "x" || node.op === "u") stage = true;
    else if ("b" in node) stage = this.stageDep[node.a] || this.stageDep[node.b];
    else if ("a" in node) stage = this.stageDep[node.a];
    this.stageDep.push(stage);
    return id;
  }

  num(value: number): number {
    // -0 and 0 are the same constant; NaN cannot be a datum.
    const v = value === 0 ? 0 : value;
    return this.intern({ op: "const", value: v }, `c:${Object.is(v, NaN) ? "nan" : v}`);
  }

  theta(index: number): number {
    return this.intern({ op: "theta", index }, `t:${index}`);
  }

  rt(index: number): number {
    return this.intern({ op: "rt", index }, `r:${index}`);
  }

  /** Entry `index` of the stage's state (nonlinear controllers). */
  x(index: number): number {
    return this.intern({ op: "x", index }, `x:${index}`);
  }

  /** Entry `index` of the stage's input (nonlinear controllers). */
  u(index: number): number {
    return this.intern({ op: "u", index }, `u:${index}`);
  }

  /** Whether the node depends on a stage leaf `x` or `u`. */
  dependsOnStage(id: number): boolean {
    return this.stageDep[id];
  }

  constValue(id: number): number | undefined {
    const n = this.nodes[id];
    return n.op === "const" ? n.value : undefined;
  }

  isConst(id: number): boolean {
    return this.nodes[id].op === "const";
  }

  /** Theta indices the node depends on (sorted). */
  dependsOn(id: number): readonly number[] {
    return this.thetaDeps[id];
  }

  add(a: number, b: number): number {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.num(ca + cb);
    if (ca === 0) return b;
    if (cb === 0) return a;
    // canonical order for commutative ops
    const [x, y] = a <= b ? [a, b] : [b, a];
    return this.intern({ op: "add", a: x, b: y }, `add:${x},${y}`);
  }

  sub(a: number, b: number): number {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.num(ca - cb);
    if (cb === 0) return a;
    if (ca === 0) return this.neg(b);
    if (a === b) return this.zero;
    return this.intern({ op: "sub", a, b }, `sub:${a},${b}`);
  }

  neg(a: number): number {
    const ca = this.constValue(a);
    if (ca !== undefined) return this.num(-ca);
    const n = this.nodes[a];
    if (n.op === "neg") return n.a;
    return this.intern({ op: "neg", a }, `neg:${a}`);
  }

  mul(a: number, b: number): number {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.num(ca * cb);
    if (ca === 0 || cb === 0) return this.zero;
    if (ca === 1) return b;
    if (cb === 1) return a;
    if (ca === -1) return this.neg(b);
    if (cb === -1) return this.neg(a);
    const [x, y] = a <= b ? [a, b] : [b, a];
    return this.intern({ op: "mul", a: x, b: y }, `mul:${x},${y}`);
  }

  div(a: number, b: number): number {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.num(ca / cb);
    if (ca === 0) return this.zero;
    if (cb === 1) return a;
    return this.intern({ op: "div", a, b }, `div:${a},${b}`);
  }

  pow(a: number, b: number): number {
    const ca = this.constValue(a);
    const cb = this.constValue(b);
    if (ca !== undefined && cb !== undefined) return this.num(Math.pow(ca, cb));
    if (cb === 0) return this.one;
    if (cb === 1) return a;
    return this.intern({ op: "pow", a, b }, `pow:${a},${b}`);
  }

  binary(op: BinaryFn, a: number, b: number): number {
    switch (op) {
      case "add":
        return this.add(a, b);
      case "sub":
        return this.sub(a, b);
      case "mul":
        return this.mul(a, b);
      case "div":
        return this.div(a, b);
      case "pow":
        return this.pow(a, b);
      case "max":
      case "min": {
        const ca = this.constValue(a);
        const cb = this.constValue(b);
        if (ca !== undefined && cb !== undefined) return this.num(op === "max" ? Math.max(ca, cb) : Math.min(ca, cb));
        if (a === b) return a;
        const [x, y] = a <= b ? [a, b] : [b, a];
        return this.intern({ op, a: x, b: y }, `${op}:${x},${y}`);
      }
    }
  }

  unary(op: UnaryFn, a: number): number {
    if (op === "neg") return this.neg(a);
    const ca = this.constValue(a);
    if (ca !== undefined) return this.num(applyUnary(op, ca));
    return this.intern({ op, a }, `${op}:${a}`);
  }

  /** d node / d theta[index], as a node (memoized). */
  diff(id: number, index: number): number {
    if (!this.thetaDeps[id].includes(index)) return this.zero;
    return this.diffLeaf(id, this.theta(index));
  }

  /** d node / d leaf, for a leaf node (`theta`, `x` or `u`), as a node (memoized). */
  diffLeaf(id: number, leaf: number): number {
    const ln = this.nodes[leaf];
    if (ln.op === "theta" ? !this.thetaDeps[id].includes(ln.index) : !this.stageDep[id]) return this.zero;
    const key = `${id}:${leaf}`;
    const memo = this.diffMemo.get(key);
    if (memo !== undefined) return memo;
    const n = this.nodes[id];
    const d = (x: number): number => this.diffLeaf(x, leaf);
    let r: number;
    switch (n.op) {
      case "const":
      case "rt":
        r = this.zero;
        break;
      case "theta":
      case "x":
      case "u":
        r = id === leaf ? this.one : this.zero;
        break;
      case "neg":
        r = this.neg(d(n.a));
        break;
      case "sin":
        r = this.mul(this.unary("cos", n.a), d(n.a));
        break;
      case "cos":
        r = this.neg(this.mul(this.unary("sin", n.a), d(n.a)));
        break;
      case "tan":
        // tan' = 1 + tan^2
        r = this.mul(this.add(this.one, this.mul(id, id)), d(n.a));
        break;
      case "exp":
        r = this.mul(id, d(n.a));
        break;
      case "sqrt":
        r = this.div(d(n.a), this.mul(this.num(2), id));
        break;
      case "log":
        r = this.div(d(n.a), n.a);
        break;
      case "tanh":
        r = this.mul(this.sub(this.one, this.mul(id, id)), d(n.a));
        break;
      case "abs":
        // d|a| = sign(a) da, with sign written as a / |a| (undefined at 0, like the function's kink)
        r = this.mul(this.div(n.a, id), d(n.a));
        break;
      case "add":
        r = this.add(d(n.a), d(n.b));
        break;
      case "sub":
        r = this.sub(d(n.a), d(n.b));
        break;
      case "mul":
        r = this.add(this.mul(d(n.a), n.b), this.mul(n.a, d(n.b)));
        break;
      case "div":
        // (a/b)' = a'/b - a b'/b^2
        r = this.sub(this.div(d(n.a), n.b), this.div(this.mul(id, d(n.b)), n.b));
        break;
      case "pow": {
        const cb = this.constValue(n.b);
        if (cb !== undefined) {
          r = this.mul(this.mul(this.num(cb), this.pow(n.a, this.num(cb - 1))), d(n.a));
        } else {
          // d(a^b) = a^b (b' log a + b a'/a)
          r = this.mul(id, this.add(this.mul(d(n.b), this.unary("log", n.a)), this.div(this.mul(n.b, d(n.a)), n.a)));
        }
        break;
      }
      case "max":
      case "min": {
        // derivative of the active branch (ties: the first argument)
        r = this.selectDiff(n.op, n.a, n.b, d(n.a), d(n.b));
        break;
      }
    }
    this.diffMemo.set(key, r);
    return r;
  }

  /** max(a,b)' = a' if a >= b else b'; written without branches as a' + (b' - a') * [b > a]. */
  private selectDiff(op: "max" | "min", a: number, b: number, da: number, db: number): number {
    // indicator [b > a] for max, [b < a] for min: (sign(b - a) + 1) / 2 with sign via x/|x| would be
    // undefined at ties, so use 0.5 + 0.5 * sign computed by max/min of 1 and scaled differences.
    const diffNode = op === "max" ? this.sub(b, a) : this.sub(a, b);
    // step(x) = max(0, min(1, x * 1e300)) is 1 for x > 0 and 0 for x <= 0
    const step = this.binary("max", this.zero, this.binary("min", this.one, this.mul(diffNode, this.num(1e300))));
    return this.add(da, this.mul(this.sub(db, da), step));
  }

  /** Evaluates every node up to `upTo` (exclusive) into vals (ids are topological). */
  evaluate(theta: ArrayLike<number>, runtime: ArrayLike<number>, vals: Float64Array, upTo = this.nodes.length): void {
    for (let i = 0; i < upTo; i++) vals[i] = evalNode(this.nodes[i], vals, theta, runtime);
  }

  /** Evaluates the nodes in `ids` (ascending, closed under children) at a stage point (x, u). */
  evaluateAt(ids: ArrayLike<number>, theta: ArrayLike<number>, runtime: ArrayLike<number>, x: ArrayLike<number>, u: ArrayLike<number>, vals: Float64Array): void {
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k];
      vals[i] = evalNode(this.nodes[i], vals, theta, runtime, x, u);
    }
  }
}

export function applyUnary(op: UnaryFn, x: number): number {
  switch (op) {
    case "neg":
      return -x;
    case "sin":
      return Math.sin(x);
    case "cos":
      return Math.cos(x);
    case "tan":
      return Math.tan(x);
    case "exp":
      return Math.exp(x);
    case "sqrt":
      return Math.sqrt(x);
    case "log":
      return Math.log(x);
    case "abs":
      return Math.abs(x);
    case "tanh":
      return Math.tanh(x);
  }
}

export function evalNode(n: ENode, vals: ArrayLike<number>, theta: ArrayLike<number>, runtime: ArrayLike<number>, x?: ArrayLike<number>, u?: ArrayLike<number>): number {
  switch (n.op) {
    case "x":
      return x === undefined ? NaN : x[n.index];
    case "u":
      return u === undefined ? NaN : u[n.index];
    case "const":
      return n.value;
    case "theta":
      return theta[n.index];
    case "rt":
      return runtime[n.index];
    case "add":
      return vals[n.a] + vals[n.b];
    case "sub":
      return vals[n.a] - vals[n.b];
    case "mul":
      return vals[n.a] * vals[n.b];
    case "div":
      return vals[n.a] / vals[n.b];
    case "pow":
      return Math.pow(vals[n.a], vals[n.b]);
    case "max":
      return Math.max(vals[n.a], vals[n.b]);
    case "min":
      return Math.min(vals[n.a], vals[n.b]);
    default:
      return applyUnary(n.op, vals[n.a]);
  }
}

function mergeSorted(a: readonly number[], b: readonly number[]): readonly number[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out.push(a[i++]);
    else if (i >= a.length || b[j] < a[i]) out.push(b[j++]);
    else {
      out.push(a[i++]);
      j++;
    }
  }
  return out;
}
