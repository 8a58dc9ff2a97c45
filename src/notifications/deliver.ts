/**
 * Sending deliveries. Nothing is sent from memory: every attempt starts from a pending row, claimed
 * with a conditional UPDATE (a token and an expiry, like the jobs' lease) so that two invocations —
 * overlapping ticks, or a tick and a route's first attempt — never send the same attempt twice.
 */
import { and, asc, eq, exists, gte, inArray, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { runGroups } from "../db/batch";
import type { Database, Statement } from "../db/client";
import { deliveries, events, subscriptions } from "../db/schema";
import { inPool } from "../outbound";
import {
  type AttemptResult,
  afterAttempt,
  classifyAnswer,
  classifyThrown,
  DELIVERY_TIMEOUT_MS,
} from "./schedule";
import { checkSubscriptionUrl } from "./urls";

/** How long a claim protects a delivery: longer than the last attempt a sender may start plus its timeout. */
export const DELIVERY_CLAIM_MS = 2 * 60_000;
/** A sender starts no attempt later than this after its claim, so every attempt ends inside the claim. */
export const DELIVERY_SEND_BUDGET_MS = 60_000;
/** Attempts one tick makes at most (subrequests are shared with the polls; see MAX_POLLS_PER_TICK). */
export const MAX_DELIVERIES_PER_TICK = 200;
/**
 * Attempts a route's first-attempt pass makes at most; anything left is the next tick's. With the
 * route's own poll it stays inside the Free plan's 50 subrequests per invocation.
 */
export const MAX_DELIVERIES_INLINE = 40;
/**
 * A route's first attempts run in `waitUntil`, which gets about 30 s after the answer: none starts
 * later than this, so the last one's timeout and the write of every result still fit.
 */
export const DELIVERY_INLINE_BUDGET_MS = 10_000;

const USER_AGENT = "batchwatch-webhooks/1";

export interface Claimed {
  id: string;
  attempts: number;
  subscriptionId: string;
  url: string;
  secret: string;
  payload: string;
}

export interface DeliveryRun {
  claimed: number;
  attempted: number;
  delivered: number;
  failed: number;
  /** D1 round trips the run made: the claim (with the read of what to send) and the result batches. */
  roundTrips: number;
}

function claimFree(now: number) {
  return or(isNull(deliveries.claimUntil), lte(deliveries.claimUntil, now));
}

/** Only the deliveries of one job's events written at or after `since` (a route's first attempts). */
export function ofJobSince(db: Database, jobId: string, since: number): SQL {
  return inArray(
    deliveries.eventId,
    db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.jobId, jobId), gte(events.createdAt, since))),
  );
}

/** Only this delivery (a manual retry). */
export function onlyDelivery(id: string): SQL {
  return eq(deliveries.id, id);
}

export interface ClaimOptions {
  now: number;
  limit: number;
  /** Narrows what is claimed; every due delivery when omitted (the tick). */
  filter?: SQL;
}

export interface DeliverOptions extends ClaimOptions {
  /** No attempt starts later than this after the claim (DELIVERY_SEND_BUDGET_MS when omitted). */
  budgetMs?: number;
  /** ALLOW_HTTP_WEBHOOKS as it is now: every URL is checked again before it is sent to. */
  allowHttp: boolean;
}

/**
 * Claims due pending deliveries and reads what to send, in one batch: the UPDATE marks them with
 * `token`, the SELECT reads them back by that token (with the event's payload and the receiver).
 */
function claimStatements(db: Database, opts: ClaimOptions & { token: string }) {
  const claimable = and(
    eq(deliveries.status, "pending"),
    lte(deliveries.nextAttemptAt, opts.now),
    claimFree(opts.now),
    opts.filter,
  );
  const due = db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(claimable)
    .orderBy(asc(deliveries.nextAttemptAt))
    .limit(opts.limit);
  const claim = db
    .update(deliveries)
    // From the wall clock: the sends this claim protects start now, whatever time the tick is for.
    .set({ claimToken: opts.token, claimUntil: Math.max(Date.now(), opts.now) + DELIVERY_CLAIM_MS })
    .where(
      and(
        inArray(deliveries.id, due),
        // Re-checked on the row itself: the subquery is not the lock.
        claimable,
        exists(
          db
            .select({ id: subscriptions.id })
            .from(subscriptions)
            .where(and(eq(subscriptions.id, deliveries.subscriptionId), isNull(subscriptions.disabledAt))),
        ),
      ),
    );
  const read = db
    .select({
      id: deliveries.id,
      attempts: deliveries.attempts,
      subscriptionId: deliveries.subscriptionId,
      url: subscriptions.url,
      secret: subscriptions.secret,
      payload: events.payload,
    })
    .from(deliveries)
    .innerJoin(events, eq(events.id, deliveries.eventId))
    .innerJoin(subscriptions, eq(subscriptions.id, deliveries.subscriptionId))
    .where(eq(deliveries.claimToken, opts.token))
    .orderBy(asc(deliveries.nextAttemptAt), asc(deliveries.id));
  return [claim, read] as const;
}

