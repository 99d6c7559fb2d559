// A tar archive with regular files only: what go-containerregistry's `crane.Layer` writes for a
// state artifact (one entry per file, header with just the name and size, USTAR format). The
// original satellite reads it back with `crane.Export`, which needs real tar bytes.

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new RangeError(`tar entry name longer than 100 bytes: ${name}`);
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, "utf8");
  block.write(octal(0, 8), 100); // mode: Go's tar.Header{Name, Size} leaves it 0
  block.write(octal(0, 8), 108); // uid
  block.write(octal(0, 8), 116); // gid
  block.write(octal(size, 12), 124);
  block.write(octal(0, 12), 136); // mtime: zero keeps the layer, and so its digest, deterministic
  block.write("        ", 148); // checksum is computed with its own field as spaces
  block.write("0", 156); // regular file
  block.write("ustar\0" + "00", 257);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + " ", 148);
  return block;
}

/** The archive bytes: each file's header, content and padding, then two zero blocks. */
export function tarFiles(files: ReadonlyArray<{ name: string; content: Uint8Array }>): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    parts.push(header(file.name, file.content.byteLength), Buffer.from(file.content));
    const rest = file.content.byteLength % BLOCK;
    if (rest !== 0) parts.push(Buffer.alloc(BLOCK - rest));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** Reads the regular files of an archive written by tarFiles (for tests and checks). */
export function untarFiles(archive: Uint8Array): Map<string, Buffer> {
  const bytes = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const files = new Map<string, Buffer>();
  for (let offset = 0; offset + BLOCK <= bytes.length;) {
    const block = bytes.subarray(offset, offset + BLOCK);
    if (block.every((b) => b === 0)) break;
    const name = block.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(block.subarray(124, 136).toString("ascii").replace(/\0.*$/s, "").trim() || "0", 8);
    offset += BLOCK;
    if (block[156] === 0x30 || block[156] === 0) files.set(name, Buffer.from(bytes.subarray(offset, offset + size)));
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
