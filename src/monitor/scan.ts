/**
 * The scan runner (README "Watches"): after a tick's polls, each claimed watch reads its project's
 * lists page by page (./discovery.ts decides which), and the batches nobody tracks yet are tracked
 * with the usual first poll. Every list request and every tracking poll takes a unit of the tick's
 * request budget, so discovery only ever uses what polling left.
 */
import type { Config } from "../config";
import { runGroups } from "../db/batch";
import { pauseStatement } from "../db/claims";
import type { Database, Statement } from "../db/client";
import type { WatchRow } from "../db/schema";
import {
  claimDueWatchesStatement,
  knownJobIds,
  releaseWatchStatement,
  scanOutcomeStatement,
  watchApis,
} from "../db/watches";
import { inPool } from "../outbound";
import { mapAnswer, type UpstreamResult } from "../upstream/v1";
import { fetchV1ListPage, type ListedJob } from "../upstream/v1-list";
import { fetchV2ListPage } from "../upstream/v2-list";
import type { RequestBudget } from "./budget";
import {
  afterPage,
  chooseNewJobs,
  type ListedPage,
  type ListRequest,
  MAX_NEW_JOBS_PER_SCAN,
  MAX_PAGES_PER_SCAN,
  type PageEnd,
  pageRequest,
  readCursor,
  type ScanEnd,
  scanOutcome,
  scanPlan,
  startOfPass,
  withLeftovers,
} from "./discovery";
import { LEASE_MS, llamaCloudTarget } from "./poll";
import { type FirstPoll, readFirstPoll, startTracking } from "./track";

/** Watches one tick claims at most; the others stay due for the next. */
export const MAX_WATCHES_PER_TICK = 10;
/**
 * Jobs one tick starts tracking at most, over all its watches: each costs a tracking poll and its
 * writes, and a tick has other work to fit in its limits.
 */
export const MAX_NEW_JOBS_PER_TICK = 100;

/**
 * The claim of the due watches, to end the tick's last write batch (so it costs no round trip of
 * its own): nothing when the polls left no budget, since polling always comes first.
 */
export function watchClaim(
  db: Database,
  opts: { now: number; token: string; budget: RequestBudget },
): { statements: Statement[]; read: (results: readonly unknown[]) => WatchRow[] } {
  if (!opts.budget.available) return { statements: [], read: () => [] };
  const claim = claimDueWatchesStatement(db, {
    now: opts.now,
    limit: MAX_WATCHES_PER_TICK,
    token: opts.token,
    leaseUntil: opts.now + LEASE_MS,
  });
  return { statements: [claim], read: (results) => (results[0] ?? []) as WatchRow[] };
}

export interface DiscoveryRound {
  /** Watches scanned (at least one list request made). */
  scanned: number;
  /** Jobs that started being tracked. */
  found: number;
  /** List requests made. */
  pages: number;
  /** Upstream requests made: the list pages and every request of the tracking polls. */
  requests: number;
  /** D1 round trips made. */
  roundTrips: number;
  /** Set when LlamaCloud answered 429: the monitor-wide pause now runs until then. */
  pauseUntil: number | null;
}

interface ScanContext {
  db: Database;
  config: Config;
  budget: RequestBudget;
  now: number;
  deadline: number;
  /** New jobs the tick may still start tracking. */
  jobsLeft: number;
  pauseUntil: number | null;
}

/**
 * Scans the watches this tick claimed (with `token`), one after another, and writes every watch's
 * outcome (releasing its lease) in one D1 batch at the end. A watch not reached (budget spent, time
 * up, a 429) is given back still due.
 */
export async function scanWatches(
  db: Database,
  config: Config,
  claimed: readonly WatchRow[],
  opts: { now: number; token: string; deadline: number; budget: RequestBudget },
): Promise<DiscoveryRound> {
  const ctx: ScanContext = {
    db,
    config,
    budget: opts.budget,
    now: opts.now,
    deadline: opts.deadline,
    jobsLeft: MAX_NEW_JOBS_PER_TICK,
    pauseUntil: null,
  };
  const round: DiscoveryRound = {
    scanned: 0,
    found: 0,
    pages: 0,
    requests: 0,
    roundTrips: 0,
    pauseUntil: null,
  };
  const usedBefore = opts.budget.used;
  const writes: Statement[][] = [];
  for (const watch of claimed) {
    if (!canContinue(ctx)) {
      writes.push([releaseWatchStatement(db, watch.id, opts.token)]);
      continue;
    }
    let scan: WatchScan;
    try {
      scan = await scanWatch(ctx, watch);
    } catch (error) {
      // A D1 fault while scanning one watch must not cost the others their scan (or the tick its prune).
      console.error(JSON.stringify({ event: "scan_error", watch_id: watch.id, message: String(error) }));
      writes.push([releaseWatchStatement(db, watch.id, opts.token)]);
      continue;
    }
    round.pages += scan.pages;
    round.roundTrips += scan.roundTrips;
    round.found += scan.found;
    if (scan.pages === 0) {
      writes.push([releaseWatchStatement(db, watch.id, opts.token)]);
      continue;
    }
    round.scanned++;
    const changes = scanOutcome(
      watch,
      { end: scan.end, passStartedAt: scan.passStartedAt, plan: scan.plan, jobsFound: scan.found },
      opts.now,
      config.pollIntervalSeconds,
    );
    writes.push([scanOutcomeStatement(db, watch.id, opts.token, changes)]);
  }
  // A 429 on a list request pauses every request, as one on a poll does (a tracking poll's 429 has
  // already written its pause with the job).
  if (ctx.pauseUntil !== null) writes.push([pauseStatement(db, ctx.pauseUntil, opts.now)]);
  round.pauseUntil = ctx.pauseUntil;
  round.requests = opts.budget.used - usedBefore;
  if (writes.length > 0) round.roundTrips += await runGroups(db, writes);
  return round;
}