/** One signed POST. The signature is made per attempt (fresh timestamp), the id is the delivery's. */
async function attemptDelivery(
  delivery: Pick<Claimed, "id" | "url" | "secret" | "payload">,
): Promise<AttemptResult> {
  const sentAt = new Date();
  const signature = new Webhook(delivery.secret).sign(delivery.id, sentAt, delivery.payload);
  try {
    const response = await fetch(delivery.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.id,
        "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body: delivery.payload,
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
  // An attempt still in flight when another one got 410 must not put its delivery back to pending:
  // the subscription is disabled, so nothing would ever send or fail it.
  const disabled = sql`exists (select 1 from ${subscriptions} where ${subscriptions.id} = ${delivery.subscriptionId} and ${subscriptions.disabledAt} is not null)`;
  const stillSendable = next.status === "pending";
  const statements: Statement[] = [
    db
      .update(deliveries)
      .set({
        status: stillSendable ? sql`case when ${disabled} then 'failed' else 'pending' end` : next.status,
        attempts: next.attempts,
        nextAttemptAt: stillSendable
          ? sql`case when ${disabled} then null else ${next.nextAttemptAt} end`
          : next.nextAttemptAt,
        lastAttemptAt: opts.now,
        lastStatusCode: result.statusCode,
        lastError:
          result.kind === "delivered"
            ? null
            : result.kind === "gone"
              ? "The receiver answered 410 Gone; the subscription is disabled."
              : result.error,
        deliveredAt: result.kind === "delivered" ? opts.now : null,
        claimToken: null,
        claimUntil: null,
      })
      .where(and(eq(deliveries.id, delivery.id), eq(deliveries.claimToken, opts.token))),
  ];
  if (result.kind === "gone") {
    statements.push(
      db
        .update(subscriptions)
        .set({ disabledAt: opts.now, disabledReason: "The receiver answered 410 Gone." })
        .where(and(eq(subscriptions.id, delivery.subscriptionId), isNull(subscriptions.disabledAt))),
      db
        .update(deliveries)
        .set({
          status: "failed",
          nextAttemptAt: null,
          lastError: "Not sent: the subscription was disabled after its receiver answered 410 Gone.",
        })
        .where(and(eq(deliveries.subscriptionId, delivery.subscriptionId), eq(deliveries.status, "pending"))),
    );
  }
  return statements;
}

/** A claim ready to run: its statements (an UPDATE, then the SELECT of what to send) and its token. */
export interface DeliveryClaim {
  token: string;
  statements: [Statement, Statement];
  /** The claimed deliveries, from the results of `statements`. */
  read: (results: unknown[]) => Claimed[];
}

/**
 * Prepares a claim of due deliveries. It may run at the end of a batch of other writes (the tick
 * appends it to its last one): the claimed rows are then only those committed by that batch.
 */
export function claimDeliveries(db: Database, opts: ClaimOptions): DeliveryClaim {
  const token = crypto.randomUUID();
  const [claim, read] = claimStatements(db, { ...opts, token });
  return { token, statements: [claim, read], read: (results) => (results[1] ?? []) as Claimed[] };
}

/**
 * Sends claimed deliveries (at most MAX_IN_FLIGHT at a time, none started after the budget) and
 * records every result in as few batches as the batch size allows.
 */
export async function sendClaimed(
  db: Database,
  claimed: Claimed[],
  opts: { now: number; token: string; allowHttp: boolean; budgetMs?: number },
): Promise<DeliveryRun> {
  const run: DeliveryRun = { claimed: claimed.length, attempted: 0, delivered: 0, failed: 0, roundTrips: 0 };
  if (claimed.length === 0) return run;
  const { token } = opts;
  const deadline = Date.now() + (opts.budgetMs ?? DELIVERY_SEND_BUDGET_MS);
  const groups: Statement[][] = [];
  // Receivers that answered 410 in this run get nothing more (their pending rows are failed in bulk).
  const gone = new Set<string>();
  const started = await inPool(
    claimed,
    () => Date.now() >= deadline,
    async (delivery) => {
      if (gone.has(delivery.subscriptionId)) return;
      // Checked again at every attempt: a subscription made while ALLOW_HTTP_WEBHOOKS was "true"
      // (local development) must not keep receiving once the deployment says otherwise.
      const allowed = checkSubscriptionUrl(delivery.url, opts.allowHttp);
      const result: AttemptResult = allowed.ok
        ? await attemptDelivery(delivery)
        : { kind: "failed", statusCode: null, error: `Not sent: the subscription's ${allowed.reason}` };
      run.attempted++;
      if (result.kind === "delivered") run.delivered++;
      else run.failed++;
      if (result.kind === "gone") gone.add(delivery.subscriptionId);
      // The tick's clock may run ahead of the wall clock (tests, local dev); never schedule behind it.
      const now = Math.max(Date.now(), opts.now);
      groups.push(resultStatements(db, delivery, result, { now, token }));
    },
  );
  if (started < claimed.length) {
    // Out of time: give the rest back for the next tick.
    groups.push([
      db
        .update(deliveries)
        .set({ claimToken: null, claimUntil: null })
        .where(eq(deliveries.claimToken, token)),
    ]);
  }
  run.roundTrips += await runGroups(db, groups);
  return run;
}

/** Claims due deliveries and sends them: one round trip for the claim, then `sendClaimed`. */
async function deliverDue(db: Database, opts: DeliverOptions): Promise<DeliveryRun> {
  const claim = claimDeliveries(db, opts);
  const claimed = claim.read(await db.batch(claim.statements));
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
