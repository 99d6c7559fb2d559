// The migrated cluster that in-memory databases (unit tests) start from. Starting PGlite on an
// empty cluster runs initdb, several seconds of WebAssembly; loading a dump of a cluster that
// the migrations already ran on takes a fraction of that. The dump is made by the real
// migrations (client.ts, dumpMigratedCluster), once per process, or once per test run by the
// unit project's global setup, which hands its file to each test file through useMemoryTemplate.
// No heavy imports here: the unit project's setup file loads this module in every test file.
import { readFile } from "node:fs/promises";

let template: Promise<Blob> | undefined;
let templateFile: string | undefined;

/** Later in-memory databases in this process start from the dump in `file` (written by dumpMigratedCluster). */
export function useMemoryTemplate(file: string): void {
  // Test files sharing a worker's modules (isolate: false) read it once.
  if (file === templateFile && template) return;
  templateFile = file;
  template = readFile(file).then((bytes) => new Blob([bytes]));
}

/** The dump in-memory databases start from: the one given to useMemoryTemplate, else built once by `build`. */
export function memoryTemplate(build: () => Promise<Blob>): Promise<Blob> {
  if (!template) {
    const built = build();
    template = built;
    // A failed build is not remembered: the next open tries again.
    built.catch(() => {
      if (template === built) template = undefined;
    });
    templateFile = undefined;
  }
  return template;
}
