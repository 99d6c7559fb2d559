// Minimal ustar writer for synthetic layers: one regular file per archive. Real tar bytes matter
// because containerd unpacks layers and checks their diff IDs.

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

export interface TarHeaderOptions {
  /** 0o644 unless set; Go's `tar.Header{Name, Size}` writes 0. */
  mode?: number;
  mtime?: number;
  /** "0" (regular file) unless set; "x" (PAX), "L" (GNU long name), or "\0" (the old regular-file flag). */
  typeflag?: string;
}

/** The 512-byte ustar header of one entry (a regular file unless `typeflag` says otherwise). */
export function tarHeader(name: string, size: number, options: TarHeaderOptions = {}): Buffer {
  const { mode = 0o644, mtime = 0, typeflag = "0" } = options;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, "utf8");
  header.write(octal(mode, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(mtime, 12), 136);
  header.write("        ", 148); // checksum is computed with this field as spaces
  if (typeflag !== "\0") header.write(typeflag, 156);
  header.write("ustar\0" + "00", 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(octal(sum, 7) + " ", 148);
  return header;
}

/** Zero padding after `size` bytes of content, to the next block. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The two zero blocks that end an archive. */
export const TAR_TRAILER = Buffer.alloc(BLOCK * 2);

/** Size of an archive holding one file of `size` bytes. */
export function tarSize(size: number): number {
  return BLOCK + size + tarPadding(size).length + TAR_TRAILER.length;
}
