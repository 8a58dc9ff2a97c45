import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One file of a job: for v2 every `results` entry (kept current as its child job is polled), for v1
 * the failed items read from the items endpoint. Times batchwatch owns are epoch milliseconds.
 */
export const items = sqliteTable(
  "items",
  {
    jobId: text("job_id").notNull(),
    /** v2: `source_directory_file_id`; v1: the item's `item_id`. */
    itemId: text("item_id").notNull(),
    name: text("name"),
    /** Lower case, as presented. */
    status: text("status").notNull(),
    errorMessage: text("error_message"),
    /** The v2 child job the file became; null for v1 items and for files that could not be mapped. */
    childJobId: text("child_job_id"),
    /** `parse_v2` / `extract_v2` (which list the child is read from), null when there is no child. */
    childType: text("child_type"),
    /** The upstream time of the item's latest state, as sent. */
    updatedAt: text("updated_at"),
    /** Milliseconds of `updatedAt`, else when batchwatch wrote the item: the keyset order of lists. */
    sortAt: integer("sort_at").notNull(),
    /** Nothing more will change: the child reached a terminal status, or the file could not be mapped. */
    settled: integer("settled", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.itemId] }),
    // GET /api/jobs/:job_id/items and the job page's Files section without a filter, newest first.
    index("items_list_idx").on(t.jobId, t.sortAt, t.itemId),
    // The same lists filtered by ?status= (and the Files section's failed first).
    index("items_status_list_idx").on(t.jobId, t.status, t.sortAt, t.itemId),
    // A callback naming a child job finds its batch (callbackTargetQuery).
    index("items_child_idx").on(t.childJobId),
  ],
);

export type ItemRow = typeof items.$inferSelect;
