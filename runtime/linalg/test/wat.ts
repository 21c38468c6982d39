// A disassembler for the WebAssembly subset that runtime/linalg/ldl_wasm.ts assembles by hand: it
// prints the module in the text format (WebAssembly Core Specification 2.0, section 6), one
// instruction per line, indented by block depth. The listing ldl_wasm.wat is this function's output
// on the assembled bytes (a test keeps the two equal), so the hand-written opcodes can be read and
// reviewed as WAT.

const VALTYPE: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64" };

/** Opcodes without immediates. */
const PLAIN: Record<number, string> = {
  0x0f: "return", 0x1b: "select", 0x45: "i32.eqz", 0x46: "i32.eq", 0x48: "i32.lt_s", 0x49: "i32.lt_u", 0x4a: "i32.gt_s", 0x4b: "i32.gt_u",
  0x4c: "i32.le_s", 0x4d: "i32.le_u", 0x4e: "i32.ge_s", 0x4f: "i32.ge_u", 0x61: "f64.eq", 0x62: "f64.ne",
  0x63: "f64.lt", 0x64: "f64.gt", 0x65: "f64.le", 0x66: "f64.ge", 0x6a: "i32.add", 0x6b: "i32.sub",
  0x6c: "i32.mul", 0x71: "i32.and", 0x72: "i32.or", 0x73: "i32.xor", 0x74: "i32.shl", 0xa0: "f64.add",
  0xa1: "f64.sub", 0xa2: "f64.mul", 0xa3: "f64.div", 0xa4: "f64.min", 0xa5: "f64.max", 0x99: "f64.abs",
};
/** Memory instructions: name and natural alignment (log2 bytes). */
const MEMORY: Record<number, [string, number]> = {
  0x28: ["i32.load", 2], 0x2b: ["f64.load", 3], 0x36: ["i32.store", 2], 0x39: ["f64.store", 3],
};
const INDEXED: Record<number, string> = { 0x0c: "br", 0x0d: "br_if", 0x10: "call", 0x20: "local.get", 0x21: "local.set", 0x22: "local.tee" };
const BLOCKS: Record<number, string> = { 0x02: "block", 0x03: "loop", 0x04: "if" };

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error(`unexpected end of module at byte ${this.pos}`);
    return this.bytes[this.pos++];
  }
  uleb(): number {
    let result = 0, shift = 0, b: number;
    do {
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  }
  sleb(): number {
    let result = 0, shift = 0, b: number;
    do {
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return b & 0x40 ? result - 2 ** shift : result;
  }
  name(): string {
    const n = this.uleb();
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.byte());
    return s;
  }
  f64(): number {
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getFloat64(0, true);
  }
}

function valtype(b: number): string {
  const t = VALTYPE[b];
  if (!t) throw new Error(`unknown value type 0x${b.toString(16)}`);
  return t;
}

function blockType(r: Reader): string {
  const b = r.byte();
  return b === 0x40 ? "" : ` (result ${valtype(b)})`;
}

/** The instructions of one function body, one per line, until its final `end`. */
function instructions(r: Reader, end: number, indent: string): string[] {
  const out: string[] = [];
  let depth = 0;
  while (r.pos < end) {
    const at = r.pos;
    const op = r.byte();
    const pad = indent + "  ".repeat(depth);
    if (op === 0x0b) {
      if (depth === 0) {
        if (r.pos !== end) throw new Error(`end before the body's end at byte ${at}`);
        return out;
      }
      depth--;
      out.push(indent + "  ".repeat(depth) + "end");
    } else if (op === 0x05) {
      out.push(indent + "  ".repeat(depth - 1) + "else");
    } else if (BLOCKS[op]) {
      out.push(pad + BLOCKS[op] + blockType(r));
      depth++;
    } else if (INDEXED[op]) {
      out.push(`${pad}${INDEXED[op]} ${r.uleb()}`);
    } else if (MEMORY[op]) {
      const [name, natural] = MEMORY[op];
      const align = r.uleb(), offset = r.uleb();
      out.push(pad + name + (offset ? ` offset=${offset}` : "") + (align !== natural ? ` align=${2 ** align}` : ""));
    } else if (op === 0x41) {
      out.push(`${pad}i32.const ${r.sleb()}`);
    } else if (op === 0x44) {
      out.push(`${pad}f64.const ${r.f64()}`);
    } else if (PLAIN[op]) {
      out.push(pad + PLAIN[op]);
    } else {
      throw new Error(`opcode 0x${op.toString(16)} at byte ${at} is not in this disassembler's subset`);
    }
  }
  throw new Error("function body without its final end");
}

