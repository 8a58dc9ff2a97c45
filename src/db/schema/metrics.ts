import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Counters that only ever grow (GET /metrics): each is incremented in the same D1 batch as the writes
 * of what it counts, so it survives restarts and never counts a poll whose outcome was not written.
 */
export const counters = sqliteTable(
  "counters",
  {
    /** What is counted: `polls` (label: changed / unchanged / failed), `poll_failures` (label: the
     * failure kind), `delivery_attempts` (label: delivered / failed). */
    name: text("name").notNull(),
    label: text("label").notNull(),
    value: integer("value").notNull().default(0),
    /** When it last grew (epoch ms): /healthz compares the last refused poll with the last good one. */
    updatedAt: integer("updated_at").notNull(),
  },
  // The primary key serves the increments (upsert by name and label) and every read (the whole table is a few rows).
  (t) => [primaryKey({ columns: [t.name, t.label] })],
);

export type CounterRow = typeof counters.$inferSelect;
