// Types of the plain-JS module for TypeScript importers (tests).
export declare const READ_BUFFER_BYTES: number;
export interface ResponseHead {
  status: number;
  headers: Record<string, string>;
  /** "1.0" or "1.1". */
  version?: string;
}
export interface FlowControl {
  pause(): void;
  resume(): void;
}
export interface RawGetOptions {
  ca?: string;
  insecureSkipVerify?: boolean;
  idleTimeoutMs: number;
  onHead: (head: ResponseHead) => boolean;
  onBody: (chunk: Buffer, flow: FlowControl) => void;
  /** Keep-alive connections to reuse (createConnections); none: one connection for this request. */
  connections?: Connections;
  /** Stops the request with the signal's reason (the connection is destroyed). */
  signal?: AbortSignal;
}
export interface Connections {
  get(url: URL, headers: Record<string, string>, options: RawGetOptions): Promise<{ head: ResponseHead; body: Buffer }>;
  close(): void;
}
export declare function createConnections(): Connections;
/** Kept-alive connections per origin and TLS settings; idle ones end after `idleMs` (none: kept until close). */
export declare function createConnectionPool(limits: { maxIdlePerOrigin: number; idleMs?: number }): Connections;
export declare function rawGet(
  url: URL,
  headers: Record<string, string>,
  options: RawGetOptions,
): Promise<{ head: ResponseHead; body: Buffer }>;