function canContinue(ctx: ScanContext): boolean {
  return ctx.pauseUntil === null && ctx.budget.available && Date.now() < ctx.deadline;
}

interface WatchScan {
  end: ScanEnd;
  plan: ReturnType<typeof scanPlan>;
  passStartedAt: number;
  pages: number;
  found: number;
  roundTrips: number;
}

/** One watch: its pages (up to the bounds), which listed jobs are new, and their tracking polls. */
async function scanWatch(ctx: ScanContext, watch: WatchRow): Promise<WatchScan> {
  const plan = scanPlan({ apis: watchApis(watch), v2Since: watch.v2Since });
  let cursor = readCursor(watch.scanCursor, plan.length) ?? startOfPass(ctx.now);
  const passStartedAt = cursor.passStartedAt;
  const scope = { projectId: watch.projectId, organizationId: watch.organizationId };
  const pages: ListedPage[] = [];
  let requested = 0;
  let end: ScanEnd = { kind: "complete" };
  for (let step = plan[cursor.step]; step !== undefined; step = plan[cursor.step]) {
    if (requested >= MAX_PAGES_PER_SCAN || !canContinue(ctx) || !ctx.budget.take()) {
      end = { kind: "bounded", cursor };
      break;
    }
    requested++;
    const result = await fetchPage(ctx.config, scope, pageRequest(step, cursor));
    if (!result.ok) {
      if (result.failure.kind === "rate_limited") ctx.pauseUntil = result.failure.retryAt ?? ctx.now;
      end = { kind: "failed", cursor, failure: result.failure };
      break;
    }
    const previousPassAt = step.api === "v2" ? step.previousPassAt : null;
    pages.push({ api: step.api, jobs: result.answer.jobs, cursorBefore: cursor, previousPassAt });
    const next = afterPage(cursor, plan.length, result.answer.end);
    if (next === null) break;
    cursor = next;
  }

  // Which listed jobs are new: one round trip for every id the scan saw.
  const ids = [...new Set(pages.flatMap((page) => page.jobs.map((job) => job.id)))];
  const known = ids.length > 0 ? await knownJobIds(ctx.db, ids) : new Set<string>();
  let roundTrips = ids.length > 0 ? 1 : 0;
  const limit = Math.min(MAX_NEW_JOBS_PER_SCAN, ctx.jobsLeft);
  const { picks, resumeAt } = chooseNewJobs(pages, known, { projectId: watch.projectId, limit });

  // Tracking polls, at most six in flight, written together once they are all in (a round trip for
  // all, not one each); a pick not started (budget, time, 429) is found next scan.
  const done: boolean[] = new Array(picks.length).fill(false);
  const polls: FirstPoll[] = [];
  await inPool(
    picks,
    () => !canContinue(ctx),
    async (pick, index) => {
      // The first unit is taken here, so a budget spent by the other slots meanwhile skips the job
      // instead of leaving its tracking poll without a request.
      if (!ctx.budget.take()) return;
      const first = await readFirstPoll(
        ctx.config,
        {
          jobId: pick.id,
          projectId: watch.projectId,
          organizationId: watch.organizationId,
          label: null,
          api: pick.api,
          watchId: watch.id,
        },
        ctx.now,
        // Not tracked (the lookup above) and not paused (the claim): no round trip asks again.
        null,
        withTakenUnit(ctx.budget),
      );
      done[index] = true;
      if (first.kind !== "read") return;
      polls.push(first.poll);
      // A 429 stops the other slots at once; the pause itself is written with the job.
      const pause = first.poll.outcome.pauseUntil;
      if (pause !== null) ctx.pauseUntil = Math.max(ctx.pauseUntil ?? 0, pause);
    },
  );
  const tracked = await startTracking(ctx.db, polls, ctx.now);
  roundTrips += tracked.roundTrips;
  ctx.jobsLeft -= tracked.found;
  const leftover = picks.find((_, index) => !done[index])?.cursorBefore ?? resumeAt;
  return {
    end: withLeftovers(end, leftover),
    plan,
    passStartedAt,
    pages: requested,
    found: tracked.found,
    roundTrips,
  };
}

/** One list page of either generation, with what it says about the rest of its list. */
async function fetchPage(
  config: Config,
  scope: { projectId: string; organizationId: string | null },
  request: ListRequest,
): Promise<UpstreamResult<{ jobs: ListedJob[]; end: PageEnd }>> {
  const target = llamaCloudTarget(config);
  if (request.api === "v1") {
    return mapAnswer(await fetchV1ListPage(target, scope, request), ({ jobs, totalSize }) => ({
      jobs,
      end: { api: "v1", listed: jobs.length, totalSize },
    }));
  }
  return mapAnswer(await fetchV2ListPage(target, scope, request), ({ batches, nextPageToken }) => ({
    jobs: batches,
    end: { api: "v2", nextPageToken },
  }));
}

/** `budget` with one unit already taken from it: the first take() uses that unit. */
function withTakenUnit(budget: RequestBudget): RequestBudget {
  let reserved = true;
  return {
    take() {
      if (!reserved) return budget.take();
      reserved = false;
      return true;
    },
    get available() {
      return reserved || budget.available;
    },
    get used() {
      return budget.used;
    },
    get left() {
      return budget.left + (reserved ? 1 : 0);
    },
  };
}
