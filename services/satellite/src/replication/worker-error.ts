// Errors cross the worker-thread boundary by structured clone, which keeps only message and stack
// of a custom error. A copy's failure is therefore sent as plain data and rebuilt as the same typed
// error on the main thread, so callers can still tell a digest mismatch from a 404 or a cut socket.
import { STATUS_CODES } from "node:http";
import { DigestMismatchError, RegistryError, RegistryNetworkError, SizeMismatchError } from "@harbor-satellite/oci";

export type WorkerErrorData =
  | { kind: "digest"; expected: string; actual: string }
  | { kind: "size"; expected: number; actual: number }
  | { kind: "registry"; status: number; code: string; detail: string; url: string; method: string }
  | { kind: "network"; url: string; method: string; cause: string; code?: string }
  | { kind: "unauthorized"; url: string }
  | { kind: "other"; name: string; message: string; code?: string };

export function toWorkerErrorData(error: unknown): WorkerErrorData {
  if (error instanceof DigestMismatchError) return { kind: "digest", expected: error.expected, actual: error.actual };
  if (error instanceof SizeMismatchError) return { kind: "size", expected: error.expected, actual: error.actual };
  if (error instanceof RegistryError)
    return {
      kind: "registry",
      status: error.status,
      code: error.code,
      detail: error.detail,
      url: error.url,
      method: error.method,
    };
  if (error instanceof RegistryNetworkError) {
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    return {
      kind: "network",
      url: error.url,
      method: error.method,
      cause: cause?.message ?? String(error.cause),
      code: cause?.code,
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { kind: "other", name: e.name, message: e.message, code: (e as NodeJS.ErrnoException).code };
}

export function fromWorkerErrorData(data: WorkerErrorData): Error {
  switch (data.kind) {
    case "digest":
      return new DigestMismatchError(data.expected, data.actual);
    case "size":
      return new SizeMismatchError(data.expected, data.actual);
    case "registry":
      // The status text is added here: the worker does not load node:http for it (~3 ms of its start).
      return new RegistryError(
        data.status,
        data.code,
        data.detail || STATUS_CODES[data.status] || "",
        data.url,
        data.method,
      );
    case "network":
      return new RegistryNetworkError(data.url, data.method, Object.assign(new Error(data.cause), { code: data.code }));
    case "unauthorized":
      return new RegistryError(401, "UNAUTHORIZED", "authentication required", data.url, "GET");
    case "other":
      return Object.assign(new Error(data.message), { name: data.name, code: data.code });
  }
}
