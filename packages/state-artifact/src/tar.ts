// The tar inside a state artifact's layer, written and read here only.
// Writing: regular files with a header of just name and size, byte for byte what Go's
// archive/tar writes for go-containerregistry's `crane.Layer` (USTAR, mode/uid/gid/mtime and the
// device numbers as octal zeros), so the layer's diff_id is the one the original computes.
// Reading: one named file out of an archive held in memory (a state layer is a few kilobytes);
// understands what Go's archive/tar and GNU tar write (ustar names with prefix, PAX `path`
// records, GNU long names, base-256 sizes) and checks header checksums, so garbage is not
// mistaken for an archive.

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

export interface TarHeaderOptions {
  /** 0 unless set, as Go's `tar.Header{Name, Size}` writes it. */
  mode?: number;
  mtime?: number;
  /** "0" (regular file) unless set; "x" (PAX), "L" (GNU long name), or "\0" (the old regular-file flag). */
  typeflag?: string;
}

/** One entry's 512-byte ustar header, laid out as Go's archive/tar writes it. */
export function tarHeader(name: string, size: number, options: TarHeaderOptions = {}): Buffer {
  const { mode = 0, mtime = 0, typeflag = "0" } = options;
  if (Buffer.byteLength(name) > 100) throw new RangeError(`tar entry name longer than 100 bytes: ${name}`);
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, "utf8");
  block.write(octal(mode, 8), 100);
  for (const field of [108, 116]) block.write(octal(0, 8), field); // uid, gid
  block.write(octal(size, 12), 124);
  block.write(octal(mtime, 12), 136); // zero: the layer, and so its digest, is deterministic
  block.write("        ", 148); // the checksum is computed with its own field as spaces
  if (typeflag !== "\0") block.write(typeflag, 156);
  block.write("ustar\0" + "00", 257);
  for (const field of [329, 337]) block.write(octal(0, 8), field); // devmajor, devminor
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + " ", 148);
  return block;
}

/** The archive bytes: each file's header, content and padding, then two zero blocks. */
export function tarFiles(files: ReadonlyArray<{ name: string; content: Uint8Array }>): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    parts.push(tarHeader(file.name, file.content.byteLength), Buffer.from(file.content));
    const rest = file.content.byteLength % BLOCK;
    if (rest !== 0) parts.push(Buffer.alloc(BLOCK - rest));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

export class TarFormatError extends Error {
  constructor(reason: string) {
    super(`not a valid tar archive: ${reason}`);
    this.name = "TarFormatError";
  }
}

function cString(buf: Buffer, start: number, length: number): string {
  const slice = buf.subarray(start, start + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end < 0 ? slice.length : end).toString("utf8");
}

function numeric(buf: Buffer, start: number, length: number): number {
  const field = buf.subarray(start, start + length);
  if (field[0] & 0x80) {
    // base-256: big-endian, high bit of the first byte is the marker
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = cString(buf, start, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad number field ${JSON.stringify(text)}`);
  return Number.parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
  return numeric(header, 148, 8) === sum;
}

function paxPath(records: Buffer): string | undefined {
  let offset = 0;
  let path: string | undefined;
  while (offset < records.length) {
    const space = records.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(records.subarray(offset, space).toString("ascii"));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = records.subarray(space + 1, offset + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (record.slice(0, eq) === "path") path = record.slice(eq + 1);
    offset += length;
  }
  return path;
}

const normalise = (name: string) => name.replace(/^(\.\/|\/)+/, "");

/** True when `buf` starts with a tar header (checksum valid). */
export function looksLikeTar(buf: Buffer): boolean {
  return buf.length >= BLOCK && buf.subarray(0, BLOCK).some((b) => b !== 0) && checksumOk(buf.subarray(0, BLOCK));
}

/** The content of the last regular file named `name` (as a flattened export sees it), or undefined. */
export function readTarEntry(archive: Buffer, name: string): Buffer | undefined {
  const wanted = normalise(name);
  let found: Buffer | undefined;
  let longName: string | undefined;
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) throw new TarFormatError(`bad header checksum at offset ${offset}`);
    const size = numeric(header, 124, 12);
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.length) throw new TarFormatError("entry runs past the end");
    const data = archive.subarray(dataStart, dataStart + size);
    if (type === "x") longName = paxPath(data) ?? longName;
    else if (type === "L") longName = cString(data, 0, data.length);
    else if (type !== "g") {
      const prefix = archive
        .subarray(offset + 257, offset + 263)
        .toString("ascii")
        .startsWith("ustar")
        ? cString(header, 345, 155)
        : "";
      const entryName = longName ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100));
      longName = undefined;
      if ((type === "0" || type === "7") && normalise(entryName) === wanted) found = Buffer.from(data);
    }
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return found;
}
