import { type Bindings, type Config, readConfig } from "../config";
import { runGroups, runGroupsThen } from "../db/batch";
import { claimDueJobs } from "../db/claims";
import { type Database, database } from "../db/client";
import { claimDeliveries } from "../db/deliveries";
import { notificationPruneStatements, pruneStatements } from "../db/prune";
import { type TickRecord, tickStatement } from "../db/ticks";
import { MAX_DELIVERIES_PER_TICK, sendClaimed } from "../notifications/deliver";
import { requestBudget } from "./budget";
import { pollCountStatements } from "./health";
import { LEASE_MS, pollClaimed } from "./poll";
import { handDueJobs, pollQueue } from "./queue";
import { type DiscoveryRound, scanWatches, watchClaim } from "./scan";

/**
 * Stop starting polls after this much of a tick: the next tick starts a minute after this one, and
 * leases (LEASE_MS) must outlive the polls they protect.
 */
export const TICK_POLL_BUDGET_MS = 45_000;

export interface TickResult extends TickRecord {
  /** D1 round trips the tick made (claims + write batches), for the benchmark and tests. */
  roundTrips: number;
  /** Notification delivery attempts the tick made (retries and the first attempts of its own events). */
  deliveries: number;
  /** What discovery did after the polls (its round trips are counted in `roundTrips` too). */
  discovery: DiscoveryRound;
}

/**
 * One cron tick: claim the due jobs, poll them, write every outcome (with the events it raises) and
 * the tick record in as few D1 batches as possible, send the due notification deliveries, then prune.
 */
export async function runTick(env: Bindings, scheduledTime: number): Promise<TickResult> {
  const config: Config = readConfig(env);
  const db = database(env.DB);
  // Locally (and in tests) a tick may be fired for a time ahead of the clock.
  const now = Math.max(Date.now(), scheduledTime);
  const startedAt = Date.now();
  const token = crypto.randomUUID();

  // With POLL_QUEUE bound the tick only claims the due jobs and hands them to the queue; its consumer
  // (monitor/consume.ts) polls them. Nothing is claimed for polling here then.
  const queue = pollQueue(env);
  const handoff = queue
    ? await handDueJobs(db, queue, config, { now, token, leaseUntil: now + LEASE_MS })
    : null;
  const claimed = handoff
    ? { rows: [], items: new Map() }
    : await claimDueJobs(db, {
        now,
        limit: config.maxPollsPerTick,
        token,
        leaseUntil: now + LEASE_MS,
      });
  // Every upstream request of the tick (statuses, item pages, batches, child pages) takes one unit.
  const budget = requestBudget(config.maxPollsPerTick);
  const round = await pollClaimed(db, config, claimed.rows, claimed.items, {
    source: "poll",
    now,
    token,
    deadline: startedAt + TICK_POLL_BUDGET_MS,
    budget,
  });

  const record: TickRecord = {
    startedAt: now,
    durationMs: Date.now() - startedAt,
    due: claimed.rows.length + (handoff?.jobs ?? 0),
    polled: round.polled.length,
    changed: round.polled.filter((p) => p.outcome.snapshot !== null).length,
    errors: round.polled.filter((p) => p.outcome.failure !== null).length,
    rateLimitedUntil: round.pauseUntil,
  };
  // The delivery claim ends the last write batch, so the events this tick raised get their first
  // attempt along with the due retries, without a round trip of their own.
  // Deliveries are subrequests too: a plan sized for N polls per tick gets at most N deliveries.
  const claim = claimDeliveries(db, {
    now,
    limit: Math.min(MAX_DELIVERIES_PER_TICK, config.maxPollsPerTick),
  });
  // The poll counters (/metrics) and what the polls said of the key (/healthz): in the tail, so they join
  // the polls' last batch without a round trip of their own.
  const counted = pollCountStatements(
    db,
    round.polled.map((p) => p.outcome),
    now,
  );
  // Watches are claimed at the end of the same batch, and only with budget left: polls come first.
  const watches = watchClaim(db, { now, token, budget });
  const written = await runGroupsThen(
    db,
    [...round.groups, [tickStatement(db, record)]],
    [...claim.statements, ...watches.statements, ...counted],
  );
  const sent = await sendClaimed(db, claim.read(written.tail), {
    now,
    token: claim.token,
    allowHttp: config.allowHttpWebhooks,
    publicBaseUrl: config.publicBaseUrl,
  });
  const discovery = await scanWatches(db, config, watches.read(written.tail.slice(claim.statements.length)), {
    now,
    token,
    deadline: startedAt + TICK_POLL_BUDGET_MS,
    budget,
  });
  const pruned = await prune(db, now, config);
  return {
    ...record,
    roundTrips: 1 + written.batches + sent.roundTrips + discovery.roundTrips + pruned,
    deliveries: sent.attempted,
    discovery,
  };
}

/**
 * The retention clean-up, in a batch of its own: should it ever fail (or outgrow D1's time limit),
 * it must not take the tick's polls and notifications down with it. Returns the round trips made.
 */
async function prune(db: Database, now: number, config: Config): Promise<number> {
  try {
    return await runGroups(db, [
      [
        ...pruneStatements(db, { now, retentionDays: config.historyRetentionDays }),
        ...notificationPruneStatements(db, { now, historyRetentionDays: config.historyRetentionDays }),
      ],
    ]);
  } catch (error) {
    console.error(JSON.stringify({ event: "prune_error", message: String(error) }));
    return 1;
  }
}
