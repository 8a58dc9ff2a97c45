// Pure lifecycle arithmetic: everything a job shows follows from its plan and its position, so the
// same code serves manual steps and realtime progress, and nothing needs a timer.
//
// Positions: 0 = pending, 1 = dispatched, 2 = running with no item finished, 2 + k = k steps of items
// finished. The last position is where the plan's scenario ends (or, for `stalls`, stops moving).

import type { Clock, Halt, ItemStatus, Plan } from "./model";

export const PENDING = 0;
export const DISPATCHED = 1;
export const RUNNING = 2;

/** Items the plan lets finish before its scenario ends. */
export function itemLimit(plan: Plan): number {
  return plan.scenario === "completes" ? plan.totalItems : Math.min(plan.stopAt, plan.totalItems);
}

export function finalPosition(plan: Plan): number {
  return RUNNING + Math.ceil(itemLimit(plan) / plan.itemsPerStep);
}

export function finishedItemsAt(plan: Plan, position: number): number {
  if (position < RUNNING) return 0;
  return Math.min(itemLimit(plan), (position - RUNNING) * plan.itemsPerStep);
}

export function statusAt(plan: Plan, position: number, halt: Halt | null): string {
  if (halt) return halt.status;
  if (position === PENDING) return "pending";
  if (position === DISPATCHED) return "dispatched";
  if (position < finalPosition(plan)) return "running";
  switch (plan.scenario) {
    case "completes":
      return "completed";
    case "fails":
      return "failed";
    case "cancelled":
      return "cancelled";
    case "stalls":
      return "running";
  }
}

/** Whether moving on from `position` can still change anything. */
export function canAdvance(plan: Plan, position: number, halt: Halt | null): boolean {
  return halt === null && position < finalPosition(plan);
}

/** The outcome of the item at 0-based `index` once it has finished. */
export function itemOutcome(plan: Plan, index: number): "completed" | "failed" | "skipped" {
  const n = index + 1;
  if (plan.skippedEvery > 0 && n % plan.skippedEvery === 0) return "skipped";
  if (plan.failedEvery > 0 && n % plan.failedEvery === 0) return "failed";
  return "completed";
}

export interface ItemCounts {
  processed: number;
  failed: number;
  skipped: number;
}

/** Counts among the first `finished` items, in closed form so huge jobs cost nothing. */
export function countsAfter(plan: Plan, finished: number): ItemCounts {
  const skipped = plan.skippedEvery > 0 ? Math.floor(finished / plan.skippedEvery) : 0;
  let failed = 0;
  if (plan.failedEvery > 0) {
    failed = Math.floor(finished / plan.failedEvery);
    // Items that are multiples of both are skipped, not failed.
    if (plan.skippedEvery > 0) failed -= Math.floor(finished / lcm(plan.failedEvery, plan.skippedEvery));
  }
  return { processed: finished - skipped - failed, failed, skipped };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/** Share of items finished (processed, failed or skipped), 0–100 with two decimals, as LlamaCloud shows it. */
export function progressPercentage(total: number, finished: number, status: string): number {
  if (total <= 0) return status === "completed" ? 100 : 0;
  return Math.round((finished / total) * 10_000) / 100;
}

/** Position at which the item at `index` finishes. */
export function finishPosition(plan: Plan, index: number): number {
  return RUNNING + Math.floor(index / plan.itemsPerStep) + 1;
}

/** Position at which the item at `index` enters `processing` (a slot among `concurrency` frees up). */
export function startPosition(plan: Plan, index: number): number {
  if (index < plan.concurrency) return RUNNING;
  return RUNNING + Math.floor((index - plan.concurrency) / plan.itemsPerStep) + 1;
}

/** Where an item stands at `position`, before timestamps are attached. */
export function itemStatusAt(plan: Plan, index: number, position: number, halt: Halt | null): ItemStatus {
  const finished = finishedItemsAt(plan, position);
  if (index < finished) return itemOutcome(plan, index);
  const status = statusAt(plan, position, halt);
  if (status === "cancelled" || status === "failed") return "cancelled";
  if (status === "running" && index < finished + plan.concurrency) return "processing";
  return "pending";
}

/** Realtime: how long after the anchor a position is reached. */
export function offsetOfPosition(clock: Clock, plan: Plan, position: number): number {
  if (position <= PENDING) return 0;
  if (position === DISPATCHED) return clock.pendingMs;
  return clock.pendingMs + clock.dispatchedMs + (position - RUNNING) * stepMs(clock, plan);
}

/** Realtime: the position a job has reached `elapsedMs` after its anchor, capped at the final one. */
export function positionAfter(clock: Clock, plan: Plan, elapsedMs: number): number {
  let position: number;
  if (elapsedMs < clock.pendingMs) position = PENDING;
  else if (elapsedMs < clock.pendingMs + clock.dispatchedMs) position = DISPATCHED;
  else
    position = RUNNING + Math.floor((elapsedMs - clock.pendingMs - clock.dispatchedMs) / stepMs(clock, plan));
  return Math.min(position, finalPosition(plan));
}

function stepMs(clock: Clock, plan: Plan): number {
  return (1000 * plan.itemsPerStep) / clock.speed;
}
