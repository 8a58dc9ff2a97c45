/**
 * The one counted budget of an invocation (README "Plans and limits"): every upstream request (a v1
 * status, a v1 items page, a v2 batch, each v2 child page, each watch list page), every delivery
 * attempt and every D1 query is charged to it, so a tick stays inside its Workers plan's limits
 * however many child pages, deliveries or watches it meets. Work that does not fit waits for the
 * next tick.
 */

import type { PlanLimits } from "../config";

/** The upstream side, as polls, v2 child pages and discovery use it. */
export interface RequestBudget {
  /** Takes one unit; false (and nothing taken) once the budget is spent. */
  take(): boolean;
  /** True while at least one unit is left. */
  readonly available: boolean;
  /** Units taken so far. */
  readonly used: number;
  /** Units still to take. */
  readonly left: number;
}

export interface InvocationBudget extends RequestBudget {
  readonly plan: PlanLimits;
  /** Takes one subrequest for a delivery attempt (upstream requests and deliveries share the limit). */
  takeDelivery(): boolean;
  /** Subrequests still free: upstream and deliveries together. */
  readonly subrequestsLeft: number;
  /** Subrequests taken: upstream and deliveries together. */
  readonly subrequests: number;
  /** D1 query units of `statements` statements sent in `batches` round trips, in the plan's unit. */
  queryCost(statements: number, batches: number): number;
  /** Takes `units` D1 queries if `keep` units are still left after them; false and nothing taken if not. */
  takeQueries(units: number, keep?: number): boolean;
  /** Counts `units` D1 queries that must be made whatever is left (writes a `keep` was planned for). */
  chargeQueries(units: number): void;
  /** D1 query units taken so far. */
  readonly queries: number;
  /** D1 query units still to take. */
  readonly queriesLeft: number;
}

/**
 * The budget of one invocation: at most `upstream` upstream requests (`take`), at most
 * `limits.subrequests` subrequests with deliveries, at most `limits.queries` D1 queries.
 */
export function invocationBudget(limits: PlanLimits, upstream: number = limits.upstream): InvocationBudget {
  const upstreamLimit = Math.min(upstream, limits.subrequests);
  let used = 0;
  let delivered = 0;
  let queries = 0;
  const subrequestsLeft = () => limits.subrequests - used - delivered;
  return {
    plan: limits,
    take() {
      if (used >= upstreamLimit || subrequestsLeft() <= 0) return false;
      used++;
      return true;
    },
    get available() {
      return used < upstreamLimit && subrequestsLeft() > 0;
    },
    get used() {
      return used;
    },
    get left() {
      return Math.max(0, Math.min(upstreamLimit - used, subrequestsLeft()));
    },
    takeDelivery() {
      if (subrequestsLeft() <= 0) return false;
      delivered++;
      return true;
    },
    get subrequestsLeft() {
      return subrequestsLeft();
    },
    get subrequests() {
      return used + delivered;
    },
    queryCost(statements, batches) {
      return limits.queryUnit === "statement" ? statements : batches;
    },
    takeQueries(units, keep = 0) {
      if (limits.queries - queries - units < keep) return false;
      queries += units;
      return true;
    },
    chargeQueries(units) {
      queries += units;
    },
    get queries() {
      return queries;
    },
    get queriesLeft() {
      return limits.queries - queries;
    },
  };
}

/**
 * A budget of `limit` upstream requests and nothing else to count (a manual, callback or tracking
 * poll, which makes a handful of requests and D1 round trips of its own).
 */
export function requestBudget(limit: number): InvocationBudget {
  return invocationBudget({
    subrequests: limit,
    upstream: limit,
    queries: Number.MAX_SAFE_INTEGER,
    queryUnit: "batch",
  });
}
