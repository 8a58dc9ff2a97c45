/**
 * Sending deliveries: one POST per claimed delivery, in its subscription's format (./formats.ts; see
 * db/deliveries.ts for the claim that keeps two invocations from sending the same attempt), and the
 * writes each result makes.
 */
import { runGroupsThen } from "../db/batch";
import type { Database, Statement } from "../db/client";
import {
  attemptStatements,
  type Claimed,
  type ClaimOptions,
  claimDeliveries,
  releaseClaimStatement,
} from "../db/deliveries";
import { COUNTERS, counterStatements } from "../db/metrics";
import type { InvocationBudget } from "../monitor/budget";
import { inPool } from "../outbound";
import { deliveryRequest } from "./formats";
import {
  type AttemptResult,
  afterAttempt,
  classifyAnswer,
  classifyThrown,
  DELIVERY_TIMEOUT_MS,
} from "./schedule";
import { checkSubscriptionUrl } from "./urls";

/** A sender starts no attempt later than this after its claim, so every attempt ends inside the claim. */
export const DELIVERY_SEND_BUDGET_MS = 60_000;
/** Attempts one tick makes at most (subrequests are shared with the polls; see MAX_POLLS_PER_TICK). */
export const MAX_DELIVERIES_PER_TICK = 200;
/**
 * Attempts a route's first-attempt pass makes at most; anything left is the next tick's. The route's
 * poll keeps this many subrequests free (routePollRequests), and the pass gets only the D1 statements
 * the poll left of the route's budget (each attempt writes one), so on Free the invocation stays
 * inside 50 subrequests and 50 D1 queries.
 */
export const MAX_DELIVERIES_INLINE = 30;
/**
 * A route's first attempts run in `waitUntil`, which gets about 30 s after the answer: none starts
 * later than this, so the last one's timeout and the write of every result still fit.
 */
export const DELIVERY_INLINE_BUDGET_MS = 10_000;
/** What a delivery run writes besides one statement per attempt: claim, read, two counters, release, a 410. */
const DELIVERY_FIXED_STATEMENTS = 7;

/**
 * Deliveries an invocation may claim (at most `most`): its subrequests left, and where every statement
 * counts (Free) its D1 statements left above `keep`, less what the run writes besides its attempts.
 */
export function deliveryClaimLimit(
  budget: InvocationBudget,
  keep: number,
  most: number = MAX_DELIVERIES_PER_TICK,
): number {
  const statements = budget.queryCost(1, 0) === 0 ? Number.POSITIVE_INFINITY : budget.queriesLeft - keep;
  return Math.max(0, Math.min(most, budget.subrequestsLeft, statements - DELIVERY_FIXED_STATEMENTS));
}

const USER_AGENT = "batchwatch-webhooks/1";

export interface DeliveryRun {
  claimed: number;
  attempted: number;
  delivered: number;
  failed: number;
  /** D1 round trips the run made: the claim (with the read of what to send) and the result batches. */
  roundTrips: number;
}

export interface DeliverOptions extends ClaimOptions {
  /** No attempt starts later than this after the claim (DELIVERY_SEND_BUDGET_MS when omitted). */
  budgetMs?: number;
  /** ALLOW_HTTP_WEBHOOKS as it is now: every URL is checked again before it is sent to. */
  allowHttp: boolean;
  /** PUBLIC_BASE_URL as it is now: where chat messages link to. */
  publicBaseUrl: string | null;
  /** The invocation's counted budget, when its work before this was charged to it (a route's poll). */
  budget?: InvocationBudget;
}

