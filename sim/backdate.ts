import type { Lifecycle } from "./model";

/** What a simulated job or batch keeps of its past: where it is, and when it reached each position. */
interface Placed extends Pick<Lifecycle<unknown>, "position" | "reachedAtMs" | "updatedAtMs"> {
  clock: { anchorMs: number };
  createdAtMs: number;
}

/**
 * A new job's or batch's lifecycle: at position 0 (pending) since `nowMs`, nothing patched yet, with
 * the extra and omitted answer fields it was created with.
 */
export function newLifecycle(
  nowMs: number,
  input: { extra?: Record<string, unknown>; omit?: string[] },
): Lifecycle<never> {
  return {
    position: 0,
    reachedAtMs: [nowMs],
    halt: null,
    updatedAtMs: nowMs,
    overrides: {},
    extra: { ...input.extra },
    omit: [...(input.omit ?? [])],
  };
}

/**
 * An answer about a job or batch as the control routes left it: `overrides` laid over it, its extra
 * fields added, its omitted fields taken out.
 */
export function dressed<T extends Record<string, unknown>>(
  answer: T,
  overrides: Record<string, unknown>,
  thing: Pick<Lifecycle<unknown>, "extra" | "omit">,
): T {
  const merged: T = { ...answer, ...overrides, ...thing.extra };
  for (const field of thing.omit) delete merged[field];
  return merged;
}

/** Moves `updated_at` forward, strictly, even when two changes share a millisecond. */
export function touch(thing: Pick<Lifecycle<unknown>, "updatedAtMs">, atMs: number): void {
  thing.updatedAtMs = Math.max(atMs, thing.updatedAtMs + 1);
}

/**
 * Places a job or batch at `position` as of now, as if it had lived through the earlier positions at
 * its clock's pace; `offsetOf(q)` is how long after position 0 its lifecycle reaches position q.
 */
export function backdate(
  thing: Placed,
  position: number,
  nowMs: number,
  offsetOf: (q: number) => number,
): void {
  const anchorMs = nowMs - offsetOf(position);
  thing.clock.anchorMs = anchorMs;
  thing.createdAtMs = anchorMs;
  thing.reachedAtMs = [];
  for (let q = 0; q <= position; q++) thing.reachedAtMs.push(anchorMs + offsetOf(q));
  thing.position = position;
  thing.updatedAtMs = nowMs;
}
