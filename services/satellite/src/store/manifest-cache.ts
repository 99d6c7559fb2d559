// Manifest bytes kept in memory, least recently used out first, bounded in bytes. A manifest
// GET by tag is then a map lookup and one write to the socket, with no disk read.

export class ManifestCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(digest: string): Buffer | undefined {
    const hit = this.entries.get(digest);
    if (hit) {
      // Re-insert to mark it most recently used (Map keeps insertion order).
      this.entries.delete(digest);
      this.entries.set(digest, hit);
    }
    return hit;
  }

  set(digest: string, bytes: Buffer): void {
    if (bytes.length > this.maxBytes) return;
    this.delete(digest);
    this.entries.set(digest, bytes);
    this.bytes += bytes.length;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.length;
    }
  }

  delete(digest: string): void {
    const old = this.entries.get(digest);
    if (old) {
      this.entries.delete(digest);
      this.bytes -= old.length;
    }
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
