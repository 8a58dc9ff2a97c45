// What the pure decision tests hand to the monitor's decisions: a job as the monitor knows it before
// a poll, and a v1 answer as the v1 adapter reads it. Nothing here touches D1 or the app.
import type { Observation } from "../../src/model";
import type { PollResult, TrackedJob } from "../../src/monitor/decisions";
import { readStatus } from "../../src/monitor/v1";

/**
 * A job as the decisions take it before a poll: last seen as `observation`, active, polled every
 * minute, changed a minute before `now`, tracked an hour before, with no failures and no terminal
 * status seen, unless `overrides` say otherwise.
 */
export function trackedJob(
  observation: Observation,
  now: number,
  overrides: Partial<TrackedJob> = {},
): TrackedJob {
  return {
    ...observation,
    state: "active",
    pollIntervalSeconds: 60,
    consecutiveFailures: 0,
    consecutiveNotFound: 0,
    lastChangeAt: now - 60_000,
    stalledSince: null,
    trackedAt: now - 3_600_000,
    terminalSeenAt: null,
    ...overrides,
  };
}

/**
 * A v1 status answer as the monitor's v1 adapter hands it to the decisions: job bjb-1, running, of type
 * parse, nothing skipped, with `job` adding or overriding fields. Unknown fields and statuses pass
 * through, as LlamaCloud may send them.
 */
export function v1Answer(job: Record<string, unknown>, progress: number): PollResult {
  return {
    ok: true,
    answer: readStatus({
      job: { id: "bjb-1", status: "running", job_type: "parse", skipped_items: 0, ...job } as never,
      progress_percentage: progress,
    }),
  };
}
