import type { SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { ofJobSince, onlyDelivery } from "../db/deliveries";
import { DELIVERY_INLINE_BUDGET_MS, deliverQuietly, MAX_DELIVERIES_INLINE } from "./deliver";

/** What sending after the answer needs from the request that answered. */
export interface AfterAnswer {
  db: Database;
  /** ALLOW_HTTP_WEBHOOKS as this request read it. */
  allowHttp: boolean;
  /** PUBLIC_BASE_URL as this request read it (links in chat messages). */
  publicBaseUrl: string | null;
  /** Keeps the invocation alive for the work (the execution context's `waitUntil`). */
  waitUntil: (work: Promise<unknown>) => void;
}

/**
 * Sends the deliveries `filter` picks (at most `limit`) after the answer, through `waitUntil`, within
 * the inline budget. `deliverQuietly` catches its errors.
 */
function deliverAfterAnswer(after: AfterAnswer, limit: number, filter: SQL): void {
  after.waitUntil(
    deliverQuietly(after.db, {
      now: Date.now(),
      limit,
      budgetMs: DELIVERY_INLINE_BUDGET_MS,
      allowHttp: after.allowHttp,
      publicBaseUrl: after.publicBaseUrl,
      filter,
    }),
  );
}

/** The first attempt of the deliveries that a job's events written since `since` created, after the answer. */
export function firstAttempts(after: AfterAnswer, jobId: string, since: number): void {
  deliverAfterAnswer(after, MAX_DELIVERIES_INLINE, ofJobSince(after.db, jobId, since));
}

/** A manual retry's attempt, right after the answer. */
export function retryNow(after: AfterAnswer, deliveryId: string): void {
  deliverAfterAnswer(after, 1, onlyDelivery(deliveryId));
}
