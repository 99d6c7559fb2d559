// The upstream registry a replication bench copies from: docker-registry on loopback, plain HTTP,
// or with --https a second docker-registry serving the same storage over TLS with a self-signed
// certificate (the plain one takes the pushes: Node's fetch cannot be told to trust a CA). Every
// tool is then given that certificate as its CA, as a satellite is given Harbor's.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { selfSignedLoopback } from "@harbor-satellite/oci/testing";
import { pushImage, type SyntheticImage } from "@harbor-satellite/testkit";
import { startDockerRegistry, type DockerRegistry } from "@harbor-satellite/testkit/docker-registry";

export interface BenchUpstream {
  url: string;
  host: string;
  /** Set for HTTPS: the CA as a PEM file, and a folder holding it as `ca.crt` (skopeo's --src-cert-dir). */
  tls?: { caFile: string; certDir: string };
  push(repository: string, image: SyntheticImage): Promise<void>;
  stop(): Promise<void>;
}

export async function startUpstream(https: boolean): Promise<BenchUpstream> {
  if (!https) {
    const registry = await startDockerRegistry();
    return {
      url: registry.url,
      host: registry.host,
      push: (repository, image) => pushImage(registry.url, repository, "v1", image),
      stop: () => registry.stop(),
    };
  }
  const work = await mkdtemp(join(tmpdir(), "bench-upstream-"));
  const dir = join(work, "storage");
  const certDir = join(work, "certs");
  const running: DockerRegistry[] = [];
  const stop = async () => {
    for (const registry of running) await registry.stop();
    await rm(work, { recursive: true, force: true });
  };
  try {
    const cert = await selfSignedLoopback();
    await writeFile(join(work, "ca.pem"), cert.cert);
    await mkdir(certDir);
    await writeFile(join(certDir, "ca.crt"), cert.cert);
    const plain = await startDockerRegistry({ dir });
    running.push(plain);
    const secure = await startDockerRegistry({ dir, tls: cert });
    running.push(secure);
    return {
      url: secure.url,
      host: secure.host,
      tls: { caFile: join(work, "ca.pem"), certDir },
      push: (repository, image) => pushImage(plain.url, repository, "v1", image),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
