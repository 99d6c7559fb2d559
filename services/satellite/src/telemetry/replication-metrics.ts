// The satellite's replication as metrics, recorded once per pass from its summary (never per
// byte or blob), so `satellite sync --once`, which starts no meter provider, pays nothing:
//   satellite.replication.bytes             counter By: bytes fetched from upstreams
//   satellite.replication.blobs             counter {blob}, outcome: copied | skipped (already held)
//   satellite.replication.pass.duration     histogram s, outcome: ok | partial (some images failed)
//   satellite.replication.image.failures    counter {image}, error.type: why an image failed
//   satellite.upstream.reachable            gauge, server.address: 1 when the last pass against that
//                                           registry got answers, 0 when it got none (network errors)
//   satellite.replication.last_success.age  gauge s: since the agent's last state pass that applied
//                                           everything (since the agent started, before the first)
import {
  ManifestInvalidError,
  RegistryError,
  RegistryNetworkError,
  ContentDigestError,
  DigestMismatchError,
  SizeMismatchError,
} from "@harbor-satellite/oci";
import { instrumentScope, type Attributes } from "@harbor-satellite/telemetry/metrics/instruments";

const scope = instrumentScope("@harbor-satellite/satellite");
const bytes = scope.counter("satellite.replication.bytes", {
  unit: "By",
  description: "Bytes fetched from upstream registries (blobs and manifests).",
});
const blobs = scope.counter("satellite.replication.blobs", {
  unit: "{blob}",
  description: "Blobs a pass needed, by outcome: copied into the store, or skipped because the store held them.",
});
const passDuration = scope.histogram("satellite.replication.pass.duration", {
  unit: "s",
  description: "Duration of replication passes, by outcome: ok, or partial when some images failed.",
  advice: { explicitBucketBoundaries: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] },
});
const imageFailures = scope.counter("satellite.replication.image.failures", {
  unit: "{image}",
  description:
    "Images a pass could not replicate, by error.type (the registry's error code, HTTP status, network error, digest_mismatch…).",
});
const reachable = scope.observableGauge("satellite.upstream.reachable", {
  unit: "1",
  description:
    "1 when the last pass against the upstream registry (server.address) got answers from it, 0 when it got none.",
});
const lastSuccessAge = scope.observableGauge("satellite.replication.last_success.age", {
  unit: "s",
  description: "Seconds since the last state pass that applied everything (since the agent started, before the first).",
});

const COPIED = { outcome: "copied" };
const SKIPPED = { outcome: "skipped" };
const OK = { outcome: "ok" };
const PARTIAL = { outcome: "partial" };
const failureSets = new Map<string, Attributes>();
const upstreams = new Map<string, number>();
let lastSuccess = performance.now();

reachable.addCallback((result) => {
  for (const [address, up] of upstreams) result.observe(up, { "server.address": address });
});

/** A short, bounded name for why an image failed (never a message, which names images and URLs). */
export function failureType(cause: unknown): string {
  if (cause instanceof RegistryError)
    return /^[A-Z][A-Z_]{1,40}$/.test(cause.code)
      ? cause.code
      : cause.status
        ? `http_${cause.status}`
        : "registry_error";
  if (cause instanceof RegistryNetworkError) {
    const code = (cause.cause as NodeJS.ErrnoException | undefined)?.code;
    return code && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : "network";
  }
  if (cause instanceof ContentDigestError || cause instanceof DigestMismatchError) return "digest_mismatch";
  if (cause instanceof SizeMismatchError) return "size_mismatch";
  if (cause instanceof ManifestInvalidError) return "manifest_invalid";
  const name = (cause as Error | undefined)?.name;
  if (name === "PlatformNotFoundError") return "platform_not_found";
  if (name === "InvalidImageError") return "invalid_image";
  if (name === "AbortError") return "aborted";
  return "_OTHER";
}

export interface PassFigures {
  upstream: string;
  bytes: number;
  blobsCopied: number;
  blobsSkipped: number;
  seconds: number;
  requests: number;
  /** Images that succeeded (copied or unchanged). */
  succeeded: number;
  /** Each failed image's cause. */
  failures: readonly unknown[];
}

/** Records one replication pass. */
export function recordReplicationPass(pass: PassFigures): void {
  bytes.add(pass.bytes);
  blobs.add(pass.blobsCopied, COPIED);
  blobs.add(pass.blobsSkipped, SKIPPED);
  passDuration.record(pass.seconds, pass.failures.length > 0 ? PARTIAL : OK);
  for (const cause of pass.failures) {
    const type = failureType(cause);
    let attributes = failureSets.get(type);
    if (!attributes) failureSets.set(type, (attributes = { "error.type": type }));
    imageFailures.add(1, attributes);
  }
  if (pass.requests === 0) return;
  const unanswered =
    pass.failures.length > 0 && pass.succeeded === 0 && pass.failures.every((f) => f instanceof RegistryNetworkError);
  noteUpstream(pass.upstream, !unanswered);
}

/** Whether a registry answered; `url` is its root URL (the host and port are kept). */
export function noteUpstream(url: string, answered: boolean): void {
  let address: string;
  try {
    address = new URL(url).host;
  } catch {
    return;
  }
  if (upstreams.size < 100 || upstreams.has(address)) upstreams.set(address, answered ? 1 : 0);
}

/** State artifacts that could not be read because their registry did not answer mark it unreachable. */
export function noteStateReadFailures(errors: readonly unknown[]): void {
  for (const error of errors) {
    for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
      if (e instanceof RegistryNetworkError) {
        noteUpstream(e.url, false);
        break;
      }
    }
  }
}

/** The agent applied a state pass completely. */
export function noteSuccessfulPass(): void {
  lastSuccess = performance.now();
}

/** The agent reports the age of its last successful pass (counted from now until there is one) until the returned function is called. */
export function observeLastSuccess(): () => void {
  lastSuccess = performance.now();
  return lastSuccessAge.addCallback((result) => result.observe((performance.now() - lastSuccess) / 1000));
}