/** The module in the WebAssembly text format. Throws on bytes outside the subset it knows. */
export function disassemble(bytes: Uint8Array, funcNames: readonly string[] = []): string {
  const r = new Reader(bytes);
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  for (const b of magic) if (r.byte() !== b) throw new Error("not a WebAssembly 1.0 module");
  const types: { params: string[]; results: string[] }[] = [];
  const funcTypes: number[] = [];
  const imports: string[] = [];
  const exports: string[] = [];
  const funcs: string[] = [];
  const fname = (i: number): string => (funcNames[i] ? `$${funcNames[i]}` : String(i));
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.uleb();
    const end = r.pos + size;
    if (id === 1) {
      for (let n = r.uleb(), i = 0; i < n; i++) {
        if (r.byte() !== 0x60) throw new Error("function type expected");
        const params = Array.from({ length: r.uleb() }, () => valtype(r.byte()));
        const results = Array.from({ length: r.uleb() }, () => valtype(r.byte()));
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.uleb(), i = 0; i < n; i++) {
        const mod = r.name(), field = r.name(), kind = r.byte();
        if (kind !== 0x02) throw new Error("only memory imports are supported");
        const flags = r.byte(), min = r.uleb();
        const max = flags & 1 ? ` ${r.uleb()}` : "";
        imports.push(`  (import "${mod}" "${field}" (memory ${min}${max}))`);
      }
    } else if (id === 3) {
      for (let n = r.uleb(), i = 0; i < n; i++) funcTypes.push(r.uleb());
    } else if (id === 7) {
      for (let n = r.uleb(), i = 0; i < n; i++) {
        const name = r.name(), kind = r.byte(), index = r.uleb();
        if (kind !== 0x00) throw new Error("only function exports are supported");
        exports.push(`  (export "${name}" (func ${fname(index)}))`);
      }
    } else if (id === 10) {
      for (let n = r.uleb(), i = 0; i < n; i++) {
        const bodyEnd = r.uleb() + r.pos;
        const locals: string[] = [];
        for (let groups = r.uleb(), g = 0; g < groups; g++) {
          const count = r.uleb(), type = valtype(r.byte());
          for (let c = 0; c < count; c++) locals.push(type);
        }
        const type = types[funcTypes[i]];
        const params = type.params.map((t, j) => `(param ${t}) ;; ${j}`);
        const firstLocal = type.params.length;
        const lines = [
          `  (func ${fname(i)} (type ${funcTypes[i]})`,
          ...params.map((p) => `    ${p}`),
          ...type.results.map((t) => `    (result ${t})`),
          ...locals.map((t, j) => `    (local ${t}) ;; ${firstLocal + j}`),
          ...instructions(r, bodyEnd, "    "),
          "  )",
        ];
        funcs.push(lines.join("\n"));
      }
    } else {
      throw new Error(`section ${id} is not in this disassembler's subset`);
    }
    if (r.pos !== end) throw new Error(`section ${id} has ${end - r.pos} bytes left over`);
  }
  const typeLines = types.map((t, i) =>
    `  (type ${i} (func${t.params.length ? ` (param ${t.params.join(" ")})` : ""}${t.results.length ? ` (result ${t.results.join(" ")})` : ""}))`);
  return ["(module", ...typeLines, ...imports, ...funcs, ...exports, ")", ""].join("\n");
}
