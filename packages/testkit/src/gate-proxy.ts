// An HTTP proxy in front of a registry that holds chosen GETs until the gate opens: by the test
// (release), or by a request the test waits for (opensOn). A replication pass is then
// deterministically still running (no sleeps) while something else happens, e.g. Ground Control
// rotating the satellite's robot secret, or a satellite looking up referrers mid-copy.
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GateProxyOptions {
  /** GETs whose path this accepts wait until the gate opens; everything else passes at once. */
  holds(path: string): boolean;
  /** A request whose path this accepts opens the gate (after it is forwarded). */
  opensOn?(path: string): boolean;
}

export interface GateProxy {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Resolves when the first held request has arrived. */
  readonly held: Promise<string>;
  /** Resolves when the gate opens: "request" (opensOn matched) or "release". */
  readonly opened: Promise<"request" | "release">;
  /** Lets every held and later request through. */
  release(): void;
  stop(): Promise<void>;
}

/** `holds` for the GETs of these blobs. */
export const blobGets =
  (digests: readonly string[]) =>
  (path: string): boolean =>
    digests.some((digest) => path.endsWith(`/blobs/${digest}`));

/** Forwards to 127.0.0.1:`targetPort`, holding what `options.holds` names until the gate opens. */
export async function startGateProxy(targetPort: number, options: GateProxyOptions): Promise<GateProxy> {
  let open!: (by: "request" | "release") => void;
  const opened = new Promise<"request" | "release">((resolve) => (open = resolve));
  let seen!: (path: string) => void;
  const held = new Promise<string>((resolve) => (seen = resolve));

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const upstream = request(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  };
  const server = createServer((req, res) => {
    const path = req.url ?? "";
    if (req.method === "GET" && options.holds(path)) {
      seen(path);
      void opened.then(() => forward(req, res));
      return;
    }
    forward(req, res);
    if (options.opensOn?.(path)) open("request");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    held,
    opened,
    release: () => open("release"),
    stop: () =>
      new Promise<void>((resolve) => {
        open("release");
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
