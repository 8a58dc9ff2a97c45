/**
 * Watches in D1 (README "Watches"): creating (one per project), listing and deleting them, the tick's
 * claim of due watches (a lease, like the jobs'), a scan's outcome, and which listed job ids are
 * already known (tracked, or deleted by hand: see ./dismissed.ts).
 */
import { and, desc, eq, inArray, lte, sql } from "drizzle-orm";
import { APIS, type Api } from "../model";
import { leaseFree, notPausedCondition } from "./claims";
import type { Database, Statement } from "./client";
import { randomId } from "./ids";
import { idChunks, inJsonArray } from "./json-lists";
import { dismissedJobs, jobs, type WatchRow, watches } from "./schema";

export interface NewWatch {
  projectId: string;
  organizationId: string | null;
  apis: Api[];
  label: string | null;
}

/** The generations a watch discovers, in the order of APIS, whatever the stored text holds. */
export function watchApis(row: Pick<WatchRow, "apis">): Api[] {
  let value: unknown;
  try {
    value = JSON.parse(row.apis);
  } catch {
    return [];
  }
  return Array.isArray(value) ? APIS.filter((api) => value.includes(api)) : [];
}

/**
 * Stores a watch, due at once (its first scan is the next tick's), or finds the project's existing
 * one: one round trip, and the unique project index makes two concurrent requests create one watch.
 */
export async function createWatch(
  db: Database,
  input: NewWatch,
  now: number,
): Promise<{ row: WatchRow; created: boolean }> {
  const [inserted, existing] = await db.batch([
    db
      .insert(watches)
      .values({
        id: randomId("wat"),
        projectId: input.projectId,
        organizationId: input.organizationId,
        apis: JSON.stringify(APIS.filter((api) => input.apis.includes(api))),
        label: input.label,
        createdAt: now,
        nextScanAt: now,
      })
      .onConflictDoNothing({ target: watches.projectId })
      .returning(),
    db.select().from(watches).where(eq(watches.projectId, input.projectId)),
  ]);
  const row = inserted[0] ?? existing[0];
  if (!row) throw new Error(`the watch of project ${input.projectId} vanished right after it was stored`);
  return { row, created: inserted.length > 0 };
}

/** Every watch, newest first (one per project, so the list stays short). */
export function listWatches(db: Database): Promise<WatchRow[]> {
  return db.select().from(watches).orderBy(desc(watches.createdAt), desc(watches.id));
}

/** Stops discovering; the jobs the watch found stay tracked. */
export async function deleteWatch(db: Database, id: string): Promise<boolean> {
  const deleted = await db.delete(watches).where(eq(watches.id, id)).returning({ id: watches.id });
  return deleted.length > 0;
}

/**
 * Claims up to `limit` due watches, oldest due first, in one conditional UPDATE (so overlapping ticks
 * never scan a watch twice), and none while a 429 pauses every request.
 */
export function claimDueWatchesStatement(
  db: Database,
  opts: { now: number; limit: number; token: string; leaseUntil: number },
) {
  const due = db
    .select({ id: watches.id })
    .from(watches)
    .where(and(lte(watches.nextScanAt, opts.now), leaseFree(opts.now, watches.leaseUntil)))
    .orderBy(watches.nextScanAt)
    .limit(opts.limit);
  return db
    .update(watches)
    .set({ leaseToken: opts.token, leaseUntil: opts.leaseUntil })
    .where(
      and(inArray(watches.id, due), leaseFree(opts.now, watches.leaseUntil), notPausedCondition(opts.now)),
    )
    .returning();
}

/** What a scan changes on its watch (decided in monitor/discovery.ts). */
export interface WatchChanges {
  /** Only when every request of the scan was answered. */
  lastScanAt?: number;
  nextScanAt: number;
  consecutiveFailures: number;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  lastErrorAt: number | null;
  scanCursor: string | null;
  /** Only when a pass over the v2 list completed. */
  v2Since?: number;
  /** Jobs the scan started tracking. */
  jobsFound: number;
}

/** Writes a scan's outcome and releases the lease, only while `token` still holds it. */
export function scanOutcomeStatement(
  db: Database,
  watchId: string,
  token: string,
  changes: WatchChanges,
): Statement {
  const { jobsFound, ...columns } = changes;
  return db
    .update(watches)
    .set({
      ...columns,
      jobsFound: sql`${watches.jobsFound} + ${jobsFound}`,
      leaseToken: null,
      leaseUntil: null,
    })
    .where(and(eq(watches.id, watchId), eq(watches.leaseToken, token)));
}

/** Gives back a claimed watch that was not scanned (the tick's budget ran out first): still due. */
export function releaseWatchStatement(db: Database, watchId: string, token: string): Statement {
  return db
    .update(watches)
    .set({ leaseToken: null, leaseUntil: null })
    .where(and(eq(watches.id, watchId), eq(watches.leaseToken, token)));
}

/**
 * Which of `ids` batchwatch must not start tracking: those already tracked (by hand or by a watch)
 * and those deleted by hand. One round trip, two primary-key lookups per JSON array of ids
 * (./json-lists.ts: a few hundred ids are one).
 */
export async function knownJobIds(db: Database, ids: readonly string[]): Promise<Set<string>> {
  const [first, ...rest] = knownJobIdsStatements(db, ids);
  if (!first) return new Set();
  const results = (await db.batch([first, ...rest])) as { jobId: string }[][];
  return new Set(results.flat().map((row) => row.jobId));
}

/** knownJobIds' lookups: the tracked and the dismissed among each JSON array of `ids`. */
export function knownJobIdsStatements(db: Database, ids: readonly string[]) {
  return idChunks(ids).flatMap((json) => [
    db.select({ jobId: jobs.jobId }).from(jobs).where(inJsonArray(jobs.jobId, json)),
    db
      .select({ jobId: dismissedJobs.jobId })
      .from(dismissedJobs)
      .where(inJsonArray(dismissedJobs.jobId, json)),
  ]);
}
