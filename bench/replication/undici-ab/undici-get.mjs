// The candidate for issue 14 item 3b: the layer-copy worker's GET (raw-http-get.mjs's rawGet and
// createConnections) on undici's dispatcher API instead of the hand-written HTTP/1.1 client. Same
// contract: onHead decides stream or collect, onBody gets each piece synchronously with a flow
// control (undici's controller pause/resume), errors keep Node-style codes. One keep-alive Agent
// per worker thread (per TLS settings), as undici is meant to be used. Loaded in place of
// raw-http-get.mjs by the A/B bench's resolve hook (hooks.mjs) only; the worker does not know it.
import { writeFileSync } from "node:fs";

const { Agent } = await import(process.env.BENCH_UNDICI ?? "undici");

export const READ_BUFFER_BYTES = 256 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const agents = new Map();

const agentFor = (options) => {
  const key = `${options.ca ?? ""}\n${options.insecureSkipVerify === true}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      connect: { ca: options.ca, rejectUnauthorized: !options.insecureSkipVerify },
      bodyTimeout: options.idleTimeoutMs,
      headersTimeout: options.idleTimeoutMs,
    });
    agents.set(key, agent);
  }
  return agent;
};

let marked = false;

export function rawGet(url, headers, options) {
  if (!marked && process.env.BENCH_BLOB_GET_MARK) {
    marked = true;
    writeFileSync(process.env.BENCH_BLOB_GET_MARK, "undici\n");
  }
  return new Promise((resolve, reject) => {
    let head;
    let streaming = false;
    const collected = [];
    let collectedBytes = 0;
    let flow;
    agentFor(options).dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: { "accept-encoding": "identity", ...headers },
      },
      {
        onRequestStart() {},
        onResponseStart(controller, status, responseHeaders) {
          flow = { pause: () => controller.pause(), resume: () => controller.resume() };
          const h = {};
          for (const [name, value] of Object.entries(responseHeaders))
            h[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
          head = { status, headers: h, version: "1.1" };
          streaming = options.onHead(head);
        },
        onResponseData(controller, chunk) {
          if (streaming) {
            try {
              options.onBody(chunk, flow);
            } catch (error) {
              controller.abort(error);
            }
          } else if (collectedBytes < MAX_ERROR_BODY_BYTES) {
            collected.push(chunk.subarray(0, MAX_ERROR_BODY_BYTES - collectedBytes));
            collectedBytes += chunk.length;
          }
        },
        onResponseEnd() {
          resolve({ head, body: Buffer.concat(collected) });
        },
        onResponseError(_controller, error) {
          if (error?.code === "UND_ERR_SOCKET" || error?.code === "UND_ERR_BODY_TIMEOUT")
            error.code = error.code === "UND_ERR_SOCKET" ? "ECONNRESET" : "ETIMEDOUT";
          reject(error);
        },
      },
    );
  });
}

/** Connections are undici's (kept alive per origin by the Agent): nothing to hold per copy. */
export function createConnections() {
  return {
    get: (url, headers, options) => rawGet(url, headers, { ...options, connections: undefined }),
    close() {},
  };
}
