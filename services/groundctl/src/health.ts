// Satellite health as groundctl shows it: `online`, `stale`, `never_seen`.
import { Health } from "@harbor-satellite/gen/harbor/satellite/heartbeat/v1/heartbeat_pb";

export const HEALTHS = [Health.ONLINE, Health.STALE, Health.NEVER_SEEN] as const;

export function healthName(health: Health): string {
  const name = Health[health];
  return typeof name === "string" ? name.toLowerCase() : String(health);
}
