// Fetches state artifacts through the shared OCI registry client: one client per registry,
// reused across passes (keep-alive, cached tokens). The robot credentials go to exactly two hosts:
// Harbor's (the one ZTR named in `auth.url`, after any override), for group and config states and
// images, and Ground Control's (the host of the satellite-state URL ZTR gave), which issued them
// and serves this satellite its satellite state; never to another host a document might name.
import {
  createRegistryClient,
  type Credentials,
  type RegistryClient,
  type RegistryClientOptions,
  type RetryOptions,
  type TlsOptions,
} from "@harbor-satellite/oci";
import { MAX_STATE_BYTES, readStatePayload } from "@harbor-satellite/state-artifact";
import {
  hostOf,
  parseStateReference,
  resolveRegistryUrl,
  type StateReference,
  type StateReferenceOptions,
} from "./state-reference.js";

export interface StateFetcherOptions extends Omit<StateReferenceOptions, "harborHost"> {
  /** `state_config.auth` from ZTR: Harbor's address and the robot account. */
  auth?: { url: string; username: string; password: string };
  /** `state_config.state` from ZTR: the satellite-state URL, on Ground Control's host. */
  stateUrl?: string;
  tls?: TlsOptions;
  /** TLS towards Ground Control's host (SPIFFE mTLS in SPIFFE mode); `tls` when unset. */
  groundControlTls?: TlsOptions;
  retry?: RetryOptions;
  /** For tests: how clients are made. */
  createClient?: (options: RegistryClientOptions) => RegistryClient;
}

export interface FetchedManifest {
  ref: StateReference;
  digest: string;
  bytes: Buffer;
  mediaType: string;
}

export interface StateFetcher {
  /** Parses a URL from a state document (override and scheme rules applied). */
  reference(url: string): StateReference;
  /** Base URL of a registry a group document names (override and scheme rules applied). */
  registryUrl(address: string): string;
  /** GET of the manifest (one request once authenticated): its digest tells whether anything changed. */
  manifest(ref: StateReference, signal?: AbortSignal): Promise<FetchedManifest>;
  /** The JSON document inside the artifact (one blob GET per layer read). */
  payload(manifest: FetchedManifest, signal?: AbortSignal): Promise<unknown>;
  /** Upstream requests sent so far, token requests and retries included. */
  readonly requestCount: number;
  close(): void;
}

export function createStateFetcher(options: StateFetcherOptions = {}): StateFetcher {
  const clients = new Map<string, RegistryClient>();
  const create = options.createClient ?? createRegistryClient;
  const refOptions: StateReferenceOptions = {
    registryOverride: options.registryOverride,
    harborHost: options.auth?.url ? hostOf(options.auth.url) : undefined,
    insecure: options.insecure,
  };
  const authHost = options.auth?.url ? resolveRegistryUrl(options.auth.url, refOptions).host : undefined;
  const groundControlHost = groundControlHostOf(options.stateUrl, refOptions);
  const credentials: Credentials | undefined = options.auth?.username
    ? { username: options.auth.username, password: options.auth.password }
    : undefined;

  const clientFor = (ref: StateReference): RegistryClient => {
    let client = clients.get(ref.registryUrl);
    if (!client) {
      const trusted = ref.host === authHost || ref.host === groundControlHost;
      // A satellite state still on Harbor's host (an enrolment older than Ground Control serving it) is Harbor's.
      const tls =
        ref.host === groundControlHost && ref.host !== authHost
          ? (options.groundControlTls ?? options.tls)
          : options.tls;
      client = create({
        url: ref.registryUrl,
        credentials: trusted ? credentials : undefined,
        tls,
        retry: options.retry,
      });
      clients.set(ref.registryUrl, client);
    }
    return client;
  };

  return {
    reference: (url) => parseStateReference(url, refOptions),
    registryUrl: (address) => resolveRegistryUrl(address, refOptions).registryUrl,
    async manifest(ref, signal) {
      const manifest = await clientFor(ref).getManifest(ref.repository, ref.reference, { signal });
      return { ref, digest: manifest.digest, bytes: manifest.bytes, mediaType: manifest.mediaType };
    },
    payload(manifest, signal) {
      const client = clientFor(manifest.ref);
      return readStatePayload(manifest.bytes, manifest.mediaType, (layer) =>
        client.getBlobBytes(manifest.ref.repository, layer.digest, { maxBytes: MAX_STATE_BYTES, signal }),
      );
    },
    get requestCount() {
      let total = 0;
      for (const client of clients.values()) total += client.requestCount;
      return total;
    },
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}

/** The host of the satellite-state URL, or undefined when there is none (or it is unreadable: the pass reports that). */
function groundControlHostOf(stateUrl: string | undefined, options: StateReferenceOptions): string | undefined {
  if (!stateUrl) return undefined;
  try {
    return parseStateReference(stateUrl, options).host;
  } catch {
    return undefined;
  }
}
