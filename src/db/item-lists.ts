/**
 * Reading a job's items (its files): the API's list and the job page's Files section. Both page by
 * keyset on (sort_at, item_id), newest first, through the items indexes (see schema/items.ts), so a
 * page costs an index range scan however many files the job has. The writes live in ./items.ts.
 */
import { and, desc, eq, ne, type SQL, sql } from "drizzle-orm";
import type { Database } from "./client";
import { findJobStatement } from "./jobs";
import { olderThan, type Position, toPage } from "./keyset";
import { type ItemRow, items, type JobRow, jobs } from "./schema";

/** The status the Files section lists first: the files someone has to look at. */
export const FAILED = "failed";

/** A page of a job's items newest first (exported for the query-plan tests). */
export function itemsQuery(
  db: Database,
  opts: { jobId: string; where?: SQL; limit: number; after?: Position | undefined },
) {
  return db
    .select()
    .from(items)
    .where(and(eq(items.jobId, opts.jobId), opts.where, olderThan(items.sortAt, items.itemId, opts.after)))
    .orderBy(desc(items.sortAt), desc(items.itemId))
    .limit(opts.limit);
}

const positionOf = (row: ItemRow): Position => ({ time: row.sortAt, id: row.itemId });

/** A page of a job's items, newest first, optionally of one status; null when the job is not tracked. */
export async function listItems(
  db: Database,
  opts: { jobId: string; status?: string; limit: number; after?: Position },
): Promise<{ rows: ItemRow[]; next: Position | null } | null> {
  const [job, rows] = await db.batch([
    db.select({ jobId: jobs.jobId }).from(jobs).where(eq(jobs.jobId, opts.jobId)),
    itemsQuery(db, {
      jobId: opts.jobId,
      where: opts.status === undefined ? undefined : eq(items.status, opts.status),
      limit: opts.limit + 1,
      after: opts.after,
    }),
  ]);
  if (job.length === 0) return null;
  return toPage(rows, opts.limit, positionOf);
}

/**
 * Where the Files section continues: it lists the failed files, then the others, each newest
 * first. `after` is the last file shown of that part; none means from its start.
 */
export interface FilesPosition {
  part: "failed" | "others";
  after?: Position;
}

export interface FilesPage {
  failed: ItemRow[];
  others: ItemRow[];
  next: FilesPosition | null;
  /** How many of the job's items have each status, most common first. */
  counts: { status: string; n: number }[];
}

/**
 * The Files section's page from what the queries read: `failed` (up to limit + 1 after the
 * position, or none when the page starts among the others) and `others` (up to limit + 1 from where
 * this page starts among them). Pure, so the seams between the two parts are tested on their own.
 */
export function filesPage(
  read: { failed: ItemRow[]; others: ItemRow[] },
  limit: number,
  at: FilesPosition["part"],
): Pick<FilesPage, "failed" | "others" | "next"> {
  const failed = at === "failed" ? read.failed.slice(0, limit) : [];
  if (at === "failed" && read.failed.length > limit) {
    const last = failed.at(-1) as ItemRow;
    return { failed, others: [], next: { part: "failed", after: positionOf(last) } };
  }
  const room = limit - failed.length;
  const others = read.others.slice(0, room);
  if (read.others.length <= room) return { failed, others, next: null };
  const last = others.at(-1);
  return { failed, others, next: { part: "others", after: last && positionOf(last) } };
}

/** The queries of one Files page, for the page's single D1 batch (exported for the query-plan tests). */
export function filesStatements(db: Database, jobId: string, limit: number, from: FilesPosition) {
  const inOthers = from.part === "others";
  return [
    db
      .select({ status: items.status, n: sql<number>`count(*)` })
      .from(items)
      .where(eq(items.jobId, jobId))
      .groupBy(items.status),
    itemsQuery(db, {
      jobId,
      where: eq(items.status, FAILED),
      // Past the failed files, none are read.
      limit: inOthers ? 0 : limit + 1,
      after: inOthers ? undefined : from.after,
    }),
    itemsQuery(db, {
      jobId,
      where: ne(items.status, FAILED),
      limit: limit + 1,
      after: inOthers ? from.after : undefined,
    }),
  ] as const;
}

/**
 * The job and one page of its Files section in one D1 round trip; `job` is undefined when it is not
 * tracked. The job page reads its history after this, as it needs the job's times.
 */
export async function jobWithFiles(
  db: Database,
  jobId: string,
  opts: { limit: number; from?: FilesPosition },
): Promise<{ job: JobRow | undefined; files: FilesPage }> {
  const from = opts.from ?? { part: "failed" };
  const [job, counts, failed, others] = await db.batch([
    findJobStatement(db, jobId),
    ...filesStatements(db, jobId, opts.limit, from),
  ]);
  const sorted = [...counts].sort(
    (a, b) => Number(b.status === FAILED) - Number(a.status === FAILED) || b.n - a.n,
  );
  return {
    job: job[0],
    files: { ...filesPage({ failed, others }, opts.limit, from.part), counts: sorted },
  };
}
