// What the runtimes the agent configures need to pull from its own registry when it has TLS
// (`ca`: the --registry-tls-cert file; Go, which containerd is written in, trusts a certificate
// found in its root pool as is, so a self-signed or CA-issued chain file both work) and read
// credentials (the first reader whose password the file holds in the clear; with only scrypt
// lines the runtimes get none, which is logged). A bring-your-own registry gets neither.
import type { Logger } from "pino";
import type { RegistryFlags } from "../commands/registry-flags.js";
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
