/**
 * The monitor's decisions, as pure functions of what is stored and what LlamaCloud answered: what
 * changed, whether an answer is old news, what a failure means, and the job's next state (the
 * intervals themselves are ./intervals.ts). Nothing here touches D1 or the network, so every rule is
 * unit-tested on its own.
 */

import type { JobChanges, Observation, TrackingState } from "../model";
import type { FailureKind } from "../upstream/failures";
import type { StatusAnswer, StatusResult } from "../upstream/v1";
import { nextQuietInterval, retryAfterFailureSeconds, stalledSince } from "./intervals";

export const TERMINAL_STATUSES = new Set(["completed", "failed", "cancelled"]);
/** How far in the future an upstream `updated_at` may be before it is not trusted for ordering. */
export const MAX_CLOCK_SKEW_MS = 60 * 60_000;
/** Upstream 404s in a row before a job is declared lost. */
export const LOST_AFTER_NOT_FOUND = 3;

/** What the monitor knows about a job before a poll. */
export interface TrackedJob extends Observation {
  state: TrackingState;
  pollIntervalSeconds: number;
  consecutiveFailures: number;
  consecutiveNotFound: number;
  lastChangeAt: number | null;
  stalledSince: number | null;
  trackedAt: number;
}

export interface MonitorSettings {
  pollIntervalSeconds: number;
  stallAfterMinutes: number;
}

export interface PollOutcome {
  changes: JobChanges;
  /** The snapshot to write, or null when nothing a snapshot records has changed. */
  snapshot: Observation | null;
  /** Set by a 429: no job may be polled before this time. */
  pauseUntil: number | null;
  failure: FailureKind | null;
}

export function isTerminal(status: string | null): boolean {
  return status !== null && TERMINAL_STATUSES.has(status);
}

function observationOf(answer: StatusAnswer): Observation {
  const job = answer.job;
  return {
    status: job.status,
    totalItems: job.total_items ?? null,
    processedItems: job.processed_items ?? null,
    failedItems: job.failed_items ?? null,
    skippedItems: job.skipped_items ?? null,
    progressPercentage: answer.progress_percentage ?? null,
    errorMessage: job.error_message ?? null,
    upstreamUpdatedAt: job.updated_at ?? null,
  };
}

/** True when a snapshot-worthy field differs. `upstreamUpdatedAt` alone is not a change. */
export function observationChanged(previous: Observation | null, next: Observation): boolean {
  if (previous === null || previous.status === null) return true;
  return (
    previous.status !== next.status ||
    progressChanged(previous, next) ||
    previous.errorMessage !== next.errorMessage
  );
}

type Progress = Pick<
  Observation,
  "totalItems" | "processedItems" | "failedItems" | "skippedItems" | "progressPercentage"
>;

/** True when a count or the progress percentage differs. */
export function progressChanged(previous: Progress, next: Progress): boolean {
  return (
    previous.totalItems !== next.totalItems ||
    previous.processedItems !== next.processedItems ||
    previous.failedItems !== next.failedItems ||
    previous.skippedItems !== next.skippedItems ||
    previous.progressPercentage !== next.progressPercentage
  );
}

/**
 * An answer is stale when its `updated_at` is strictly older than the one already stored: callbacks
 * and caches can deliver old news, and old news must never move a job backwards. Unparseable or
 * missing timestamps are not evidence of staleness, and neither is a stored timestamp far in the
 * future (a skewed upstream clock must not freeze a job for good).
 */
export function isStale(
  storedUpdatedAt: string | null,
  answerUpdatedAt: string | null,
  now: number,
): boolean {
  if (!storedUpdatedAt || !answerUpdatedAt) return false;
  const stored = Date.parse(storedUpdatedAt);
  const answer = Date.parse(answerUpdatedAt);
  if (Number.isNaN(stored) || Number.isNaN(answer)) return false;
  if (stored > now + MAX_CLOCK_SKEW_MS) return false;
  return answer < stored;
}

/**
 * Whether accepting an answer would move the job backwards. A terminal status is final, so it is
 * applied even when it arrives looking older; leaving one takes proof: an `updated_at` strictly newer
 * than the stored one (a missing or unparseable timestamp proves nothing, so the job stays finished).
 */
