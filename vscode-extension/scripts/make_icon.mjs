// Draws the extension's icon (128x128 PNG): a receding-horizon plot — a predicted trajectory
// inside constraint bands — and writes images/icon.png. Run once: `node scripts/make_icon.mjs`.
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const size = 128;
const px = new Uint8Array(size * size * 4);
const set = (x, y, [r, g, b, a = 255]) => {
  if (x < 0 || y < 0 || x >= size || y >= size) return;
  const i = (y * size + x) * 4;
  px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = a;
};
// rounded dark background
for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
  const dx = Math.max(0, Math.abs(x - 63.5) - 48), dy = Math.max(0, Math.abs(y - 63.5) - 48);
  if (dx * dx + dy * dy <= 16 * 16) set(x, y, [24, 32, 56]);
}
// constraint bands (upper and lower bounds)
for (let x = 16; x < 112; x++) { for (let t = 0; t < 3; t++) { set(x, 26 + t, [230, 90, 80]); set(x, 100 + t, [230, 90, 80]); } }
// trajectory: a decaying oscillation converging to the setpoint, drawn thick
const f = (x) => 64 + 30 * Math.exp(-(x - 16) / 30) * Math.cos((x - 16) / 9);
for (let x = 16; x < 112; x++) {
  const y = f(x);
  for (let dy = -2; dy <= 2; dy++) set(x, Math.round(y) + dy, x < 56 ? [120, 220, 140] : [120, 180, 255]);
}
// the "now" marker: a vertical dashed line at the current time
for (let y = 30; y < 100; y += 6) for (let t = 0; t < 3; t++) { set(56, y + t, [240, 240, 240]); set(57, y + t, [240, 240, 240]); }

const crcTable = new Uint32Array(256).map((_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
const raw = Buffer.alloc(size * (size * 4 + 1));
for (let y = 0; y < size; y++) { raw[y * (size * 4 + 1)] = 0; Buffer.from(px.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1); }
const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
writeFileSync(new URL("../images/icon.png", import.meta.url), png);
console.log(`images/icon.png: ${png.length} bytes`);
