// The console's favicon (browsers ask for /favicon.ico on every page): a 16×16 ICO drawn here at
// load, so the package carries no binary asset and no request from the page ends in a 404.

/** A filled circle in the console's blue on transparent, as a 32-bit BMP inside an ICO. */
function drawIcon(): Buffer {
  const size = 16;
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - 7.5, y - 7.5);
      const o = ((size - 1 - y) * size + x) * 4; // BMP rows run bottom-up
      if (d > 7.5) continue;
      pixels.writeUInt32LE(d > 3.5 ? 0xff1a73e8 : 0xffffffff, o); // ARGB in memory order BGRA
    }
  }
  const mask = Buffer.alloc(size * 4); // the AND mask (unused with 32-bit alpha), rows padded to 4 bytes
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // ICO bitmaps count the mask's rows too
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(pixels.length + mask.length, 20);
  const image = Buffer.concat([header, pixels, mask]);
  const dir = Buffer.alloc(6 + 16);
  dir.writeUInt16LE(1, 2); // type: icon
  dir.writeUInt16LE(1, 4); // one image
  dir.writeUInt8(size, 6);
  dir.writeUInt8(size, 7);
  dir.writeUInt16LE(1, 10); // planes
  dir.writeUInt16LE(32, 12); // bits per pixel
  dir.writeUInt32LE(image.length, 14);
  dir.writeUInt32LE(dir.length, 18);
  return Buffer.concat([dir, image]);
}

/** The ICO bytes served at /favicon.ico. */
export const FAVICON = drawIcon();
