/**
 * What polls read and write of a job's items (its files): the stored items of the jobs a poll holds,
 * and the upserts of the items a poll changed (guarded by the poll's lease like its other writes).
 * Lists are in ./item-lists.ts; the callback lookup of a child's batch in ./callbacks.ts.
 */
import { and, eq, inArray, lte, sql } from "drizzle-orm";
import type { ItemState } from "../model";
import type { Database, Statement } from "./client";
import { jsonChunks } from "./json-lists";
import { items, jobs } from "./schema";

/** An item as a poll needs it: everything the planner, the counts and the diff read. */
export type StoredItem = ItemState & { jobId: string };

const storedColumns = {
  jobId: items.jobId,
  itemId: items.itemId,
  name: items.name,
  status: items.status,
  errorMessage: items.errorMessage,
  childJobId: items.childJobId,
  childType: items.childType,
  updatedAt: items.updatedAt,
  settled: items.settled,
};

/**
 * The items of every job a tick just claimed with `token`, in one statement whatever their number:
 * it runs in the claim's own batch, where the claimed jobs are the active due ones holding `token`
 * (found through jobs_due_idx; their items through the items primary key).
 */
export function claimedItemsStatement(db: Database, opts: { token: string; now: number }) {
  const claimed = db
    .select({ jobId: jobs.jobId })
    .from(jobs)
    .where(and(eq(jobs.state, "active"), lte(jobs.nextPollAt, opts.now), eq(jobs.leaseToken, opts.token)));
  return db.select(storedColumns).from(items).where(inArray(items.jobId, claimed));
}

/** One job's items, for a poll of that job alone (manual, callback). */
export function jobItemsStatement(db: Database, jobId: string) {
  return db.select(storedColumns).from(items).where(eq(items.jobId, jobId));
}

/** Stored items by job id. */
export function itemsByJob(rows: readonly StoredItem[]): Map<string, ItemState[]> {
  const byJob = new Map<string, ItemState[]>();
  for (const { jobId, ...item } of rows) {
    const list = byJob.get(jobId);
    if (list) list.push(item);
    else byJob.set(jobId, [item]);
  }
  return byJob;
}

/** `sort_at`, the lists' keyset order: the item's own time, else when batchwatch wrote it. */
function sortAt(item: ItemState, now: number): number {
  const at = item.updatedAt === null ? Number.NaN : Date.parse(item.updatedAt);
  return Number.isFinite(at) ? at : now;
}

const at = (i: number) => sql.raw(`json_extract(value, '$[${i}]')`);

/**
 * Writes `changed` items of a job (inserts and updates), only while `token` holds the job's lease:
 * they join the job's statement group before the update that releases it, so a poll that lost its
 * lease writes no item. Few statements: each carries a whole chunk of rows as one JSON parameter.
 */
export function itemUpsertStatements(
  db: Database,
  jobId: string,
  changed: readonly ItemState[],
  opts: { token: string; now: number },
): Statement[] {
  const rows = changed.map((item) =>
    JSON.stringify([
      item.itemId,
      item.name,
      item.status,
      item.errorMessage,
      item.childJobId,
      item.childType,
      item.updatedAt,
      sortAt(item, opts.now),
      item.settled ? 1 : 0,
    ]),
  );
  // Items travel as JSON arrays (./json-lists.ts), a few statements however many changed.
  return jsonChunks(rows).map((json) =>
    db
      .insert(items)
      .select(
        db
          .select({
            // drizzle checks that an INSERT ... SELECT names every column in table order.
            jobId: sql`${jobId}`.as("job_id"),
            itemId: sql`${at(0)}`.as("item_id"),
            name: sql`${at(1)}`.as("name"),
            status: sql`${at(2)}`.as("status"),
            errorMessage: sql`${at(3)}`.as("error_message"),
            childJobId: sql`${at(4)}`.as("child_job_id"),
            childType: sql`${at(5)}`.as("child_type"),
            updatedAt: sql`${at(6)}`.as("updated_at"),
            sortAt: sql`${at(7)}`.as("sort_at"),
            settled: sql`${at(8)}`.as("settled"),
          })
          .from(sql`json_each(${json})`)
          // Also what SQLite needs to read ON CONFLICT after INSERT ... SELECT unambiguously.
          .where(
            sql`exists (select 1 from ${jobs} where ${jobs.jobId} = ${jobId} and ${jobs.leaseToken} = ${opts.token})`,
          ),
      )
      .onConflictDoUpdate({
        target: [items.jobId, items.itemId],
        set: {
          name: sql`excluded.name`,
          status: sql`excluded.status`,
          errorMessage: sql`excluded.error_message`,
          childJobId: sql`excluded.child_job_id`,
          childType: sql`excluded.child_type`,
          updatedAt: sql`excluded.updated_at`,
          sortAt: sql`excluded.sort_at`,
          settled: sql`excluded.settled`,
        },
      }),
  );
}

/** Deleting a job deletes its items (in the job delete's batch). */
export function deleteItemsStatement(db: Database, jobId: string): Statement {
  return db.delete(items).where(eq(items.jobId, jobId));
}
