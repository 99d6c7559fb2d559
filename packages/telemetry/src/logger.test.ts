import { Writable } from "node:stream";
import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { startTelemetry, withSpan } from "./tracing.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { lines, destination };
}

describe("logger", () => {
  it("stamps lines with the active trace id", async () => {
    await startTelemetry("telemetry-test").ready;
    const { lines, destination } = capture();
    const logger = createLogger({ name: "t", destination });
    let traceId = "";
    await withSpan("t", "work", {}, async () => {
      traceId = trace.getActiveSpan()!.spanContext().traceId;
      logger.info("inside");
    });
    logger.info("outside");
    await new Promise((r) => setImmediate(r));
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe("00000000000000000000000000000000");
    expect(lines[0]).toMatchObject({ msg: "inside", trace_id: traceId });
    expect(lines[1].trace_id).toBeUndefined();
  });

  it("never writes secrets", async () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: "t", destination });
    logger.info(
      { password: "hunter2", auth: { secret: "s3cr3t", username: "robot$x" }, headers: { authorization: "Basic abc" } },
      "creds",
    );
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/hunter2|s3cr3t|Basic abc/);
    expect(text).toContain("robot$x");
  });
});
