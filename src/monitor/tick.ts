import { type Bindings, type Config, readConfig } from "../config";
import { runGroups, runGroupsThen } from "../db/batch";
import { claimDueJobs } from "../db/claims";
import { type Database, database, type Statement } from "../db/client";
import { claimDeliveries, type DeliveryClaim } from "../db/deliveries";
import { notificationPruneStatements, pruneStatements } from "../db/prune";
import { type TickRecord, tickStatement } from "../db/ticks";
import { type DeliveryRun, deliveryClaimLimit, sendClaimed } from "../notifications/deliver";
import { type InvocationBudget, invocationBudget, type RequestBudget } from "./budget";
import { LEASE_MS, pollClaimed, roundCounts } from "./poll";
import { handDueJobs, pollQueue } from "./queue";
import { type DiscoveryRound, MAX_WATCHES_PER_TICK, scanWatches, watchClaim } from "./scan";

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
  /** Subrequests the tick made: upstream requests and delivery attempts (README "Plans and limits"). */
  subrequests: number;
  /** D1 queries the tick charged, in its plan's unit (statements on Free, round trips on Paid). */
  queries: number;
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
  // One budget for the whole invocation: every upstream request, delivery attempt and D1 query.
  const budget = tickBudget(config);
  const pruning = pruneBatch(db, now, config);
  // What the steps after the polls need, held back from them: the tick record, the deliveries' share
  // and the prune (on Paid a few round trips of 1,000; on Free most of its 50 statements).
  const afterPolls = budget.queryCost(1 + DELIVERY_STATEMENTS + pruning.length, 4);
  const claimed = handoff
    ? { rows: [], items: new Map(), statements: 0 }
    : await claimDueJobs(db, {
        now,
        // Never more than the requests left can poll: every claimed job is polled or given back.
        limit: budget.left,
        token,
        leaseUntil: now + LEASE_MS,
      });
  budget.chargeQueries(
    handoff
      ? budget.queryCost(handoff.statements, handoff.roundTrips)
      : budget.queryCost(claimed.statements, 1),
  );
  const round = await pollClaimed(db, config, claimed.rows, claimed.items, {
    now,
    token,
    deadline: startedAt + TICK_POLL_BUDGET_MS,
    budget,
    keepQueries: afterPolls,
  });

  const record: TickRecord = {
    startedAt: now,
    durationMs: Date.now() - startedAt,
    due: claimed.rows.length + (handoff?.jobs ?? 0),
    ...roundCounts(round),
  };
  // The delivery claim ends the last write batch, so the events this tick raised get their first
  // attempt along with the due retries, without a round trip of their own. Deliveries are subrequests
  // too: they get what the polls left, in D1 one statement each beside the claim's and the counters'.
  const claim = budgetedDeliveryClaim(db, budget, now, budget.queryCost(1 + pruning.length, 0));
  // Held for the deliveries while discovery decides: their fixed writes and a few attempts (each
  // attempt then takes its own statement, leaving what a claimed watch needs).
  const deliveryHold = claim.statements.length > 0 ? budget.queryCost(DELIVERY_STATEMENTS, 0) : 0;
  // Watches are claimed at the end of the same batch, and only with budget left: polls and
  // deliveries come first. A claim holds back each claimed watch's outcome (or release) and a pause.
  let discoveryKeep = budget.queryCost(1 + pruning.length, 0) + deliveryHold;
  const watchHold = budget.queryCost(1 + MAX_WATCHES_PER_TICK + 1, 0);
  const perRequest = budget.queryCost(DISCOVERY_STATEMENTS_PER_REQUEST, 0);
  const discovery = discoveryShare(budget, perRequest, () => discoveryKeep);
  const watches = watchClaim(db, {
    now,
    token,
    budget: budget.queriesLeft - watchHold - perRequest >= discoveryKeep ? discovery : spent,
  });
  if (watches.statements.length > 0) budget.chargeQueries(watchHold);
  const written = await runGroupsThen(
    db,
    [...round.groups, [tickStatement(db, record)]],
    [...claim.statements, ...watches.statements, ...round.counted],
  );
  // The tick record and the delivery claim (the polls' writes, counters and watch claim are charged).
  budget.chargeQueries(budget.queryCost(1 + claim.statements.length, written.batches));
  const sent = await sendDeliveries(db, config, claim, written.tail, {
    now,
    budget,
    // A claimed watch keeps its first two requests' statements (a list page and a tracking poll).
    keepQueries:
      budget.queryCost(pruning.length + DELIVERY_TAIL_STATEMENTS, 1) +
      (watches.statements.length > 0 ? 2 * perRequest : 0),
  });
  // The deliveries have charged what they wrote: discovery keeps only the prune's share now.
  discoveryKeep = budget.queryCost(pruning.length, 0);
  const scanned = await scanWatches(db, config, watches.read(written.tail.slice(claim.statements.length)), {
    now,
    token,
    deadline: startedAt + TICK_POLL_BUDGET_MS,
    budget: discovery,
  });
  // Discovery's statements were taken with each of its requests; on Paid its round trips count here.
  budget.chargeQueries(budget.queryCost(0, scanned.roundTrips));
  const pruned = budget.takeQueries(budget.queryCost(pruning.length, 1)) ? await prune(db, pruning) : 0;
  return {
    ...record,
    roundTrips: 1 + round.batches + written.batches + sent.roundTrips + scanned.roundTrips + pruned,
    deliveries: sent.attempted,
    discovery: scanned,
    subrequests: budget.subrequests,
    queries: budget.queries,
  };
}

