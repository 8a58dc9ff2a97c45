/** What a simulated job or batch keeps of its past: where it is, and when it reached each position. */
interface Placed {
  clock: { anchorMs: number };
  createdAtMs: number;
  reachedAtMs: number[];
  position: number;
  updatedAtMs: number;
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
