/**
 * When a job is polled next, as pure functions: the interval that grows while a job is quiet, the
 * backoff after failures, and when a quiet job counts as stalled.
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
