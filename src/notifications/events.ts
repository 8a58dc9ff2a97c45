/**
 * Which notifications a poll outcome raises, and what they say. Pure functions of the stored row
 * before the poll and the outcome `decideOutcome` computed, so every rule is unit-tested on its own.
 */
import { changeColumns } from "../db/outcomes";
import type { JobRow } from "../db/schema";
import type { EventType, ItemState, JobChanges } from "../model";
import { type PollOutcome, progressChanged } from "../monitor/decisions";
import { type JobJson, observationJson, presentJob } from "../present/jobs";
import { iso, utc } from "../present/time";

/** Consecutive failed polls that raise `job.poll_failing` (once, when the count reaches it). */
export const POLL_FAILING_AFTER = 5;

/**
 * The events one outcome raises. `tracked` is the first poll of a job just being tracked: it raises
 * `job.tracked`, and `job.finished` beside it for a job that is already done. Otherwise:
 * - `job.status_changed` when an accepted answer carries a different status;
 * - `job.progressed` when the status is the same but a count or the progress moved;
 * - `job.stalled` when the job becomes stalled (once per episode: `stalled_since` goes from unset to set);
 * - `job.poll_failing` when the failures in a row reach POLL_FAILING_AFTER (once per episode: the
 *   count only passes that mark again after a success has reset it);
 * - `job.finished` when the tracking becomes `finished` (once per job: a finished job is not polled,
 *   and leaves `finished` only for a strictly newer answer that is not terminal).
 */
export function raisedEvents(previous: JobRow, outcome: PollOutcome, tracked = false): EventType[] {
  const { changes } = outcome;
  const finished = changes.state === "finished" && (tracked || previous.state !== "finished");
  if (tracked) return finished ? ["job.tracked", "job.finished"] : ["job.tracked"];
  const raised: EventType[] = [];
  const next = changes.upstream?.observation;
  if (next) {
    if (next.status !== previous.status) raised.push("job.status_changed");
    else if (progressChanged(previous, next)) raised.push("job.progressed");
  }
  if (previous.stalledSince === null && changes.stalledSince !== null) raised.push("job.stalled");
  if (
    previous.consecutiveFailures < POLL_FAILING_AFTER &&
    changes.consecutiveFailures >= POLL_FAILING_AFTER
  ) {
    raised.push("job.poll_failing");
  }
  if (finished) raised.push("job.finished");
  return raised;
}

/** The stored row as it will be once `changes` are applied (what `applyChangesStatement` writes). */
export function jobAfter(previous: JobRow, changes: JobChanges): JobRow {
  return { ...previous, ...changeColumns(changes), leaseToken: null, leaseUntil: null };
}

/** What the job looked like before the event: the fields an event is about. */
export interface PreviousJson {
  status: string | null;
  total_items: number | null;
  processed_items: number | null;
  failed_items: number | null;
  skipped_items: number | null;
  progress_percentage: number | null;
  error_message: string | null;
  updated_at: string | null;
  state: JobRow["state"];
  consecutive_failures: number;
  stalled_since: string | null;
}

function presentPrevious(row: JobRow): PreviousJson {
  return {
    ...observationJson(row),
    updated_at: utc(row.upstreamUpdatedAt),
    state: row.state,
    consecutive_failures: row.consecutiveFailures,
    stalled_since: iso(row.stalledSince),
  };
}

/** A failed file as `job.finished` lists it; a file without a name is named by its id. */
export interface FailedItemJson {
  name: string;
  error_message: string | null;
}

export interface EventBody {
  type: EventType;
  timestamp: string;
  data: { job: JobJson; previous: PreviousJson | null; failed_items?: FailedItemJson[] };
}

/**
 * The body every delivery of an event sends (README "Notifications (webhooks out)"). `failedItems`:
 * the job's failed files after the poll, listed by `job.finished` only.
 */
export function eventBody(
  type: EventType,
  previous: JobRow,
  after: JobRow,
  now: number,
  tracked = false,
  failedItems: readonly ItemState[] = [],
): EventBody {
  const data: EventBody["data"] = {
    job: presentJob(after),
    previous: tracked ? null : presentPrevious(previous),
  };
  if (type === "job.finished") {
    data.failed_items = failedItems.map((item) => ({
      name: item.name ?? item.itemId,
      error_message: item.errorMessage,
    }));
  }
  return { type, timestamp: iso(now), data };
}