/** One POST, its body and headers as the subscription's format makes them for this attempt. */
async function attemptDelivery(
  delivery: Pick<Claimed, "id" | "url" | "secret" | "payload" | "format" | "origin">,
  publicBaseUrl: string | null,
): Promise<AttemptResult> {
  const request = deliveryRequest(delivery, { sentAt: new Date(), publicBaseUrl });
  try {
    const response = await fetch(delivery.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": USER_AGENT, ...request.headers },
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    // The answer's body means nothing to us; release the connection.
    await response.body?.cancel().catch(() => {});
    return classifyAnswer(response.status);
  } catch (error) {
    return classifyThrown(error);
  }
}

/** The writes an attempt's result makes, guarded by the claim so a sender that lost it writes nothing. */
export function resultStatements(
  db: Database,
  delivery: Pick<Claimed, "id" | "attempts" | "subscriptionId">,
  result: AttemptResult,
  opts: { now: number; token: string },
): Statement[] {
  const next = afterAttempt(delivery.attempts, result, opts.now);
  const error =
    result.kind === "delivered"
      ? null
      : result.kind === "gone"
        ? "The receiver answered 410 Gone; the subscription is disabled."
        : result.error;
  return attemptStatements(
    db,
    delivery,
    { ...next, statusCode: result.statusCode, error, gone: result.kind === "gone" },
    opts,
  );
}

/**
 * Sends claimed deliveries (at most MAX_IN_FLIGHT at a time, none started after the time budget) and
 * records every result in as few batches as the batch size allows. With the invocation's `budget`
 * every attempt takes a subrequest of it (none is sent without one; the rest are given back) and
 * every statement written is charged to its D1 queries: an attempt is started only if its statement
 * fits above `keepQueries` (the rest are given back), the two extra writes of a 410 only if they
 * fit too (else that attempt counts as failed and is retried); the counters and the release are the
 * caller's to plan for.
 */
export async function sendClaimed(
  db: Database,
  claimed: Claimed[],
  opts: {
    now: number;
    token: string;
    allowHttp: boolean;
    publicBaseUrl: string | null;
    budgetMs?: number;
    budget?: InvocationBudget;
    keepQueries?: number;
  },
): Promise<DeliveryRun> {
  const run: DeliveryRun = { claimed: claimed.length, attempted: 0, delivered: 0, failed: 0, roundTrips: 0 };
  if (claimed.length === 0) return run;
  const { token } = opts;
  const deadline = Date.now() + (opts.budgetMs ?? DELIVERY_SEND_BUDGET_MS);
  const groups: Statement[][] = [];
  // Receivers that answered 410 in this run get nothing more (their pending rows are failed in bulk).
  const gone = new Set<string>();
  const { budget } = opts;
  let unsent = false;
  const started = await inPool(
    claimed,
    () => Date.now() >= deadline || (budget !== undefined && budget.subrequestsLeft <= 0),
    async (delivery) => {
      if (gone.has(delivery.subscriptionId)) return;
      // Checked again at every attempt: a subscription made while ALLOW_HTTP_WEBHOOKS was "true"
      // (local development) must not keep receiving once the deployment says otherwise.
      const allowed = checkSubscriptionUrl(delivery.url, opts.allowHttp);
      // An attempt needs a subrequest and the D1 statement that records it, above what is kept.
      const room =
        budget === undefined ||
        (budget.subrequestsLeft > 0 && budget.takeQueries(budget.queryCost(1, 0), opts.keepQueries));
      if (!room || (allowed.ok && budget !== undefined && !budget.takeDelivery())) {
        unsent = true;
        return;
      }
      let result: AttemptResult = allowed.ok
        ? await attemptDelivery(delivery, opts.publicBaseUrl)
        : { kind: "failed", statusCode: null, error: `Not sent: the subscription's ${allowed.reason}` };
      if (result.kind === "gone" && budget && !budget.takeQueries(budget.queryCost(2, 0), opts.keepQueries)) {
        // No room left to disable the subscription now: its next attempt meets the 410 again.
        result = { kind: "failed", statusCode: result.statusCode, error: "The receiver answered 410 Gone." };
      }
      run.attempted++;
      if (result.kind === "delivered") run.delivered++;
      else run.failed++;
      if (result.kind === "gone") gone.add(delivery.subscriptionId);
      // The tick's clock may run ahead of the wall clock (tests, local dev); never schedule behind it.
      const now = Math.max(Date.now(), opts.now);
      groups.push(resultStatements(db, delivery, result, { now, token }));
    },
  );
  if (started < claimed.length || unsent) {
    // Out of time or subrequests: give the rest back for the next tick.
    groups.push([releaseClaimStatement(db, token)]);
  }
  // /metrics' attempt counters grow in the batch that records the attempts (its tail: no extra trip).
  const counted = counterStatements(
    db,
    [
      { name: COUNTERS.deliveryAttempts, label: "delivered", by: run.delivered },
      { name: COUNTERS.deliveryAttempts, label: "failed", by: run.failed },
    ],
    Math.max(Date.now(), opts.now),
  );
  run.roundTrips += (await runGroupsThen(db, groups, counted)).batches;
  // Each attempt's statement (and a 410's two) was taken as it went; the counters and the release were
  // planned for by the caller.
  budget?.chargeQueries(budget.queryCost(counted.length + (groups.length - run.attempted), run.roundTrips));
  return run;
}

/** Claims due deliveries and sends them: one round trip for the claim, then `sendClaimed`. */
async function deliverDue(db: Database, opts: DeliverOptions): Promise<DeliveryRun> {
  const claim = claimDeliveries(db, opts);
  const claimed = claim.read(await db.batch(claim.statements));
  opts.budget?.chargeQueries(opts.budget.queryCost(claim.statements.length, 1));
  const run = await sendClaimed(db, claimed, { ...opts, token: claim.token });
  return { ...run, roundTrips: run.roundTrips + 1 };
}

/** Runs `deliverDue` without ever throwing: for `waitUntil`, where an error has nowhere to go. */
export async function deliverQuietly(db: Database, opts: DeliverOptions): Promise<DeliveryRun | null> {
  try {
    return await deliverDue(db, opts);
  } catch (error) {
    console.error(JSON.stringify({ event: "delivery_error", message: String(error) }));
    return null;
  }
}
