// Module resolve hook for the A/B bench (main thread only: piscina's worker threads do not run
// hooks registered with --import on Node 20). With BENCH_BLOB_GET=undici, the worker pool's
// import of piscina resolves to piscina-shim.mjs, which starts the pool's threads on the shadow
// copy of the layer-copy worker that imports undici-get.mjs instead of raw-http-get.mjs;
// otherwise nothing changes.
export async function resolve(specifier, context, next) {
  if (
    process.env.BENCH_BLOB_GET === "undici" &&
    specifier === "piscina" &&
    context.parentURL?.includes("/replication/worker-pool.")
  )
    return next(new URL("./piscina-shim.mjs", import.meta.url).href, context);
  return next(specifier, context);
}
