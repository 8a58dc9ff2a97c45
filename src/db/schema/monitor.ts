import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { APIS, SNAPSHOT_SOURCES, TRACKING_STATES } from "../../model";
import { failureColumns, leaseColumns } from "./columns";

// Every *_at column batchwatch owns is epoch milliseconds (UTC); upstream timestamps are kept as the
// strings LlamaCloud sent, since they are shown, never computed with.

/**
 * What one answer says of a job (the monitor's `Observation`): the job keeps the latest, each
 * snapshot one that differed. A function, because a drizzle column belongs to a single table.
 */
function observationColumns() {
  return {
    status: text("status"),
    totalItems: integer("total_items"),
    processedItems: integer("processed_items"),
    failedItems: integer("failed_items"),
    skippedItems: integer("skipped_items"),
    progressPercentage: real("progress_percentage"),
    errorMessage: text("error_message"),
    upstreamUpdatedAt: text("upstream_updated_at"),
  };
}

/** A LlamaCloud batch job batchwatch tracks: its latest upstream answer plus the tracking state. */
export const jobs = sqliteTable(
  "jobs",
  {
    jobId: text("job_id").primaryKey(),
    projectId: text("project_id"),
    organizationId: text("organization_id"),
    label: text("label"),
    /** Which batch API the job belongs to: v1 batch processing (`bjb-…`) or v2 batches (`bat-…`). */
    api: text("api", { enum: APIS }).notNull().default("v1"),
    /** The watch that discovered the job (issue 11), null for jobs tracked by hand. */
    watchId: text("watch_id"),

    // The latest accepted upstream answer (null until the first successful poll).
    jobType: text("job_type"),
    ...observationColumns(),
    /** The whole upstream `job` object as JSON, so unknown and future fields are kept and shown. */
    upstreamJob: text("upstream_job"),

    state: text("state", { enum: TRACKING_STATES }).notNull().default("active"),
    trackedAt: integer("tracked_at").notNull(),
    lastPolledAt: integer("last_polled_at"),
    lastSuccessAt: integer("last_success_at"),
    /** When status or a count last changed: the clock a stall is measured against. */
    lastChangeAt: integer("last_change_at"),
    nextPollAt: integer("next_poll_at"),
    /** Current interval between polls while the job is quiet; grows until something changes. */
    pollIntervalSeconds: integer("poll_interval_seconds").notNull().default(60),
    ...failureColumns(),
    consecutiveNotFound: integer("consecutive_not_found").notNull().default(0),
    stalledSince: integer("stalled_since"),
    /**
     * When batchwatch first saw the upstream status terminal. A v2 batch can be terminal long before
     * its children settle; a FAILED/CANCELLED one is given up on 24 h after this.
     */
    terminalSeenAt: integer("terminal_seen_at"),

    ...leaseColumns(),
  },
  (t) => [
    // Claiming due jobs (claimDueJobs), making jobs due (makeDueStatement), /healthz's active count.
    index("jobs_due_idx").on(t.state, t.nextPollAt),
    // GET /api/jobs and the dashboard without a filter (listJobs), newest first.
    index("jobs_list_idx").on(t.trackedAt, t.jobId),
    // listJobs filtered by ?status=.
    index("jobs_status_list_idx").on(t.status, t.trackedAt, t.jobId),
    // listJobs filtered by ?state=.
    index("jobs_state_list_idx").on(t.state, t.trackedAt, t.jobId),
  ],
);

/** One observed change of a job, written only when status, a count, progress or the error differs. */
export const snapshots = sqliteTable(
  "snapshots",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    jobId: text("job_id").notNull(),
    observedAt: integer("observed_at").notNull(),
    source: text("source", { enum: SNAPSHOT_SOURCES }).notNull(),
    ...observationColumns(),
    /**
     * The status differs from the job's previous snapshot (the first snapshot counts as a change).
     * Set when written, so a job's status timeline is read from a small partial index instead of
     * walking its whole history.
     */
    statusChanged: integer("status_changed", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    // A job's history: listSnapshots, the job page (jobHistory, sampledHistory), the prune, deleteJob.
    index("snapshots_job_time_idx").on(t.jobId, t.observedAt, t.id),
    // The retention prune's cutoff (pruneStatements).
    index("snapshots_time_idx").on(t.observedAt),
    // The job page's status timeline (statusChangesQuery).
    index("snapshots_status_changes_idx").on(t.jobId, t.observedAt, t.id).where(sql`${t.statusChanged} = 1`),
  ],
);

/** One cron tick's outcome, for /healthz and for operators reading the database. */
export const ticks = sqliteTable(
  "ticks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    startedAt: integer("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    due: integer("due").notNull(),
    polled: integer("polled").notNull(),
    changed: integer("changed").notNull(),
    errors: integer("errors").notNull(),
    rateLimitedUntil: integer("rate_limited_until"),
  },
  (t) => [
    // The retention prune's cutoff (pruneStatements): a tick a minute is 10,080 rows a week to scan.
    index("ticks_started_at_idx").on(t.startedAt),
  ],
);

/** Monitor-wide settings that must survive between invocations (e.g. an upstream rate-limit pause). */
export const monitorState = sqliteTable("monitor_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull().default(sql`(unixepoch() * 1000)`),
});

export type JobRow = typeof jobs.$inferSelect;
export type SnapshotRow = typeof snapshots.$inferSelect;
