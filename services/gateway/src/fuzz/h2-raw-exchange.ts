// One HTTP/2 exchange written frame by frame, for requests Node's client will not send: no
// :authority (or a Host header instead), missing pseudo-headers, values with bytes a client
// would refuse. Headers go out as HPACK literals without indexing and without Huffman coding;
// of the response only the :status is decoded (always the first field), which is enough to
// tell a 500 from anything else.
import { connect } from "node:net";
import type { FuzzCase } from "./cases.js";
import type { H2Outcome } from "./h2-exchange.js";
import type { Target } from "./http1-exchange.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const Type = {
  Data: 0,
  Headers: 1,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  Goaway: 7,
  WindowUpdate: 8,
  Continuation: 9,
} as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;
const MAX_FRAME = 16_384;

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK integer with an `n`-bit prefix, the prefix's high bits set to `first`. */
function hpackInt(value: number, n: number, first = 0): Buffer {
  const max = (1 << n) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  for (value -= max; value >= 128; value = Math.floor(value / 128)) out.push((value % 128) | 128);
  out.push(value);
  return Buffer.from(out);
}

function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name, "latin1");
  const v = Buffer.from(value, "latin1");
  return Buffer.concat([Buffer.from([0x00]), hpackInt(n.length, 7), n, hpackInt(v.length, 7), v]);
}

/** The request's frames: HEADERS (+ CONTINUATION), then DATA. */
export function requestFrames(c: FuzzCase): Buffer {
  const pseudo: [string, string][] = [
    [":method", c.method],
    [":scheme", "http"],
    [":path", c.path],
  ];
  const fields = [...pseudo.filter(([n]) => !c.omit?.includes(n)), ...c.headers];
  const block = Buffer.concat(fields.map(([n, v]) => literal(n, v)));
  const frames: Buffer[] = [];
  const noBody = c.body.length === 0;
  for (let at = 0; at < block.length || at === 0; at += MAX_FRAME) {
    const last = at + MAX_FRAME >= block.length;
    const flags = (last ? END_HEADERS : 0) | (at === 0 && noBody ? END_STREAM : 0);
    frames.push(frame(at === 0 ? Type.Headers : Type.Continuation, flags, 1, block.subarray(at, at + MAX_FRAME)));
  }
  for (let at = 0; at < c.body.length; at += MAX_FRAME)
    frames.push(
      frame(Type.Data, at + MAX_FRAME >= c.body.length ? END_STREAM : 0, 1, c.body.subarray(at, at + MAX_FRAME)),
    );
  return Buffer.concat(frames);
}

const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };
/** HPACK's Huffman codes of the ten digits (RFC 7541 appendix B): bits, length. */
const HUFFMAN_DIGITS: [number, number][] = [
  [0b00000, 5],
  [0b00001, 5],
  [0b00010, 5],
  [0b011001, 6],
  [0b011010, 6],
  [0b011011, 6],
  [0b011100, 6],
  [0b011101, 6],
  [0b011110, 6],
  [0b011111, 6],
];

/** The :status of a response header block, or undefined when it is not the first field. */
export function decodeStatus(block: Buffer): number | undefined {
  let at = 0;
  while (at < block.length && (block[at] & 0xe0) === 0x20) at++; // a dynamic table size update (small values only)
  const b = block[at];
  if (b === undefined) return undefined;
  if (b & 0x80) return STATIC_STATUS[b & 0x7f];
  const nameIndex = (b & 0xc0) === 0x40 ? b & 0x3f : b & 0x0f;
  if (!(nameIndex in STATIC_STATUS)) return undefined;
  const len = block[at + 1] & 0x7f;
  const value = block.subarray(at + 2, at + 2 + len);
  if (!(block[at + 1] & 0x80)) return Number(value.toString("latin1"));
  let bits = "";
  for (const byte of value) bits += byte.toString(2).padStart(8, "0");
  let digits = "";
  while (digits.length < 3 && bits.length >= 5) {
    const d = HUFFMAN_DIGITS.findIndex(
      ([code, n]) => bits.length >= n && Number.parseInt(bits.slice(0, n), 2) === code,
    );
    if (d < 0) return undefined;
    digits += String(d);
    bits = bits.slice(HUFFMAN_DIGITS[d][1]);
  }
  return digits.length === 3 ? Number(digits) : undefined;
}

export function h2RawExchange(target: Target, c: FuzzCase, boundMs: number): Promise<H2Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    let buf = Buffer.alloc(0);
    let status: number | undefined;
    let gotHeaders = false;
    const body: Buffer[] = [];
    let done = false;
    const finish = (outcome: H2Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const answered = (rstCode: number) =>
      status === undefined
        ? finish({ kind: "reset", rstCode })
        : finish({
            kind: "response",
            status,
            headers: { ":status": String(status) },
            trailers: {},
            body: Buffer.concat(body),
            rstCode,
          });
    const timer = setTimeout(() => finish({ kind: "hang", gotHeaders }), boundMs);
    socket.on("error", () => undefined);
    socket.on("close", () => (gotHeaders ? answered(0) : finish({ kind: "reset" })));
    socket.on("connect", () => socket.write(Buffer.concat([PREFACE, frame(Type.Settings, 0, 0), requestFrames(c)])));
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9) {
        const length = buf.readUIntBE(0, 3);
        if (buf.length < 9 + length) break;
        const [type, flags, stream] = [buf[3], buf[4], buf.readUInt32BE(5) & 0x7fffffff];
        const payload = buf.subarray(9, 9 + length);
        buf = buf.subarray(9 + length);
        if (type === Type.Settings && !(flags & ACK)) socket.write(frame(Type.Settings, ACK, 0));
        else if (type === Type.Ping && !(flags & ACK)) socket.write(frame(Type.Ping, ACK, 0, payload));
        else if (type === Type.Goaway)
          return status === undefined ? finish({ kind: "reset", goaway: payload.readUInt32BE(4) }) : answered(0);
        else if (stream !== 1) continue;
        else if (type === Type.RstStream) return answered(payload.readUInt32BE(0));
        else if (type === Type.Headers && !gotHeaders) {
          status = decodeStatus(payload.subarray(flags & 0x8 ? 1 : 0)) ?? -1;
          // "100 Continue" and other informational answers come before the real one.
          gotHeaders = !(status >= 100 && status < 200);
          if (!gotHeaders) status = undefined;
          if (flags & END_STREAM) return answered(0);
        } else if (type === Type.Headers && flags & END_STREAM) return answered(0);
        else if (type === Type.Data) {
          body.push(Buffer.from(payload));
          if (length) {
            const increment = Buffer.alloc(4);
            increment.writeUInt32BE(length);
            socket.write(
              Buffer.concat([frame(Type.WindowUpdate, 0, 0, increment), frame(Type.WindowUpdate, 0, 1, increment)]),
            );
          }
          if (flags & END_STREAM) return answered(0);
        }
      }
    });
  });
}
