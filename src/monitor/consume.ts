/**
 * The consumer side of polling through a Cloudflare Queue (README "Polling through a Cloudflare
 * Queue"): the Worker's `queue()` handler polls the jobs a tick handed off, with the tick's own code
 * path (pollClaimed: 6 in flight, one counted request budget per invocation, a 429 pausing every job
 * through D1, the outbox written with each outcome), then sends the due deliveries as a tick does.
 */
import { type Bindings, readConfig } from "../config";
import { runGroupsThen } from "../db/batch";
import { database } from "../db/client";
import { claimDeliveries } from "../db/deliveries";
import { takeOverHanded } from "../db/handoff";
import { MAX_DELIVERIES_PER_TICK, sendClaimed } from "../notifications/deliver";
import { requestBudget } from "./budget";
import { pollCountStatements } from "./health";
import { LEASE_MS, pollClaimed } from "./poll";
import { type PollMessage, pollMessageSchema } from "./queue";
import { TICK_POLL_BUDGET_MS } from "./tick";

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

  const claimed = await takeOverHanded(db, { handed: messages, now, token, leaseUntil: now + LEASE_MS });
  const budget = requestBudget(config.maxPollsPerTick);
  const round = await pollClaimed(db, config, claimed.rows, claimed.items, {
    source: "poll",
    now,
    token,
    deadline: startedAt + TICK_POLL_BUDGET_MS,
    budget,
  });
  // As in the tick: the events these polls raised get their first attempt now, with the due retries.
  const claim = claimDeliveries(db, {
    now,
    limit: Math.min(MAX_DELIVERIES_PER_TICK, config.maxPollsPerTick),
  });
  const counted = pollCountStatements(
    db,
    round.polled.map((p) => p.outcome),
    now,
  );
  const written = await runGroupsThen(db, round.groups, [...claim.statements, ...counted]);
  const sent = await sendClaimed(db, claim.read(written.tail), {
    now,
    token: claim.token,
    allowHttp: config.allowHttpWebhooks,
    publicBaseUrl: config.publicBaseUrl,
  });
  return {
    messages: bodies.length,
    malformed: bodies.length - messages.length,
    taken: claimed.rows.length,
    polled: round.polled.length,
    changed: round.polled.filter((p) => p.outcome.snapshot !== null).length,
    errors: round.polled.filter((p) => p.outcome.failure !== null).length,
    rateLimitedUntil: round.pauseUntil,
    roundTrips: (messages.length > 0 ? 1 : 0) + written.batches + sent.roundTrips,
    deliveries: sent.attempted,
  };
}
