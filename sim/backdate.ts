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
