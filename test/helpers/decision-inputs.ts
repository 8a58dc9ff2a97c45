// What the pure decision tests hand to the monitor's decisions: a job as the monitor knows it before
// a poll, and a v1 answer as the v1 adapter reads it. Nothing here touches D1 or the app.
import type { Observation } from "../../src/model";
import {
  decideOutcome,
  type MonitorSettings,
  type PollOutcome,
  type PollResult,
  type TrackedJob,
} from "../../src/monitor/decisions";
import { readStatus } from "../../src/monitor/v1";

/** The one clock of the decision tests: noon UTC, 28 November 2026. */
export const NOW = Date.parse("2026-11-28T12:00:00Z");

/** The settings decisions are taken with unless a test says otherwise. */
export const SETTINGS: MonitorSettings = { pollIntervalSeconds: 60, stallAfterMinutes: 30 };

/**
 * What a running job was last seen as, a minute before NOW: 40 of 100 items done and one failed,
 * unless `fields` say otherwise.
 */
export function runningObservation(fields: Partial<Observation> = {}): Observation {
  return {
    status: "running",
    totalItems: 100,
    processedItems: 40,
    failedItems: 1,
    skippedItems: 0,
    progressPercentage: 41,
    errorMessage: null,
    upstreamUpdatedAt: "2026-11-28T11:59:00Z",
    ...fields,
  };
}

/** The monitor's decision on one poll's result, taken at NOW with SETTINGS unless `settings` are given. */
export function decide(
  job: TrackedJob,
  result: PollResult,
  settings: MonitorSettings = SETTINGS,
): PollOutcome {
  return decideOutcome(job, result, NOW, settings);
}

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
