import type { SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { ofJobSince, onlyDelivery } from "../db/deliveries";
import type { InvocationBudget } from "../monitor/budget";
import {
  DELIVERY_INLINE_BUDGET_MS,
  deliverQuietly,
  deliveryClaimLimit,
  MAX_DELIVERIES_INLINE,
} from "./deliver";

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
 * the inline time budget and the invocation's `budget` when given. `deliverQuietly` catches its errors.
 */
function deliverAfterAnswer(after: AfterAnswer, limit: number, filter: SQL, budget?: InvocationBudget): void {
  after.waitUntil(
    deliverQuietly(after.db, {
      now: Date.now(),
      limit,
      budgetMs: DELIVERY_INLINE_BUDGET_MS,
      allowHttp: after.allowHttp,
      publicBaseUrl: after.publicBaseUrl,
      filter,
      budget,
    }),
  );
}

/**
 * The first attempt of the deliveries that a job's events written since `since` created, after the
 * answer: at most MAX_DELIVERIES_INLINE, and no more than what the route's poll left of `budget`
 * (its invocation's subrequests and, on Free, D1 statements). The rest are the next tick's.
 */
export function firstAttempts(
  after: AfterAnswer,
  jobId: string,
  since: number,
  budget: InvocationBudget,
): void {
  const limit = deliveryClaimLimit(budget, 0, MAX_DELIVERIES_INLINE);
  if (limit > 0) deliverAfterAnswer(after, limit, ofJobSince(after.db, jobId, since), budget);
}

/** A manual retry's attempt, right after the answer. */
export function retryNow(after: AfterAnswer, deliveryId: string): void {
  deliverAfterAnswer(after, 1, onlyDelivery(deliveryId));
}
