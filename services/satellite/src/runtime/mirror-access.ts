// How a runtime gets into the satellite's own registry when it has TLS and/or read credentials
// (--registry-tls-cert, --registry-read-credentials-file). Only containerd can be told both in its
// config (hosts.toml: `ca` and a per-host `Authorization` header). dockerd's registry-mirrors and
// registries.conf carry neither, so for those the result says what the operator must do.
import type { RuntimeName } from "./mirror-spec.js";

export interface MirrorAccess {
  /** A PEM file runtimes trust the satellite's certificate with (its CA, or the certificate itself). */
  ca?: string;
  /** `Basic …` for a reader of the satellite's registry (a secret: never logged). */
  authorization?: string;
}

export const basicAuthorization = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** What a runtime other than containerd cannot be configured with, as notes for its result. */
export function accessNotes(runtime: RuntimeName, mirrorHost: string, access: MirrorAccess | undefined): string[] {
  if (!access || runtime === "containerd") return [];
  const notes: string[] = [];
  if (runtime === "docker") {
    if (access.ca)
      notes.push(`dockerd trusts ${mirrorHost} with /etc/docker/certs.d/${mirrorHost}/ca.crt: copy ${access.ca} there`);
    if (access.authorization)
      notes.push(
        "daemon.json's registry-mirrors cannot carry credentials: dockerd's pulls through the satellite are refused and go to docker.io",
      );
  } else {
    if (access.ca)
      notes.push(
        `${runtime} trusts ${mirrorHost} with /etc/containers/certs.d/${mirrorHost}/*.crt: copy ${access.ca} there`,
      );
    if (access.authorization)
      notes.push(
        `registries.conf cannot carry credentials: log ${runtime} in to ${mirrorHost} (its auth.json) with a reader's credentials`,
      );
  }
  return notes;
}
