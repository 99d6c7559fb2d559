// Whether the Harbor that Ground Control manages is there: not configured, reachable and healthy,
// unhealthy, or unreachable. Checked through the registry service (GetRegistryInfo) at start and
// every `intervalMs`, kept for /healthz, and logged once per change, not on every failed publish:
// an operator trying Ground Control alone sees one line saying what is missing, and the health
// answer says it too. Harbor being away never makes /healthz fail: every rpc that does not need
// Harbor keeps working, and those that do say so themselves.
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { RegistryService } from "@harbor-satellite/gen/harbor/satellite/registry/v1/registry_pb";
import type { Logger } from "@harbor-satellite/telemetry";

export type HarborStatus = "unknown" | "not_configured" | "ok" | "unhealthy" | "unreachable";

export interface HarborHealth {
  status: HarborStatus;
  /** What is wrong, when something is; what to do about it where that is known. */
  detail?: string;
  /** When it was last checked (ISO 8601). */
  checkedAt?: string;
}

export interface HarborWatcher {
  /** The last result; older than a few seconds, it also starts a new check (a probe's next answer has it). */
  current(): HarborHealth;
  /** Checks now (also done on a timer). */
  check(): Promise<HarborHealth>;
  stop(): void;
}

export const HARBOR_CHECK_INTERVAL_MS = 30_000;
/** How old a result may be before a health request starts a fresh check. */
const FRESH_MS = 5_000;

export function watchHarbor(options: {
  registry: () => Client<typeof RegistryService>;
  logger: Pick<Logger, "warn" | "info">;
  intervalMs?: number;
}): HarborWatcher {
  let health: HarborHealth = { status: "unknown" };
  let running: Promise<HarborHealth> | undefined;

  const probe = async (): Promise<HarborHealth> => {
    const checkedAt = new Date().toISOString();
    try {
      const info = await options.registry().getRegistryInfo({}, { timeoutMs: 10_000 });
      if (info.healthy) return { status: "ok", checkedAt };
      const unreachable = info.problem.startsWith("unreachable: ");
      return {
        status: unreachable ? "unreachable" : "unhealthy",
        detail: `${info.harborUrl}: ${unreachable ? info.problem.slice("unreachable: ".length) : info.problem || "unhealthy"}`,
        checkedAt,
      };
    } catch (error) {
      const err = ConnectError.from(error);
      if (err.code === Code.Unavailable && /not configured/i.test(err.rawMessage))
        return {
          status: "not_configured",
          detail:
            "set HARBOR_URL, HARBOR_USERNAME and HARBOR_PASSWORD: satellites cannot enrol and state artifacts are not published until then",
          checkedAt,
        };
      return { status: "unreachable", detail: err.rawMessage, checkedAt };
    }
  };

  const report = (next: HarborHealth) => {
    const changed = next.status !== health.status || (next.status !== "ok" && next.detail !== health.detail);
    if (changed && next.status === "ok" && health.status !== "unknown")
      options.logger.info("Harbor is reachable and healthy again");
    else if (changed && next.status !== "ok")
      options.logger.warn(
        { harbor: next.status, detail: next.detail },
        next.status === "not_configured" ? "Harbor is not configured" : "Harbor is not usable",
      );
    health = next;
    return next;
  };

  const check = () =>
    (running ??= probe()
      .then(report)
      .finally(() => (running = undefined)));
  void check();
  const timer = setInterval(() => void check(), options.intervalMs ?? HARBOR_CHECK_INTERVAL_MS);
  timer.unref();
  const current = () => {
    if (!health.checkedAt || Date.now() - Date.parse(health.checkedAt) > FRESH_MS) void check();
    return health;
  };
  return { current, check, stop: () => clearInterval(timer) };
}
