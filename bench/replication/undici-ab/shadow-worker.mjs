// Writes the shadow copy of the layer-copy worker for the A/B bench: the real
// blob-fetch-worker.mjs with its relative imports pointing at the real modules, except its GET
// (./raw-http-get.mjs), which points at undici-get.mjs. Returns the copy's file URL.
import { readFile, writeFile } from "node:fs/promises";

const REPLICATION = new URL("../../../services/satellite/src/replication/", import.meta.url);

/** @param {string} path where to write the copy (in this folder, so bare imports resolve) */
export async function writeShadowWorker(path) {
  const source = await readFile(new URL("blob-fetch-worker.mjs", REPLICATION), "utf8");
  let swapped = false;
  const shadow = source.replace(/from "\.\/([\w-]+\.mjs)";/g, (_, file) => {
    if (file !== "raw-http-get.mjs") return `from ${JSON.stringify(new URL(file, REPLICATION).href)};`;
    swapped = true;
    return `from ${JSON.stringify(new URL("./undici-get.mjs", import.meta.url).href)};`;
  });
  if (!swapped) throw new Error("blob-fetch-worker.mjs no longer imports ./raw-http-get.mjs: update the bench");
  await writeFile(path, shadow);
  return new URL(`file://${path}`).href;
}
