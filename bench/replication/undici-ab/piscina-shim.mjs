// Piscina, with the layer-copy worker's file swapped for the shadow copy the A/B bench wrote
// (BENCH_SHADOW_WORKER: blob-fetch-worker.mjs importing undici-get.mjs for its GET).
import { Piscina as RealPiscina } from "piscina";

export class Piscina extends RealPiscina {
  constructor(options) {
    const shadow = process.env.BENCH_SHADOW_WORKER;
    if (!shadow || !String(options.filename).endsWith("/blob-fetch-worker.mjs"))
      throw new Error("piscina-shim: no BENCH_SHADOW_WORKER, or not the layer-copy worker");
    super({ ...options, filename: shadow });
  }
}
