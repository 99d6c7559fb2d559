// An HTTP/2 request body as the async iterable Connect reads, without a Readable's async
// iterator machinery. Chunks queue as they arrive; above HIGH_WATER bytes the stream is paused,
// so HTTP/2 flow control holds the client back until Connect (which enforces its own read limit)
// has taken them. Once the reply is written, whatever the handler left unread is discarded
// (a call refused early, e.g. over the size limit): the client can finish sending and the stream
// closes, as Node's HTTP/1 server drains an unread request.
import type { ServerHttp2Stream } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

const HIGH_WATER = 1024 * 1024;

export interface StreamBody extends AsyncIterable<Uint8Array> {
  /** Drops what is queued and what still arrives. */
  discard(): void;
}

export function streamBody(stream: ServerHttp2Stream): StreamBody {
  let chunks: Buffer[] = [];
  let queued = 0;
  let discarding = false;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  stream.on("data", (chunk: Buffer) => {
    if (discarding) return;
    chunks.push(chunk);
    queued += chunk.length;
    if (queued > HIGH_WATER) stream.pause();
    notify();
  });
  stream.once("end", () => {
    ended = true;
    notify();
  });
  stream.once("close", () => {
    if (!ended) failure = new ConnectError("the client closed the stream before the request body ended", Code.Aborted);
    notify();
  });
  // The error itself reaches the caller through "close" (and the rpc's abort signal).
  stream.on("error", () => undefined);

  return {
    discard() {
      if (discarding) return;
      discarding = true;
      chunks = [];
      queued = 0;
      stream.resume();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const chunk = chunks.shift();
        if (chunk) {
          queued -= chunk.length;
          if (stream.isPaused() && queued <= HIGH_WATER) stream.resume();
          yield chunk;
          continue;
        }
        if (ended) return;
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
