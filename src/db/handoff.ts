/**
 * The claims of polling through a queue (README "Polling through a Cloudflare Queue"): the tick
 * leases due jobs exactly as it would to poll them itself and hands their ids and its lease token to
 * the queue; the consumer takes the lease over from that token, so a message whose lease has ended
 * (or been taken over already) polls nothing.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { ItemState } from "../model";
import { dueJobIds, leaseFree, notPausedCondition, oldestDueFirst, pausedUntilValue } from "./claims";
import type { Database } from "./client";
import { claimedItemsStatement, itemsByJob, type StoredItem } from "./items";
import { inJsonArray } from "./json-lists";
import { type JobRow, jobs } from "./schema";

/**
 * claimDueJobs without the items: up to `limit` due active jobs, oldest due first, leased to `token`
 * in one conditional UPDATE (SQLite runs it atomically, so overlapping ticks never share a job).
 * Answers their ids, oldest due first.
 */
export async function claimDueJobIds(
  db: Database,
  opts: { now: number; limit: number; token: string; leaseUntil: number },
): Promise<string[]> {
  const due = dueJobIds(db, opts);
  const claimed = await db
    .update(jobs)
    .set({ leaseToken: opts.token, leaseUntil: opts.leaseUntil })
    .where(and(inArray(jobs.jobId, due), leaseFree(opts.now), notPausedCondition(opts.now)))
    .returning({ jobId: jobs.jobId, nextPollAt: jobs.nextPollAt });
  return claimed.sort(oldestDueFirst).map((row) => row.jobId);
}

export interface Handed {
  /** The lease token the tick claimed the jobs with. */
  token: string;
  jobIds: readonly string[];
}

/**
 * The consumer's claim, in one round trip: every job still leased to the token its message carries
 * (and not expired) is leased to `token` for a fresh `leaseUntil`, unless a 429 pause holds; while
 * one does, those jobs are given back due when it ends (as a tick gives back what a pause stopped).
 * The taken jobs' stored items come back from the same batch.
 */
export async function takeOverHanded(
  db: Database,
  opts: { handed: readonly Handed[]; now: number; token: string; leaseUntil: number },
): Promise<{
  rows: JobRow[];
  items: Map<string, ItemState[]>;
  /** Statements sent, in one round trip (none when nothing was handed). */
  statements: number;
}> {
  // A message's ids are one JSON array (a message is far smaller than a statement may be).
  const held = (h: Handed) =>
    and(
      inJsonArray(jobs.jobId, JSON.stringify(h.jobIds)),
      eq(jobs.leaseToken, h.token),
      sql`${jobs.leaseUntil} > ${opts.now}`,
    );
  const pause = pausedUntilValue();
  const takes = opts.handed.map((h) =>
    db
      .update(jobs)
      .set({ leaseToken: opts.token, leaseUntil: opts.leaseUntil })
      .where(and(held(h), eq(jobs.state, "active"), notPausedCondition(opts.now)))
      .returning(),
  );
  // Runs after the takes: only jobs a pause kept from being taken still carry the tick's token.
  const giveBacks = opts.handed.map((h) =>
    db
      .update(jobs)
      .set({
        leaseToken: null,
        leaseUntil: null,
        nextPollAt: sql`max(coalesce(${jobs.nextPollAt}, 0), ${pause})`,
      })
      .where(and(held(h), sql`${pause} > ${opts.now}`)),
  );
  const [first, ...rest] = [...takes, ...giveBacks];
  if (!first) return { rows: [], items: new Map(), statements: 0 };
  const batch = [first, ...rest, claimedItemsStatement(db, opts)] as const;
  const results = await db.batch(batch);
  const rows = (results.slice(0, takes.length) as JobRow[][]).flat();
  const stored = results[results.length - 1] as StoredItem[];
  return {
    rows: rows.sort(oldestDueFirst),
    items: itemsByJob(stored),
    statements: batch.length,
  };
}
