/**
 * The read queries behind the job page. They are written so that a job with a very long history
 * (100,000 snapshots and more) costs a bounded amount of Worker memory: the database returns at most
 * a few hundred rows, whatever the history's length.
 */
import { and, desc, eq, lte, sql } from "drizzle-orm";
import type { Database } from "./client";
import { type SnapshotRow, snapshots } from "./schema";

export interface ChartRow {
  id: number;
  observedAt: number;
  status: string | null;
  totalItems: number | null;
  processedItems: number | null;
  failedItems: number | null;
  skippedItems: number | null;
}

export interface StatusChangeRow {
  id: number;
  observedAt: number;
  status: string | null;
}

export interface JobHistory {
  /** Snapshots for the chart, oldest first: every one when few, else sampled (see `sampledHistory`). */
  chart: ChartRow[];
  sampled: boolean;
  snapshotCount: number;
  /** The newest snapshots, newest first. */
  recent: SnapshotRow[];
  /** Snapshots where the status changed (the first one included), oldest first. */
  statusChanges: StatusChangeRow[];
  /**
   * More than MAX_STATUS_CHANGES changes exist: `statusChanges` then ends with one change beyond
   * those to show, which only marks when the last shown status ended.
   */
  statusChangesTruncated: boolean;
  /** The snapshot that stood at `rateSince` (or the first, when the history is younger): the ETA's baseline. */
  rateReference: ChartRow | null;
}

const chartColumns = {
  id: snapshots.id,
  observedAt: snapshots.observedAt,
  status: snapshots.status,
  totalItems: snapshots.totalItems,
  processedItems: snapshots.processedItems,
  failedItems: snapshots.failedItems,
  skippedItems: snapshots.skippedItems,
};

/** Most status changes a timeline follows; a job flapping more often than this is cut off. */
export const MAX_STATUS_CHANGES = 200;

/** A chart row as SQLite returns it (snake_case), before `chartRow` maps it. */
type RawChartRow = {
  id: number;
  observed_at: number;
  status: string | null;
  total_items: number | null;
  processed_items: number | null;
  failed_items: number | null;
  skipped_items: number | null;
};

/**
 * Downsampling, in SQL: the time between the job's first and last snapshot is cut into `intervals`
 * equal steps, and for each of the `intervals + 1` boundaries the query picks the snapshot that was
 * current at that instant (the last one observed at or before it). Each pick is one seek on the
 * (job_id, observed_at, id) index and the first/last times are single index seeks too, so the query
 * reads about `intervals` rows however long the history is, and the Worker receives at most
 * `intervals + 1` rows. Counts only ever grow, so "the value at evenly spaced instants" is an
 * honest picture of the curve; status changes between two picks are shown by the timeline instead.
 */
export function sampledHistory(db: Database, jobId: string, intervals: number) {
  return db.all<RawChartRow>(sql`
    with recursive
      span(t0, t1) as (
        select
          (select min(observed_at) from snapshots where job_id = ${jobId}),
          (select max(observed_at) from snapshots where job_id = ${jobId})
      ),
      step(i) as (select 0 union all select i + 1 from step where i < ${intervals}),
      pick(id) as (
        select (
          select s.id from snapshots s
          where s.job_id = ${jobId}
            and s.observed_at <= span.t0 + (span.t1 - span.t0) * step.i / ${intervals}
          order by s.observed_at desc, s.id desc
          limit 1
        )
        from step, span
      )
    select id, observed_at, status, total_items, processed_items, failed_items, skipped_items
    from snapshots
    where id in (select id from pick)
    order by observed_at, id
  `);
}

/**
 * The status changes, oldest first. Each snapshot records whether its status differed from the one
 * before (`status_changed`, set when written), so this reads only the changes, through a partial
 * index, however long the history is. The literal `= 1` is what lets SQLite use that index.
 */
export function statusChangesQuery(db: Database, jobId: string, limit = MAX_STATUS_CHANGES + 1) {
  return db
    .select({ id: snapshots.id, observedAt: snapshots.observedAt, status: snapshots.status })
    .from(snapshots)
    .where(and(eq(snapshots.jobId, jobId), sql`${snapshots.statusChanged} = 1`))
    .orderBy(snapshots.observedAt, snapshots.id)
    .limit(limit);
}

/**
 * Retention may have pruned the snapshot that marked the job's earliest status still on record; the
 * oldest surviving snapshot stands in for it, so the timeline never starts empty or late.
 */
function withFirst(first: ChartRow | undefined, changes: StatusChangeRow[]): StatusChangeRow[] {
  if (!first || changes[0]?.id === first.id) return changes;
  return [{ id: first.id, observedAt: first.observedAt, status: first.status }, ...changes];
}

function chartRow(row: RawChartRow): ChartRow {
  return {
    id: row.id,
    observedAt: row.observed_at,
    status: row.status,
    totalItems: row.total_items,
    processedItems: row.processed_items,
    failedItems: row.failed_items,
    skippedItems: row.skipped_items,
  };
}

/**
 * Everything the job page shows from a job's history: one D1 batch, then the sampled chart when the
 * history has more than `maxPoints` snapshots.
 */
export async function jobHistory(
  db: Database,
  jobId: string,
  opts: { maxPoints: number; recent: number; rateSince: number },
): Promise<JobHistory> {
  const [firstPoints, recent, counted, reference, changes] = await db.batch([
    // Small histories are drawn whole: one more row than fits tells us to sample instead.
    db
      .select(chartColumns)
      .from(snapshots)
      .where(eq(snapshots.jobId, jobId))
      .orderBy(snapshots.observedAt, snapshots.id)
      .limit(opts.maxPoints + 1),
    db
      .select()
      .from(snapshots)
      .where(eq(snapshots.jobId, jobId))
      .orderBy(desc(snapshots.observedAt), desc(snapshots.id))
      .limit(opts.recent),
    db.select({ n: sql<number>`count(*)` }).from(snapshots).where(eq(snapshots.jobId, jobId)),
    db
      .select(chartColumns)
      .from(snapshots)
      .where(and(eq(snapshots.jobId, jobId), lte(snapshots.observedAt, opts.rateSince)))
      .orderBy(desc(snapshots.observedAt), desc(snapshots.id))
      .limit(1),
    statusChangesQuery(db, jobId),
  ]);

  let chart: ChartRow[] = firstPoints;
  const sampled = firstPoints.length > opts.maxPoints;
  if (sampled) {
    const rows = await sampledHistory(db, jobId, opts.maxPoints - 1);
    chart = rows.map(chartRow);
  }
  return {
    chart,
    sampled,
    snapshotCount: counted[0]?.n ?? 0,
    recent,
    statusChanges: withFirst(firstPoints[0], changes),
    statusChangesTruncated: changes.length > MAX_STATUS_CHANGES,
    rateReference: reference[0] ?? firstPoints[0] ?? null,
  };
}
