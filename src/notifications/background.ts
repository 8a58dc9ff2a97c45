import type { SQL } from "drizzle-orm";
import type { Context } from "hono";
import { type Bindings, readConfig } from "../config";
import { database } from "../db/client";
import { ofJobSince, onlyDelivery } from "../db/deliveries";
import { DELIVERY_INLINE_BUDGET_MS, deliverQuietly, MAX_DELIVERIES_INLINE } from "./deliver";

/**
 * Sends the deliveries `filter` picks (at most `limit`) after the answer, through `waitUntil`, within
 * the inline budget. Without an execution context (a bare `app.request`) the promise simply runs on;
 * `deliverQuietly` catches its errors.
 */
function deliverAfterAnswer(c: Context<{ Bindings: Bindings }>, limit: number, filter: SQL): void {
  const work = deliverQuietly(database(c.env.DB), {
    now: Date.now(),
    limit,
    budgetMs: DELIVERY_INLINE_BUDGET_MS,
    allowHttp: readConfig(c.env).allowHttpWebhooks,
    filter,
  });
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context: nothing to register the promise with.
  }
}

/** The first attempt of the deliveries that a job's events written since `since` created, after the answer. */
export function firstAttempts(c: Context<{ Bindings: Bindings }>, jobId: string, since: number): void {
  deliverAfterAnswer(c, MAX_DELIVERIES_INLINE, ofJobSince(database(c.env.DB), jobId, since));
}

/** A manual retry's attempt, right after the answer. */
export function retryNow(c: Context<{ Bindings: Bindings }>, deliveryId: string): void {
  deliverAfterAnswer(c, 1, onlyDelivery(deliveryId));
}
