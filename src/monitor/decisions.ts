/**
 * The monitor's decisions, as pure functions of what is stored and what LlamaCloud answered: what
 * changed, whether an answer is old news, what a failure means, and the job's next state (the
 * intervals themselves are ./intervals.ts). Nothing here touches D1 or the network, so every rule is
 * unit-tested on its own.
 */

import type { PollSchedule } from "../config";
import type { JobChanges, Observation, TrackingState, UpstreamView } from "../model";
import type { FailureKind } from "../upstream/failures";
import type { UpstreamResult } from "../upstream/v1";
import { nextPollSeconds, nextQuietInterval, retryAfterFailureSeconds, stalledSince } from "./intervals";

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
  /** When the status was first seen terminal (the v2 24 h rule's clock). */
  terminalSeenAt?: number | null;
}

/**
 * What one successful poll read, whatever the API: what the job shows, and whether tracking is done
 * (`settled`: v1 when the status is terminal, v2 when the batch and its children are, see
 * monitor/v1.ts and monitor/v2.ts, the adapters that build it).
 */
export interface Reading extends UpstreamView {
  settled: boolean;
}

/** A poll's result as the decisions take it: a reading, or how the request failed. */
export type PollResult = UpstreamResult<Reading>;

export interface MonitorSettings {
  pollIntervalSeconds: number;
  stallAfterMinutes: number;
  /** POLL_SCHEDULE; unset means "steady" (README "How polling works"). */
  pollSchedule?: PollSchedule;
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
  result: PollResult,
  now: number,
  settings: MonitorSettings,
): PollOutcome {
  const base = settings.pollIntervalSeconds;
  if (result.ok) {
    const { settled, ...upstream } = result.answer;
    const observation = upstream.observation;
    if (movesBackwards(job, observation, now)) {
      // Old news: the poll succeeded, nothing it says is applied, and the job stays as done as it was.
      return {
        changes: afterSuccess(job, job, job.state === "finished", false, now, settings),
        snapshot: null,
        pauseUntil: null,
        failure: null,
      };
    }
    const changed = observationChanged(job, observation);
    return {
      changes: {
        ...afterSuccess(job, observation, settled, changed, now, settings),
        terminalSeenAt: isTerminal(observation.status) ? (job.terminalSeenAt ?? now) : null,
        upstream,
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

/** Items counted so far (processed, failed and skipped), or null when the answer gives no count. */
function counted(view: Observation): number | null {
  const counts = [view.processedItems, view.failedItems, view.skippedItems];
  if (counts.every((n) => n === null)) return null;
  return counts.reduce<number>((sum, n) => sum + (n ?? 0), 0);
}

/**
 * The tracking side of any successful poll: `settled` decides whether polling goes on, a change
 * restarts the stall clock. The interval: "steady" (the default) goes back to the base after a change
 * and grows while the job is quiet; "predictive" follows the job's pace (intervals.ts nextPollSeconds).
 * `seen` is what the poll applied (the stored job itself when the answer was old news).
 */
function afterSuccess(
  job: TrackedJob,
  seen: Observation,
  settled: boolean,
  changed: boolean,
  now: number,
  settings: MonitorSettings,
): JobChanges {
  const base = settings.pollIntervalSeconds;
  const steady = changed ? base : nextQuietInterval(job.pollIntervalSeconds, base);
  const interval =
    settings.pollSchedule !== "predictive"
      ? steady
      : nextPollSeconds({
          baseSeconds: base,
          currentSeconds: job.pollIntervalSeconds,
          now,
          lastChangeAt: job.lastChangeAt,
          countedBefore: job.status === null ? null : counted(job),
          counted: counted(seen),
          total: seen.totalItems,
          statusChanged:
            job.status === null || job.status !== seen.status || (changed && !progressChanged(job, seen)),
          stallAfterMinutes: settings.stallAfterMinutes,
        });
  const lastChangeAt = changed ? now : (job.lastChangeAt ?? now);
  return {
    lastPolledAt: now,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
    state: settled ? "finished" : "active",
    nextPollAt: settled ? null : now + interval * 1000,
    pollIntervalSeconds: interval,
    consecutiveFailures: 0,
    consecutiveNotFound: 0,
    lastSuccessAt: now,
    lastChangeAt,
    stalledSince: settled ? null : stalledSince(lastChangeAt, now, settings.stallAfterMinutes),
  };
}
