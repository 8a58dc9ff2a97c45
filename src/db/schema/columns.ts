import { integer, text } from "drizzle-orm/sqlite-core";

// Column groups more than one table keeps. Functions, because a drizzle column belongs to a single table.

/**
 * The failures a job's polls or a watch's scans keep: how many in a row (the backoff grows with it)
 * and the latest one, shown as `last_error` (present/last-error.ts).
 */
export function failureColumns() {
  return {
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    lastErrorCode: text("last_error_code"),
    lastErrorMessage: text("last_error_message"),
    lastErrorAt: integer("last_error_at"),
  };
}

/**
 * The lease of a poll or scan in flight: its results are written only while it still holds it, so
 * overlapping ticks (or a tick and a manual poll) never apply two answers for one row.
 */
export function leaseColumns() {
  return {
    leaseToken: text("lease_token"),
    leaseUntil: integer("lease_until"),
  };
}
