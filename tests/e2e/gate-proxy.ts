// An HTTP proxy in front of docker-registry that can hold chosen blob downloads until the test
// releases them: a replication pass is then deterministically still running (no sleeps) while the
// test makes something happen, e.g. Ground Control rotating the satellite's robot secret.
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GateProxy {
  port: number;
  /** Resolves when the first held request has arrived. */
  readonly held: Promise<string>;
  /** Lets every held and later request through. */
  release(): void;
  stop(): Promise<void>;
}

/** Holds GETs of blobs whose digest is in `digests` until release(); everything else passes at once. */
export async function startGateProxy(targetPort: number, digests: readonly string[]): Promise<GateProxy> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
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
    const blob = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? "");
    if (req.method === "GET" && blob && digests.includes(blob[1])) {
      seen(req.url ?? "");
      void gate.then(() => forward(req, res));
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    held,
    release: () => open(),
    stop: () =>
      new Promise<void>((resolve) => {
        open();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
