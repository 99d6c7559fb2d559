// What the agent says about its store scrub: the blobs it quarantined that are not back yet (one
// heartbeat error each, until the state pass has fetched them again), and a line for the
// heartbeat's activity about the last full scrub. A quarantined blob still missing after a
// complete state pass that started after it was found is needed by no owned image (the pass's
// audit would have fetched it, or reported the image as failed): it is forgotten then, with a log
// line, so a blob nothing wants is not reported for ever.
import type { Logger } from "pino";

export interface ScrubOutcome {
  /** When the pass ended (Unix ms). */
  at: number;
  checked: number;
  bytes: number;
  quarantined: string[];
}

export interface ScrubReport {
  /** Records a finished scrub pass. */
  note(outcome: ScrubOutcome): void;
  /** Heartbeat errors (one per quarantined blob not back yet) and the activity line. */
  report(): Promise<{ errors: { reference: string; message: string }[]; activity?: string }>;
  /** A state pass that started at `startedAt` completed without errors. */
  passCompleted(startedAt: number): Promise<void>;
  /** Quarantined blobs not back yet. */
  awaiting(): number;
}

export interface ScrubReportOptions {
  /** Whether the blob is in the store again (fetched and verified by replication). */
  present: (digest: string) => Promise<boolean>;
  logger?: Logger;
}

export function createScrubReport(options: ScrubReportOptions): ScrubReport {
  /** Quarantined digest → when the scrub found it. */
  const pending = new Map<string, number>();
  let last: ScrubOutcome | undefined;
  let refetched = 0;

  const dropReturned = async () => {
    for (const digest of [...pending.keys()]) {
      if (!(await options.present(digest))) continue;
      pending.delete(digest);
      refetched++;
      options.logger?.info({ digest }, "blob the scrub quarantined is back in the store");
    }
  };

  return {
    note(outcome) {
      last = outcome;
      for (const digest of outcome.quarantined) pending.set(digest, outcome.at);
    },
    async report() {
      await dropReturned();
      const errors = [...pending].map(([digest, at]) => ({
        reference: digest,
        message: `store scrub at ${new Date(at).toISOString()}: the stored blob did not match its digest; quarantined, to be fetched again by the next pass`,
      }));
      if (!last) return { errors };
      const mb = (last.bytes / 1e6).toFixed(1);
      const activity = `last store scrub ${new Date(last.at).toISOString()}: ${last.checked} blobs (${mb} MB) checked, ${last.quarantined.length} corrupt; ${refetched} quarantined blobs fetched again since start, ${pending.size} awaited`;
      return { errors, activity };
    },
    async passCompleted(startedAt) {
      await dropReturned();
      for (const [digest, at] of pending) {
        if (at > startedAt) continue;
        pending.delete(digest);
        options.logger?.info({ digest }, "blob the scrub quarantined is needed by no owned image; not fetched again");
      }
    },
    awaiting: () => pending.size,
  };
}
