// An in-process OCI registry on 127.0.0.1:0 for unit tests of the client and of replication:
// enough of the distribution spec to pull and push (manifests, blobs with Range, monolithic and
// mount uploads, paginated tag lists), Basic or Docker-token auth, and hooks to inject the faults
// the client must survive (5xx/429 answers, a connection cut mid-blob, corrupt bytes, Range
// ignored). Not exported from the package index: tests import it by subpath.
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";

export type FakeAuth =
  | { mode: "none" }
  | { mode: "basic"; username: string; password: string }
  /** `harborChallenge`: a request that carried a refused Authorization gets `Basic realm="harbor"`, as Harbor answers. */
  | {
      mode: "bearer";
      username?: string;
      password?: string;
      tokenField?: "token" | "access_token";
      expiresIn?: number;
      harborChallenge?: boolean;
    };

/** Blob content in memory, or a file (for big blobs) with its size. */
export type FakeBlob = Buffer | { file: string; size: number };

export interface FakeFault {
  method?: string;
  /** Matches the request path. */
  path: RegExp;
  /** Answer with this status (and headers) instead of serving. */
  status?: number;
  headers?: Record<string, string>;
  /** Answer 200 with these bytes (as an OCI manifest) instead of what is stored. */
  body?: Buffer;
  /** Cut the connection after this many body bytes (blob GET only). */
  cutAfterBytes?: number;
  /** Flip bytes of the blob body. */
  corrupt?: boolean;
  /** Serve a full 200 even when Range was asked for. */
  ignoreRange?: boolean;
  /** How many requests the fault applies to (default 1). */
  times?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range?: string;
  authScheme?: string;
}

export interface FakeRegistry {
  url: string;
  requests: LoggedRequest[];
  tokenRequests: { scope: string[]; service?: string; basicUser?: string }[];
  putBlob(data: Buffer): string;
  putBlobFile(file: string, digest: string, size: number): void;
  putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): string;
  hasBlob(digest: string): boolean;
  blob(digest: string): Buffer | undefined;
  manifest(repository: string, reference: string): { bytes: Buffer; mediaType: string } | undefined;
  addFault(fault: FakeFault): void;
  /** Forgets every token issued so far (as if they expired). */
  revokeTokens(): void;
  close(): Promise<void>;
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Serve HTTPS with this key pair instead of plain HTTP. */
export interface FakeTls {
  key: string;
  cert: string;
}

