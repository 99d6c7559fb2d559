// The replication engine's spans (observability/spans.md): one satellite.image.replicate per image
// under the caller's span, one satellite.blob.copy per blob under its image (worker-thread copies
// included), outcomes, digests, sizes and bounded error.type values.
import { randomBytes } from "node:crypto";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { startFakeRegistry, type FakeRegistry } from "@harbor-satellite/oci/testing";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReplicationEngine, type ReplicationEngine } from "./replication-engine.js";
import { createFakeContentStore, type FakeContentStore } from "./testing/fake-content-store.js";
import { seedImage } from "./testing/seed-upstream.js";

describe("replication spans", () => {
  const exporter = new InMemorySpanExporter();
  let engine: ReplicationEngine;
  let registry: FakeRegistry;
  let store: FakeContentStore;

  beforeAll(async () => {
    trace.disable();
    context.disable();
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
    registry = await startFakeRegistry({ mode: "none" });
    store = await createFakeContentStore();
    engine = createReplicationEngine({
      store,
      logger: pino({ level: "silent" }),
      workerThreads: 1,
      inlineMaxBytes: 4096,
    });
  });
  afterAll(async () => {
    await engine?.close();
    await registry?.close();
    await store?.remove();
    trace.disable();
    context.disable();
  });

  it("nests images under the pass and blobs under their image, with outcomes", async () => {
    const layers = [randomBytes(100_000), randomBytes(100)];
    const img = seedImage(registry, "lib/app", "v1", layers);
    const upstream = { url: registry.url, retry: { attempts: 1 } };
    const pass = trace.getTracer("test").startSpan("satellite.pass");
    await context.with(trace.setSpan(context.active(), pass), () =>
      engine.replicate({
        upstream,
        images: [
          { repository: "lib/app", tag: "v1" },
          { repository: "lib/gone", tag: "1" },
        ],
      }),
    );
    pass.end();

    const spans = exporter.getFinishedSpans();
    const images = spans.filter((s) => s.name === "satellite.image.replicate");
    expect(
      images.every((s) => s.parentSpanContext?.spanId === pass.spanContext().spanId && s.kind === SpanKind.INTERNAL),
    ).toBe(true);
    const app = images.find((s) => s.attributes["container.image.name"] === "lib/app")!;
    expect(app.attributes).toEqual({
      "container.image.name": "lib/app",
      "container.image.tags": ["v1"],
      "oci.manifest.digest": img.digest,
      "satellite.image.outcome": "copied",
    });
    const gone = images.find((s) => s.attributes["container.image.name"] === "lib/gone")!;
    expect(gone.attributes).toMatchObject({ "satellite.image.outcome": "failed", "error.type": "MANIFEST_UNKNOWN" });
    expect(gone.status.code).toBe(SpanStatusCode.ERROR);

    const blobs = spans.filter((s) => s.name === "satellite.blob.copy");
    expect(blobs.every((s) => s.parentSpanContext?.spanId === app.spanContext().spanId)).toBe(true);
    // The config and both layers; the big layer went through a worker thread.
    expect(blobs.map((s) => s.attributes["satellite.blob.digest"]).sort()).toEqual([img.config, ...img.layers].sort());
    expect(
      blobs.find((s) => s.attributes["satellite.blob.digest"] === img.layers[0])?.attributes["satellite.blob.bytes"],
    ).toBe(100_000);
    for (const blob of blobs) {
      expect(blob.attributes["satellite.blob.digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(blob.attributes["satellite.blob.outcome"]).toBe("copied");
    }

    // Again: the image is unchanged, no blob span.
    exporter.reset();
    await engine.replicate({
      upstream,
      images: [{ repository: "lib/app", tag: "v1" }],
      owned: [{ repository: "lib/app", tag: "v1", digest: img.digest, sourceDigest: img.digest }],
    });
    const again = exporter.getFinishedSpans();
    expect(again.map((s) => [s.name, s.attributes["satellite.image.outcome"]])).toEqual([
      ["satellite.image.replicate", "unchanged"],
    ]);
  });

  it("marks a blob that fails failed, with its reason", async () => {
    exporter.reset();
    const layer = randomBytes(10_000);
    const img = seedImage(registry, "lib/broken", "v1", [layer]);
    registry.addFault({ method: "GET", path: new RegExp(img.layers[0]), corrupt: true, times: 5 });
    const upstream = { url: registry.url, retry: { attempts: 1 } };
    await engine.replicate({ upstream, images: [{ repository: "lib/broken", tag: "v1" }] });
    const failed = exporter
      .getFinishedSpans()
      .filter((s) => s.name === "satellite.blob.copy" && s.attributes["satellite.blob.outcome"] === "failed");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0].attributes).toMatchObject({
      "satellite.blob.digest": img.layers[0],
      "satellite.blob.bytes": 10_000,
      "error.type": "digest_mismatch",
    });
    expect(failed[0].status.code).toBe(SpanStatusCode.ERROR);
  });
});