/**
 * The counted budget of a tick's or a queue consumer's invocation (README "Plans and limits"): at
 * most MAX_POLLS_PER_TICK upstream requests, inside its plan's subrequests and D1 queries.
 */
export function tickBudget(config: Config): InvocationBudget {
  return invocationBudget(config.planLimits, config.maxPollsPerTick);
}

/**
 * The deliveries' share of D1 statements a tick keeps from its polls where every statement counts:
 * the claim and its read, the two counters, the release, one 410's two writes, and three attempts.
 */
export const DELIVERY_STATEMENTS = 10;
/** What a delivery run writes after its attempts: the two counters and the release. */
const DELIVERY_TAIL_STATEMENTS = 3;
/**
 * The most D1 statements one discovery request leads to: a tracking poll's batch (insert, snapshot,
 * two events with their fan-outs, the update, counters, the read back) or a list page's share of
 * the known-ids lookup.
 */
const DISCOVERY_STATEMENTS_PER_REQUEST = 12;

/** A delivery claim, or the empty one an invocation makes when its budget leaves no room for deliveries. */
type BudgetedClaim = Pick<DeliveryClaim, "token" | "read"> & { statements: Statement[] };

/**
 * The claim of the due deliveries the invocation's budget leaves room for (deliveryClaimLimit), or an
 * empty one, with no statements, when it leaves none.
 */
export function budgetedDeliveryClaim(
  db: Database,
  budget: InvocationBudget,
  now: number,
  keep: number,
): BudgetedClaim {
  const limit = deliveryClaimLimit(budget, keep);
  return limit > 0 ? claimDeliveries(db, { now, limit }) : { token: "", statements: [], read: () => [] };
}

/** Sends what `claim` took, read from the results of the batch it ended, under the invocation's budget. */
export function sendDeliveries(
  db: Database,
  config: Config,
  claim: BudgetedClaim,
  results: unknown[],
  opts: { now: number; budget: InvocationBudget; keepQueries?: number },
): Promise<DeliveryRun> {
  return sendClaimed(db, claim.read(results), {
    ...opts,
    token: claim.token,
    allowHttp: config.allowHttpWebhooks,
    publicBaseUrl: config.publicBaseUrl,
  });
}

/** No budget at all: what a step gets when nothing is left for it. */
const spent: RequestBudget = { take: () => false, available: false, used: 0, left: 0 };

/**
 * The invocation's budget as discovery sees it: each request also takes the D1 statements it may
 * lead to, and none is taken when that would leave less than `keep`.
 */
export function discoveryShare(
  budget: InvocationBudget,
  perRequest: number,
  keep: () => number,
): RequestBudget {
  const fits = () => budget.available && budget.queriesLeft - perRequest >= keep();
  return {
    take() {
      if (!fits()) return false;
      budget.takeQueries(perRequest);
      return budget.take();
    },
    get available() {
      return fits();
    },
    get used() {
      return budget.used;
    },
    get left() {
      if (perRequest === 0) return budget.left;
      return Math.max(0, Math.min(budget.left, Math.floor((budget.queriesLeft - keep()) / perRequest)));
    },
  };
}

function pruneBatch(db: Database, now: number, config: Config): Statement[] {
  return [
    ...pruneStatements(db, { now, retentionDays: config.historyRetentionDays }),
    ...notificationPruneStatements(db, { now, historyRetentionDays: config.historyRetentionDays }),
  ];
}

/**
 * The retention clean-up, in a batch of its own: should it ever fail (or outgrow D1's time limit),
 * it must not take the tick's polls and notifications down with it. Returns the round trips made.
 */
async function prune(db: Database, statements: Statement[]): Promise<number> {
  try {
    return await runGroups(db, [statements]);
  } catch (error) {
    console.error(JSON.stringify({ event: "prune_error", message: String(error) }));
    return 1;
  }
}
