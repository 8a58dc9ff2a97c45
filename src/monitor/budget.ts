/**
 * The one counted request budget of an invocation (README "Plans and limits"): every upstream request
 * (a v1 status, a v1 items page, a v2 batch, each v2 child page) takes one unit, so a tick stays inside
 * the subrequest limit however many child pages its batches need. Issue 13 extends the same budget
 * to deliveries and D1 round trips.
 */
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

export function requestBudget(limit: number): RequestBudget {
  let used = 0;
  return {
    take() {
      if (used >= limit) return false;
      used++;
      return true;
    },
    get available() {
      return used < limit;
    },
    get used() {
      return used;
    },
    get left() {
      return limit - used;
    },
  };
}
