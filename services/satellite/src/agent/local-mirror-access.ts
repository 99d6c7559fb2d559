// What the runtimes the agent configures need to pull from its own registry when it has TLS
// (`ca`: the --registry-tls-cert file; Go, which containerd is written in, trusts a certificate
// found in its root pool as is, so a self-signed or CA-issued chain file both work) and read
// credentials (the first reader whose password the file holds in the clear; with only scrypt
// lines the runtimes get none, which is logged). A bring-your-own registry gets neither.
import type { Logger } from "pino";
import type { RegistryFlags } from "../flags/registry-flags.js";
import type { SatelliteConfig } from "../config/satellite-config.js";
import { mirrorEndpoint } from "../runtime/mirror-spec.js";
import type { WriteCredentials } from "../registry/write-credentials.js";
import { basicAuthorization, type MirrorAccess } from "../runtime/mirror-access.js";

export function localMirrorAccess(
  registry: RegistryFlags,
  readers: WriteCredentials | undefined,
  logger: Logger,
): MirrorAccess | undefined {
  if (!registry.tls && !readers) return undefined;
  const access: MirrorAccess = {};
  if (registry.tls) access.ca = registry.tls.certFile;
  if (readers?.login) access.authorization = basicAuthorization(readers.login.user, readers.login.password);
  else if (readers)
    logger.warn(
      "--registry-read-credentials-file holds no password in the clear (only scrypt lines): the runtimes are configured without credentials and their pulls from the satellite will be refused",
    );
  if (readers?.login)
    logger.info(
      { user: readers.login.user },
      "runtimes pull from the satellite as this reader (containerd only: dockerd and registries.conf cannot carry credentials)",
    );
  return access;
}

/** The satellite's registry address as runtimes dial it: `https://host:port` with TLS. */
export const localMirrorUrl = (host: string, tls: boolean) => (tls ? `https://${host}` : host);

export interface LocalMirror {
  /** host:port that runtimes and cached-image references name (a bring-your-own registry's, else ours). */
  advertisedHost(): string;
  /** What runtimes dial: a bring-your-own registry with its scheme (https stays https), else ours. */
  url(): string;
  /** Our registry's CA and reader credentials; none for a bring-your-own registry. */
  access(): MirrorAccess | undefined;
}

/** The registry the site's runtimes are pointed at, as the current config says. */
export function localMirror(options: {
  registry: { host: string; port: number };
  flags: RegistryFlags;
  readers: WriteCredentials | undefined;
  config: () => SatelliteConfig;
  logger: Logger;
}): LocalMirror {
  const { registry, config } = options;
  const tls = options.flags.tls !== undefined;
  const ownAccess = localMirrorAccess(options.flags, options.readers, options.logger);
  const byo = () => Boolean(config().app_config.bring_own_registry && config().app_config.local_registry.url);
  const advertisedHost = () =>
    byo()
      ? mirrorEndpoint(config().app_config.local_registry.url).host
      : mirrorEndpoint(`${registry.host}:${registry.port}`).host;
  return {
    advertisedHost,
    url: () => (byo() ? config().app_config.local_registry.url : localMirrorUrl(advertisedHost(), tls)),
    access: () => (byo() ? undefined : ownAccess),
  };
}
