import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { failureColumns, leaseColumns } from "./columns";

// Watches (README "Watches"): a LlamaCloud project whose batches batchwatch discovers by itself.
// Times are epoch milliseconds (UTC), as in monitor.ts.

/** A watched project. Scanned about once a poll interval, one tick at a time (the lease). */
export const watches = sqliteTable(
  "watches",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    organizationId: text("organization_id"),
    /** JSON array of the API generations it discovers (`["v1","v2"]`). */
    apis: text("apis").notNull(),
    label: text("label"),
    createdAt: integer("created_at").notNull(),
    /** The end of the latest scan that got every answer it asked for. */
    lastScanAt: integer("last_scan_at"),
    nextScanAt: integer("next_scan_at").notNull(),
    /** Jobs this watch started tracking. */
    jobsFound: integer("jobs_found").notNull().default(0),
    ...failureColumns(),
    /**
     * Where an unfinished pass over the project's lists resumes (JSON, see monitor/discovery.ts): a
     * scan reads a bounded number of pages, so a big project is read over several scans.
     */
    scanCursor: text("scan_cursor"),
    /**
     * When the latest complete pass over the v2 list started; null until the first one completes.
     * Later passes list only batches created on or after it (minus a margin).
     */
    v2Since: integer("v2_since"),
    ...leaseColumns(),
  },
  (t) => [
    // One watch per project: POST /api/watches finds the existing one (findWatchByProject).
    uniqueIndex("watches_project_idx").on(t.projectId),
    // The tick claims due watches, oldest due first (claimDueWatchesStatement).
    index("watches_due_idx").on(t.nextScanAt),
    // GET /api/watches and the dashboard, newest first (listWatches).
    index("watches_list_idx").on(t.createdAt, t.id),
  ],
);

/**
 * Jobs someone stopped tracking by hand (DELETE /api/jobs): no watch tracks them again, whichever
 * watch found them, so a deletion sticks while the batch is still listed upstream.
 */
export const dismissedJobs = sqliteTable("dismissed_jobs", {
  // The primary key serves discovery's check of listed ids (knownJobIds).
  jobId: text("job_id").primaryKey(),
  projectId: text("project_id"),
  /** The watch that had found it, if any (for operators reading the table). */
  watchId: text("watch_id"),
  dismissedAt: integer("dismissed_at").notNull(),
});

export type WatchRow = typeof watches.$inferSelect;
