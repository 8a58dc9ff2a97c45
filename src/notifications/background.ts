import type { Context, MiddlewareHandler } from "hono";
import type { Bindings } from "../config";
import { type Database, database } from "../db/client";
import { deliverQuietly, MAX_DELIVERIES_INLINE, ofJobSince, onlyDelivery } from "./deliver";

/**
 * Hands work to `waitUntil` so the answer is not held up by it. Without an execution context (a bare
 * `app.request`) the promise simply runs on; its errors are the work's own to catch.
 */
export function inBackground(c: Context, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context: nothing to register the promise with.
  }
}

/** The first attempt of the deliveries that a job's events written since `since` created. */
export function deliverJobEvents(db: Database, jobId: string, since: number) {
  return deliverQuietly(db, {
    now: Date.now(),
    limit: MAX_DELIVERIES_INLINE,
    filter: ofJobSince(db, jobId, since),
  });
}

/** `deliverJobEvents` after the answer is sent. */
export function firstAttempts(c: Context<{ Bindings: Bindings }>, jobId: string, since: number): void {
  inBackground(c, deliverJobEvents(database(c.env.DB), jobId, since));
}

/** A manual retry's attempt, right after the answer. */
export function retryNow(c: Context<{ Bindings: Bindings }>, deliveryId: string): void {
  inBackground(
    c,
    deliverQuietly(database(c.env.DB), { now: Date.now(), limit: 1, filter: onlyDelivery(deliveryId) }),
  );
}

/**
 * For the job routes that poll (track, manual poll): once they answered successfully, the events
 * their poll wrote are delivered right away. The outbox rows are already committed, so if this
 * invocation dies first, the next tick delivers them.
 */
export const deliverAfterPoll: MiddlewareHandler<{ Bindings: Bindings }> = async (c, next) => {
  const since = Date.now();
  await next();
  if (c.req.method !== "POST" || c.res.status >= 300) return;
  const isPoll = /\/poll\/?$/.test(c.req.path);
  // Tracking a job that was already tracked (200) polled nothing and raised nothing.
  if (!isPoll && c.res.status !== 201) return;
  // The job's id as the answer gives it (the route has already validated and decoded it).
  let jobId: string | undefined;
  try {
    const body = (await c.res.clone().json()) as { job?: { id?: unknown } };
    if (typeof body.job?.id === "string") jobId = body.job.id;
  } catch {
    return;
  }
  if (jobId !== undefined) firstAttempts(c, jobId, since);
};