export async function startFakeRegistry(auth: FakeAuth = { mode: "none" }, tls?: FakeTls): Promise<FakeRegistry> {
  const blobs = new Map<string, FakeBlob>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const tags = new Map<string, Map<string, string>>();
  const faults: (FakeFault & { left: number })[] = [];
  const requests: LoggedRequest[] = [];
  const tokenRequests: FakeRegistry["tokenRequests"] = [];
  const uploads = new Map<string, string>();
  const issued = new Map<string, string[]>();
  let url = "";

  const storeManifest = (repository: string, reference: string, bytes: Buffer, mediaType: string) => {
    const digest = sha(bytes);
    manifests.set(`${repository}@${digest}`, { bytes, mediaType });
    if (!reference.startsWith("sha256:")) {
      if (!tags.has(repository)) tags.set(repository, new Map());
      tags.get(repository)!.set(reference, digest);
    }
    return digest;
  };

  const takeFault = (req: IncomingMessage, path: string) => {
    const fault = faults.find((f) => f.left > 0 && f.path.test(path) && (!f.method || f.method === req.method));
    if (fault) fault.left--;
    return fault;
  };

  const authorized = (req: IncomingMessage, path: string, res: ServerResponse): boolean => {
    if (auth.mode === "none" || path.startsWith("/token")) return true;
    const given = req.headers.authorization ?? "";
    if (auth.mode === "basic") {
      if (given === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`) return true;
      res.writeHead(401, { "www-authenticate": 'Basic realm="fake"', "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return false;
    }
    const repo = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(path)?.[1];
    const action = req.method === "GET" || req.method === "HEAD" ? "pull" : "push";
    const scopes = issued.get(given.replace(/^Bearer /, "")) ?? [];
    const ok =
      given.startsWith("Bearer ") &&
      (!repo || scopes.some((s) => s.startsWith(`repository:${repo}:`) && s.split(":")[2].split(",").includes(action)));
    if (ok) return true;
    const scope = repo ? `repository:${repo}:${action === "pull" ? "pull" : "pull,push"}` : "";
    const challenge = auth.harborChallenge && given ? 'Basic realm="harbor"' : undefined;
    res.writeHead(401, {
      "www-authenticate":
        challenge ?? `Bearer realm="${url}/token",service="fake-registry"${scope ? `,scope="${scope}"` : ""}`,
      "content-type": "application/json",
    });
    res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
    return false;
  };

  const serveToken = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    if (auth.mode !== "bearer") return notFound(res, "NAME_UNKNOWN");
    const basic = req.headers.authorization?.startsWith("Basic ")
      ? Buffer.from(req.headers.authorization.slice(6), "base64").toString()
      : undefined;
    tokenRequests.push({
      scope: query.getAll("scope"),
      service: query.get("service") ?? undefined,
      basicUser: basic?.split(":")[0],
    });
    if (auth.username && basic !== `${auth.username}:${auth.password}`) {
      res.writeHead(401, { "content-type": "application/json" });
      return res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
    }
    const token = randomUUID();
    issued.set(token, query.getAll("scope"));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ [auth.tokenField ?? "token"]: token, expires_in: auth.expiresIn ?? 300 }));
  };

  const serveBlob = (req: IncomingMessage, res: ServerResponse, digest: string, fault?: FakeFault) => {
    const blob = blobs.get(digest);
    if (!blob) return notFound(res, "BLOB_UNKNOWN");
    const size = Buffer.isBuffer(blob) ? blob.length : blob.size;
    const range = fault?.ignoreRange ? undefined : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : size - 1;
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      "docker-content-digest": digest,
      "content-length": String(end - start + 1),
      "accept-ranges": "bytes",
    };
    if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD") return res.end();
    const body = Buffer.isBuffer(blob)
      ? [blob.subarray(start, end + 1)]
      : createReadStream(blob.file, { start, end, highWaterMark: 64 * 1024 });
    void pump(body, res, fault);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? "/", url);
    const path = u.pathname;
    requests.push({
      method: req.method ?? "",
      path,
      range: req.headers.range,
      authScheme: req.headers.authorization?.split(" ")[0],
    });
    if (path === "/token") return serveToken(req, res, u.searchParams);
    if (!authorized(req, path, res)) return;
    const fault = takeFault(req, path);
    if (fault?.status) {
      res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
      return res.end(
        JSON.stringify({
          errors: [{ code: fault.status === 429 ? "TOOMANYREQUESTS" : "UNAVAILABLE", message: "injected" }],
        }),
      );
    }
    if (fault?.body)
      return void res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(fault.body);
    if (path === "/v2/" || path === "/v2")
      return void res.writeHead(200, { "content-type": "application/json" }).end("{}");
    let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (m) {
      const [, repo, ref] = m;
      if (req.method === "PUT") {
        const bytes = await readAll(req);
        const digest = storeManifest(repo, ref, bytes, req.headers["content-type"] ?? "");
        return void res
          .writeHead(201, { location: `/v2/${repo}/manifests/${digest}`, "docker-content-digest": digest })
          .end();
      }
      const digest = ref.startsWith("sha256:") ? ref : tags.get(repo)?.get(ref);
      const found = digest ? manifests.get(`${repo}@${digest}`) : undefined;
      if (!found || !digest) return notFound(res, "MANIFEST_UNKNOWN");
      if (req.method === "DELETE") {
        manifests.delete(`${repo}@${digest}`);
        for (const [t, d] of tags.get(repo) ?? []) if (d === digest) tags.get(repo)!.delete(t);
        return void res.writeHead(202).end();
      }
      res.writeHead(200, {
        "content-type": found.mediaType,
        "docker-content-digest": digest,
        "content-length": String(found.bytes.length),
      });
      return void res.end(req.method === "HEAD" ? undefined : found.bytes);
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(path);
    if (m) return serveBlob(req, res, m[2], fault);
    m = /^\/v2\/(.+)\/blobs\/uploads\/([\w-]*)$/.exec(path);
    if (m && req.method === "POST") {
      const mount = u.searchParams.get("mount");
      if (mount && blobs.has(mount) && u.searchParams.get("from"))
        return void res
          .writeHead(201, { location: `/v2/${m[1]}/blobs/${mount}`, "docker-content-digest": mount })
          .end();
      const id = randomUUID();
      uploads.set(id, m[1]);
      return void res
        .writeHead(202, { location: `/v2/${m[1]}/blobs/uploads/${id}?_state=opaque`, "docker-upload-uuid": id })
        .end();
    }
    if (m && req.method === "PUT" && uploads.has(m[2]) && u.searchParams.get("_state") === "opaque") {
      const data = await readAll(req);
      const digest = u.searchParams.get("digest") ?? "";
      if (sha(data) !== digest)
        return void res
          .writeHead(400, { "content-type": "application/json" })
          .end(JSON.stringify({ errors: [{ code: "DIGEST_INVALID", message: "digest mismatch" }] }));
      blobs.set(digest, data);
      uploads.delete(m[2]);
      return void res
        .writeHead(201, { location: `/v2/${m[1]}/blobs/${digest}`, "docker-content-digest": digest })
        .end();
    }
    m = /^\/v2\/(.+)\/tags\/list$/.exec(path);
    if (m) {
      const all = [...(tags.get(m[1])?.keys() ?? [])].sort();
      if (!tags.has(m[1])) return notFound(res, "NAME_UNKNOWN");
      const n = Number(u.searchParams.get("n") ?? all.length);
      const last = u.searchParams.get("last");
      const from = last ? all.filter((t) => t > last) : all;
      const page = from.slice(0, n);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (from.length > n) headers.link = `</v2/${m[1]}/tags/list?n=${n}&last=${page[page.length - 1]}>; rel="next"`;
      return void res.writeHead(200, headers).end(JSON.stringify({ name: m[1], tags: page }));
    }
    notFound(res, "NAME_UNKNOWN");
  };

  const listener = (req: IncomingMessage, res: ServerResponse) =>
    void handle(req, res).catch((error: unknown) => res.destroy(error as Error));
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `${tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    tokenRequests,
    putBlob(data) {
      const digest = sha(data);
      blobs.set(digest, data);
      return digest;
    },
    putBlobFile: (file, digest, size) => void blobs.set(digest, { file, size }),
    putManifest: storeManifest,
    hasBlob: (digest) => blobs.has(digest),
    blob: (digest) => {
      const b = blobs.get(digest);
      return Buffer.isBuffer(b) ? b : undefined;
    },
    manifest(repository, reference) {
      const digest = reference.startsWith("sha256:") ? reference : tags.get(repository)?.get(reference);
      return digest ? manifests.get(`${repository}@${digest}`) : undefined;
    },
    addFault: (fault) => void faults.push({ ...fault, left: fault.times ?? 1 }),
    revokeTokens: () => issued.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function pump(body: AsyncIterable<Buffer> | Buffer[], res: ServerResponse, fault?: FakeFault): Promise<void> {
  let sent = 0;
  try {
    for await (const chunk of body) {
      let out = fault?.corrupt ? Buffer.from(chunk.map((b) => b ^ 0xff)) : chunk;
      if (fault?.cutAfterBytes !== undefined && sent + out.length >= fault.cutAfterBytes) {
        out = out.subarray(0, fault.cutAfterBytes - sent);
        res.write(out);
        await new Promise((r) => setTimeout(r, 20));
        res.socket?.destroy();
        return;
      }
      sent += out.length;
      if (!res.write(out)) await new Promise((r) => res.once("drain", r));
    }
    res.end();
  } catch {
    res.destroy();
  }
}

function notFound(res: ServerResponse, code: string): void {
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ errors: [{ code, message: code.toLowerCase().replace(/_/g, " ") }] }));
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
