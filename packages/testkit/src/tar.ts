// Minimal ustar writer for synthetic layers: one regular file per archive. Real tar bytes matter
// because containerd unpacks layers and checks their diff IDs.
import { tarHeader as goTarHeader, type TarHeaderOptions } from "@harbor-satellite/state-artifact";

export type { TarHeaderOptions };

const BLOCK = 512;

/** The ustar header of one entry: the state-artifact writer's (Go's layout), a regular file of mode 0644 unless told. */
export function tarHeader(name: string, size: number, options: TarHeaderOptions = {}): Buffer {
  return goTarHeader(name, size, { mode: 0o644, ...options });
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
