import type { Context } from "hono";
import { type Bindings, readConfig } from "../config";
import { database } from "../db/client";
import {
  DELIVERY_INLINE_BUDGET_MS,
  deliverQuietly,
  MAX_DELIVERIES_INLINE,
  ofJobSince,
  onlyDelivery,
} from "./deliver";

/**
 * Hands work to `waitUntil` so the answer is not held up by it. Without an execution context (a bare
 * `app.request`) the promise simply runs on; its errors are the work's own to catch.
 */
function inBackground(c: Context, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context: nothing to register the promise with.
  }
}

/** The first attempt of the deliveries that a job's events written since `since` created, after the answer. */
export function firstAttempts(c: Context<{ Bindings: Bindings }>, jobId: string, since: number): void {
  const db = database(c.env.DB);
  inBackground(
    c,
    deliverQuietly(db, {
      now: Date.now(),
      limit: MAX_DELIVERIES_INLINE,
      budgetMs: DELIVERY_INLINE_BUDGET_MS,
      allowHttp: readConfig(c.env).allowHttpWebhooks,
      filter: ofJobSince(db, jobId, since),
    }),
  );
}

/** A manual retry's attempt, right after the answer. */
export function retryNow(c: Context<{ Bindings: Bindings }>, deliveryId: string): void {
  inBackground(
    c,
    deliverQuietly(database(c.env.DB), {
      now: Date.now(),
      limit: 1,
      budgetMs: DELIVERY_INLINE_BUDGET_MS,
      allowHttp: readConfig(c.env).allowHttpWebhooks,
      filter: onlyDelivery(deliveryId),
    }),
  );
}
