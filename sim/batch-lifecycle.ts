// Pure lifecycle arithmetic of a v2 batch, in closed form like lifecycle.ts, so a batch of thousands
// of files costs nothing until someone asks about it.
//
// Positions: 0 = PENDING; from 1 on the batch is RUNNING and each position is one step. Steps do
// work (map `filesPerStep` files, move child jobs on) except during the THROTTLED phase, when
// nothing moves. `work(p)` counts the steps that did work. File `f` is mapped at work
// `floor(f / filesPerStep) + 1`: its entry joins `results` and, unless it cannot be mapped, its job
// starts PENDING, runs from the next work step and ends `childSteps` work steps later.

import type { BatchClock, BatchHalt, BatchPlan, ChildOutcome, SimBatch } from "./batch-model";

export const PENDING = 0;
export const RUNNING = 1;

/** Whether item `i` of `total` is one of `n` spread evenly among them (the last item often is). */
export function spread(i: number, n: number, total: number): boolean {
  return total > 0 && Math.floor(((i + 1) * n) / total) > Math.floor((i * n) / total);
}

/** Work steps done by `position` (the THROTTLED phase does none). */
export function workAt(plan: BatchPlan, position: number): number {
  if (position <= PENDING) return 0;
  const raw = position - RUNNING;
  if (raw <= plan.throttleAfterSteps) return raw;
  return Math.max(plan.throttleAfterSteps, raw - plan.throttledSteps);
}

/** The first position at which `work` steps are done. */
export function positionOfWork(plan: BatchPlan, work: number): number {
  if (work <= plan.throttleAfterSteps) return RUNNING + work;
  return RUNNING + work + plan.throttledSteps;
}

export function isThrottledAt(plan: BatchPlan, position: number): boolean {
  const raw = position - RUNNING;
  return raw > plan.throttleAfterSteps && raw <= plan.throttleAfterSteps + plan.throttledSteps;
}

/** Files the plan lets the batch map. */
export function mappingLimit(plan: BatchPlan): number {
  return plan.scenario === "completes" ? plan.totalFiles : Math.min(plan.stopAt, plan.totalFiles);
}

export function mappedAtWork(plan: BatchPlan, work: number): number {
  return Math.min(mappingLimit(plan), work * plan.filesPerStep);
}

/** The work step at which file `f` is mapped. */
function mapWork(plan: BatchPlan, file: number): number {
  return Math.floor(file / plan.filesPerStep) + 1;
}

export function isUnmappable(plan: BatchPlan, file: number): boolean {
  return spread(file, plan.unmappableFiles, plan.totalFiles);
}

/** How a mappable file's job ends: failed, cancelled and stuck jobs spread evenly among all jobs. */
function childOutcome(plan: BatchPlan, file: number): ChildOutcome {
  let index = file - Math.floor((file * plan.unmappableFiles) / plan.totalFiles);
  let pool = plan.totalFiles - plan.unmappableFiles;
  const kinds: [ChildOutcome, number][] = [
    ["FAILED", plan.failedChildren],
    ["CANCELLED", plan.cancelledChildren],
    ["stuck", plan.stuckChildren],
  ];
  for (const [kind, n] of kinds) {
    if (spread(index, n, pool)) return kind;
    index -= Math.floor((index * n) / pool);
    pool -= n;
  }
  return "COMPLETED";
}

/** Work steps at which a file's job is created, starts running, and ends (never, when stuck). */
export function childMilestones(
  plan: BatchPlan,
  file: number,
): { created: number; running: number; ended: number } {
  const created = mapWork(plan, file);
  const ended =
    childOutcome(plan, file) === "stuck" ? Number.POSITIVE_INFINITY : created + 1 + plan.childSteps;
  return { created, running: created + 1, ended };
}

/** `batchEnd`: work step at which the batch itself ends (infinite while it waits on stuck jobs); `finalWork`: after which nothing changes. */
export type BatchCourse = SimBatch["course"];

/** Where the plan ends, walking the mapped files once. */
export function courseOf(plan: BatchPlan): BatchCourse {
  const limit = mappingLimit(plan);
  const mappingDone = Math.ceil(limit / plan.filesPerStep);
  let lastMilestone = 0;
  let lastEnd = 0;
  let stuck = false;
  for (let file = 0; file < limit; file++) {
    if (isUnmappable(plan, file)) continue;
    const { running, ended } = childMilestones(plan, file);
    if (Number.isFinite(ended)) lastEnd = Math.max(lastEnd, ended);
    else stuck = true;
    lastMilestone = Math.max(lastMilestone, Number.isFinite(ended) ? ended : running);
  }
  const waitsForChildren = plan.scenario === "completes" && !plan.completesBeforeChildren;
  const batchEnd = !waitsForChildren
    ? mappingDone + 1
    : stuck
      ? Number.POSITIVE_INFINITY
      : Math.max(mappingDone + 1, lastEnd);
  const finalWork = Math.max(Number.isFinite(batchEnd) ? batchEnd : 0, lastMilestone);
  return { batchEnd, finalWork };
}

export function batchStatusAt(
  plan: BatchPlan,
  course: BatchCourse,
  position: number,
  halt: BatchHalt | null,
): string {
  if (halt) return "CANCELLED";
  if (position <= PENDING) return "PENDING";
  if (workAt(plan, position) >= course.batchEnd)
    return plan.scenario === "completes" ? "COMPLETED" : "FAILED";
  return isThrottledAt(plan, position) ? "THROTTLED" : "RUNNING";
}

/** Where one file's job stands at `position`: null before it exists (or when it never will). */
export function childStatusAt(
  plan: BatchPlan,
  file: number,
  position: number,
  halt: BatchHalt | null,
): ChildOutcome | "PENDING" | "RUNNING" | null {
  const at = halt ? Math.min(position, halt.position) : position;
  if (file >= mappingLimit(plan) || isUnmappable(plan, file)) return null;
  const work = workAt(plan, at);
  const { created, running, ended } = childMilestones(plan, file);
  if (at <= PENDING || work < created) return null;
  if (work >= ended) return childOutcome(plan, file);
  if (halt && position >= halt.position) return "CANCELLED";
  return work >= running ? "RUNNING" : "PENDING";
}

/** Realtime: ms after the anchor at which a position is reached. */
export function offsetOfPosition(clock: BatchClock, plan: BatchPlan, position: number): number {
  if (position <= PENDING) return 0;
  return clock.pendingMs + (position - RUNNING) * stepMs(clock, plan);
}

/** Realtime: the position reached `elapsedMs` after the anchor, capped at `final`. */
export function positionAfter(clock: BatchClock, plan: BatchPlan, elapsedMs: number, final: number): number {
  if (elapsedMs < clock.pendingMs) return PENDING;
  return Math.min(final, RUNNING + Math.floor((elapsedMs - clock.pendingMs) / stepMs(clock, plan)));
}

function stepMs(clock: BatchClock, plan: BatchPlan): number {
  return (1000 * plan.filesPerStep) / clock.speed;
}
