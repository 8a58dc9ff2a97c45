/**
 * The consumer side of polling through a Cloudflare Queue (README "Polling through a Cloudflare
 * Queue"): the Worker's `queue()` handler polls the jobs a tick handed off, with the tick's own code
 * path (pollClaimed: 6 in flight, one counted request budget per invocation, a 429 pausing every job
 * through D1, the outbox written with each outcome), then sends the due deliveries as a tick does.
 */
import { type Bindings, readConfig } from "../config";
import { runGroupsThen } from "../db/batch";
import { database } from "../db/client";
import { takeOverHanded } from "../db/handoff";
import { LEASE_MS, pollClaimed, roundCounts } from "./poll";
import { type PollMessage, pollMessageSchema } from "./queue";
import {
  budgetedDeliveryClaim,
  DELIVERY_STATEMENTS,
  sendDeliveries,
  TICK_POLL_BUDGET_MS,
  tickBudget,
} from "./tick";

export interface Consumed {
  messages: number;
  /** Messages whose body was not a poll message (logged and dropped: a retry cannot mend them). */
  malformed: number;
  /** Jobs whose lease this consumer took over (the others' lease had ended or was taken already). */
  taken: number;
  polled: number;
  changed: number;
  errors: number;
  rateLimitedUntil: number | null;
  roundTrips: number;
  deliveries: number;
  /** As the tick counts them (README "Plans and limits"). */
  subrequests: number;
  queries: number;
}

/** The bodies that are poll messages; the rest are logged. */
export function readMessages(bodies: readonly unknown[]): PollMessage[] {
  const messages: PollMessage[] = [];
  for (const body of bodies) {
    const parsed = pollMessageSchema.safeParse(body);
    if (parsed.success) messages.push(parsed.data);
    else {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join(".") || "body"}: ${issue.message}`,
      );
      console.error(JSON.stringify({ event: "queue_message_malformed", problems }));
    }
  }
  return messages;
}

/**
 * Polls the jobs of a batch of messages. The leases are taken over first (a fresh LEASE_MS under a
 * token of this invocation's own), so a job is polled only by the invocation holding its lease:
 * should this one die, a redelivered message finds the tick's token gone and polls nothing, and the
 * jobs are due again once this lease ends. Throws on a D1 failure, leaving the batch to be retried.
 */
export async function consumePolls(env: Bindings, bodies: readonly unknown[]): Promise<Consumed> {
  const config = readConfig(env);
  const db = database(env.DB);
  const messages = readMessages(bodies);
  const startedAt = Date.now();
  // Locally (and in tests) a tick may be fired for a time ahead of the clock: never poll before it.
  const now = Math.max(startedAt, ...messages.map((m) => m.at));
  const token = crypto.randomUUID();

  // The tick's budget: every upstream request, delivery attempt and D1 query of this invocation.
  const budget = tickBudget(config);
  const claimed = await takeOverHanded(db, { handed: messages, now, token, leaseUntil: now + LEASE_MS });
  // The takes, the give-backs and the items' read, in one round trip (none without a message).
  const claimTrips = claimed.statements > 0 ? 1 : 0;
  budget.chargeQueries(budget.queryCost(claimed.statements, claimTrips));
  const round = await pollClaimed(db, config, claimed.rows, claimed.items, {
    now,
    token,
    deadline: startedAt + TICK_POLL_BUDGET_MS,
    budget,
    // The deliveries' share, kept from the polls as the tick keeps it.
    keepQueries: budget.queryCost(DELIVERY_STATEMENTS, 1),
  });
  // As in the tick: the events these polls raised get their first attempt now, with the due retries,
  // the claim ending the last write batch.
  const claim = budgetedDeliveryClaim(db, budget, now, 0);
  const written = await runGroupsThen(db, round.groups, [...claim.statements, ...round.counted]);
  budget.chargeQueries(budget.queryCost(claim.statements.length, written.batches));
  const sent = await sendDeliveries(db, config, claim, written.tail, { now, budget });
  return {
    messages: bodies.length,
    malformed: bodies.length - messages.length,
    taken: claimed.rows.length,
    ...roundCounts(round),
    roundTrips: claimTrips + round.batches + written.batches + sent.roundTrips,
    deliveries: sent.attempted,
    subrequests: budget.subrequests,
    queries: budget.queries,
  };
}
