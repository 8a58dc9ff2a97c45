/**
 * When a job is polled next, as pure functions: the interval that follows a job's predicted end while
 * it makes progress, the interval that grows while a job is quiet, the backoff after failures, and
 * when a quiet job counts as stalled (README "How polling works").
 */
import type { FailureKind } from "../upstream/failures";

/** While nothing changes the poll interval grows by this factor, up to MAX_QUIET_INTERVAL_SECONDS. */
export const QUIET_GROWTH = 1.5;
export const MAX_QUIET_INTERVAL_SECONDS = 10 * 60;
export const MAX_ERROR_BACKOFF_SECONDS = 30 * 60;

/** The next interval while a job is quiet: grows from the base, never past ten minutes. */
export function nextQuietInterval(currentSeconds: number, baseSeconds: number): number {
  const from = Math.max(currentSeconds, baseSeconds);
  return Math.min(Math.ceil(from * QUIET_GROWTH), Math.max(MAX_QUIET_INTERVAL_SECONDS, baseSeconds));
}

/**
 * The share of the predicted time to a job's end that the next poll waits (at least the base
 * interval, at most ten minutes): a job is polled sparsely while its end is far, every tick in about
 * its last ten predicted minutes, and a poll that finds no new count waits this share less each time.
 */
export const PREDICTION_SHARE = 0.1;
/**
 * While one file or none is left, the end may come at any tick, and no rate says when: the job is
 * polled at the base interval for this long after its last change, then grows like any quiet job.
 */
export const LAST_FILE_PATIENCE_MINUTES = 90;

/** What one successful poll tells about a job's pace, in the fields its row already keeps. */
export interface Pace {
  baseSeconds: number;
  /** The interval that was waited before this poll (the row's `pollIntervalSeconds`). */
  currentSeconds: number;
  now: number;
  /** When an answer last changed before this poll; null before the first answer. */
  lastChangeAt: number | null;
  /** Items counted (processed, failed and skipped) before this poll, and now; null when unknown. */
  countedBefore: number | null;
  counted: number | null;
  total: number | null;
  /** The status (or error) changed, or this is the first answer: a new phase with no known pace. */
  statusChanged: boolean;
  stallAfterMinutes: number;
}

/**
 * The next poll interval after a successful poll (README "How polling works"). A new status resets
 * to the base interval. When the counts moved, their rate since the previous poll (the new items
 * over the time since the last change, or since the previous poll when that is shorter, since the
 * counts stood still until then) predicts the end, and the next poll waits PREDICTION_SHARE of the
 * time left. A poll that finds no new count counts that wait down. Jobs with no usable rate (queued,
 * no counts yet, or stalled) keep the quiet growth: ×1.5 up to ten minutes.
 */
export function nextPollSeconds(pace: Pace): number {
  const { baseSeconds: base, currentSeconds: current, counted, countedBefore, total } = pace;
  if (pace.statusChanged || pace.lastChangeAt === null) return base;
  const cap = Math.max(MAX_QUIET_INTERVAL_SECONDS, base);
  const clamp = (seconds: number) => Math.min(Math.max(Math.ceil(seconds), base), cap);
  const quietMs = pace.now - pace.lastChangeAt;
  if (counted === null || total === null || counted <= 0 || total <= 0) {
    return nextQuietInterval(current, base);
  }
  const left = total - counted;
  if (left <= 1) {
    return quietMs < LAST_FILE_PATIENCE_MINUTES * 60_000 ? base : nextQuietInterval(current, base);
  }
  if (countedBefore !== null && counted > countedBefore) {
    const seconds = Math.max(1, Math.min(quietMs / 1000, current));
    const rate = (counted - countedBefore) / seconds;
    return clamp((left / rate) * PREDICTION_SHARE);
  }
  if (stalledSince(pace.lastChangeAt, pace.now, pace.stallAfterMinutes) !== null) {
    return nextQuietInterval(current, base);
  }
  return clamp(current * (1 - PREDICTION_SHARE));
}

/** Exponential backoff after `failures` failures in a row (1 → the base interval), capped at 30 minutes. */
export function errorBackoffSeconds(failures: number, baseSeconds: number): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(baseSeconds * 2 ** Math.min(exponent, 30), MAX_ERROR_BACKOFF_SECONDS);
}

/**
 * When to try again after a failed poll. A missing API key asked nothing of LlamaCloud, so there is
 * nothing to back off from: the jobs are retried at the base interval and pick up a key set later
 * within a minute, not after the 30-minute backoff ceiling.
 */
export function retryAfterFailureSeconds(kind: FailureKind, failures: number, baseSeconds: number): number {
  return kind === "not_configured" ? baseSeconds : errorBackoffSeconds(failures, baseSeconds);
}

/**
 * A job is stalled once nothing it reports has changed for `stallAfterMinutes`. Returns the time it
 * has been stuck since (its last change), or null when it is moving.
 */
export function stalledSince(
  lastChangeAt: number | null,
  now: number,
  stallAfterMinutes: number,
): number | null {
  if (lastChangeAt === null) return null;
  return now - lastChangeAt >= stallAfterMinutes * 60_000 ? lastChangeAt : null;
}
