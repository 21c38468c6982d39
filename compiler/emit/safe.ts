// Spec text that reaches generated code goes through here: names become quoted property keys or
// validated identifiers, strings become JSON literals, comments lose anything that could end them.

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in " +
    "instanceof new null return super switch this throw true try typeof var void while with as implements interface let package private " +
    "protected public static yield any boolean constructor declare get module require number set string symbol type from of await async " +
    "undefined NaN Infinity eval arguments"
  ).split(" "),
);

/** A string literal (JSON escaping, plus the two JS line terminators JSON leaves alone). */
export function str(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** A property key in a type: bare when it is a plain identifier, quoted otherwise. */
export function key(name: string): string {
  return IDENT.test(name) && !RESERVED.has(name) && name !== "__proto__" ? name : str(name);
}

/** A property key in an object literal: as `key`, except `__proto__`, which an object literal
 *  would take as the prototype (bare or quoted); a computed key makes it an own property. */
export function litKey(name: string): string {
  return name === "__proto__" ? `[${str(name)}]` : key(name);
}

/** A safe TypeScript identifier derived from a spec name (prefixed, non-identifier characters escaped). */
export function ident(name: string, prefix: string): string {
  let out = "";
  for (const ch of name) out += /[A-Za-z0-9_]/.test(ch) ? ch : `$${ch.codePointAt(0)!.toString(16)}`;
  return `${prefix}${out}`;
}

/** Text for a `//` comment: one line, no control characters or line terminators. */
export function commentText(s: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ").replace(/\*\//g, "* /");
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

/** A number literal that round-trips exactly (and is parenthesized when negative). */
export function numLit(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  if (Object.is(v, -0)) return "0";
  const s = String(v);
  return v < 0 ? `(${s})` : s;
}

/** A number literal for array contents (no parentheses needed). */
export function numElem(v: number): string {
  const s = numLit(v);
  return s.startsWith("(") ? s.slice(1, -1) : s;
}

/** 64-bit FNV-1a of a text, as 16 hex digits (the spec hash in the header). */
export function specHash(text: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = (1n << 64n) - 1n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * prime) & mask;
  }
  return h.toString(16).padStart(16, "0");
}