export function movesBackwards(
  stored: { status: string | null; upstreamUpdatedAt: string | null },
  answer: { status: string | null; upstreamUpdatedAt: string | null },
  now: number,
): boolean {
  if (isTerminal(answer.status)) return false;
  if (isTerminal(stored.status)) {
    const before = Date.parse(stored.upstreamUpdatedAt ?? "");
    const after = Date.parse(answer.upstreamUpdatedAt ?? "");
    return !(after > before);
  }
  return isStale(stored.upstreamUpdatedAt, answer.upstreamUpdatedAt, now);
}

/** Decides everything a poll result means for one job. */
export function decideOutcome(
  job: TrackedJob,
  result: StatusResult,
  now: number,
  settings: MonitorSettings,
): PollOutcome {
  const base = settings.pollIntervalSeconds;
  if (result.ok) {
    const observation = observationOf(result.answer);
    if (movesBackwards(job, observation, now)) {
      // Old news: the poll succeeded, nothing it says is applied.
      return {
        changes: afterSuccess(job, job.status, false, now, settings),
        snapshot: null,
        pauseUntil: null,
        failure: null,
      };
    }
    const changed = observationChanged(job, observation);
    const { id: _id, ...rest } = result.answer.job;
    return {
      changes: {
        ...afterSuccess(job, observation.status, changed, now, settings),
        upstream: {
          observation,
          jobType: result.answer.job.job_type ?? null,
          upstreamJob: JSON.stringify({
            ...rest,
            progress_percentage: result.answer.progress_percentage ?? null,
          }),
        },
      },
      snapshot: changed ? observation : null,
      pauseUntil: null,
      failure: null,
    };
  }

  const failure = result.failure;
  const error = {
    lastPolledAt: now,
    lastErrorCode: failure.kind,
    lastErrorMessage: failure.message,
    lastErrorAt: now,
  };
  if (failure.kind === "rate_limited") {
    // Not the job's fault: it keeps its failure count and simply waits for the pause to end.
    const retryAt = failure.retryAt ?? now + base * 1000;
    return {
      changes: {
        ...error,
        state: job.state,
        nextPollAt: job.state === "active" ? retryAt : null,
        pollIntervalSeconds: job.pollIntervalSeconds,
        consecutiveFailures: job.consecutiveFailures,
        consecutiveNotFound: job.consecutiveNotFound,
        stalledSince: job.stalledSince,
      },
      snapshot: null,
      pauseUntil: retryAt,
      failure: failure.kind,
    };
  }

  const failures = job.consecutiveFailures + 1;
  const notFound = failure.kind === "not_found" ? job.consecutiveNotFound + 1 : 0;
  // Only an answer brings a lost job back; a failed poll leaves finished and lost jobs where they are.
  const state = notFound >= LOST_AFTER_NOT_FOUND ? "lost" : job.state;
  const lost = state === "lost";
  return {
    changes: {
      ...error,
      state,
      nextPollAt:
        state === "active" ? now + retryAfterFailureSeconds(failure.kind, failures, base) * 1000 : null,
      pollIntervalSeconds: job.pollIntervalSeconds,
      consecutiveFailures: failures,
      consecutiveNotFound: notFound,
      stalledSince: lost ? null : job.stalledSince,
    },
    snapshot: null,
    pauseUntil: null,
    failure: failure.kind,
  };
}

/**
 * The tracking side of any successful poll: `status` decides whether polling goes on, a change
 * resets the interval (and the stall clock), no change lets the interval grow.
 */
function afterSuccess(
  job: TrackedJob,
  status: string | null,
  changed: boolean,
  now: number,
  settings: MonitorSettings,
): JobChanges {
  const terminal = isTerminal(status);
  const base = settings.pollIntervalSeconds;
  const interval = changed ? base : nextQuietInterval(job.pollIntervalSeconds, base);
  const lastChangeAt = changed ? now : (job.lastChangeAt ?? now);
  return {
    lastPolledAt: now,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
    state: terminal ? "finished" : "active",
    nextPollAt: terminal ? null : now + interval * 1000,
    pollIntervalSeconds: interval,
    consecutiveFailures: 0,
    consecutiveNotFound: 0,
    lastSuccessAt: now,
    lastChangeAt,
    stalledSince: terminal ? null : stalledSince(lastChangeAt, now, settings.stallAfterMinutes),
  };
}
