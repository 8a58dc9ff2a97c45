/**
 * The job page's estimate of when a job ends, from its recent rate: a pure function of the job and
 * the snapshot that stood about ETA_WINDOW_MS ago, unit-tested in test/pages/view.test.ts.
 */
import { doneItems, hasEnded } from "./view";

/** The ETA is the rate over roughly this much recent history. */
export const ETA_WINDOW_MS = 15 * 60_000;
const MINUTE = 60_000;

export type Eta =
  | { kind: "none" }
  | { kind: "unknown"; reason: string }
  | { kind: "waiting" }
  | { kind: "finishing" }
  | { kind: "stalled"; since: number }
  | { kind: "eta"; remainingMs: number; at: number; perMinute: number; overMs: number };

export interface EtaInput {
  state: string;
  /** `v2` when the status alone does not end the job (see hasEnded); v1 when missing. */
  api?: string;
  status: string | null;
  totalItems: number | null;
  processedItems: number | null;
  failedItems: number | null;
  skippedItems: number | null;
  /** The time the current counts were last confirmed (the last poll). */
  asOf: number;
  /** Set by the monitor once nothing has changed for STALL_AFTER_MINUTES. */
  stalledSince: number | null;
}

export interface RateReference {
  observedAt: number;
  processedItems: number | null;
  failedItems: number | null;
  skippedItems: number | null;
}

/**
 * Estimated time to completion from the recent rate: items dealt with since `reference` (the
 * snapshot that stood about ETA_WINDOW_MS ago, or the first one) divided by the time since, applied
 * to the items left. A zero rate is "stalled"; a job not being polled any more has no ETA.
 */
export function estimateCompletion(job: EtaInput, reference: RateReference | null): Eta {
  if (hasEnded(job)) return { kind: "none" };
  const done = doneItems(job);
  if (job.totalItems === null) return { kind: "unknown", reason: "LlamaCloud has not reported a total yet" };
  if (job.totalItems > 0 && done >= job.totalItems) return { kind: "finishing" };
  if (job.stalledSince !== null) return { kind: "stalled", since: job.stalledSince };
  if (!reference) return { kind: "unknown", reason: "no history yet" };
  // A reference older than the window still describes the job at the window's start (nothing changed
  // in between), so the rate is measured over the window, not diluted by an older quiet spell.
  const from = Math.max(reference.observedAt, job.asOf - ETA_WINDOW_MS);
  const overMs = job.asOf - from;
  if (overMs < MINUTE) return { kind: "unknown", reason: "not enough history yet" };
  const progressed = done - doneItems(reference);
  if (progressed < 0) return { kind: "unknown", reason: "the counts went down" };
  if (progressed === 0) {
    if (done === 0 && (job.status === "pending" || job.status === "dispatched")) return { kind: "waiting" };
    return { kind: "stalled", since: reference.observedAt };
  }
  const perMs = progressed / overMs;
  const remainingMs = Math.ceil((job.totalItems - done) / perMs);
  return { kind: "eta", remainingMs, at: job.asOf + remainingMs, perMinute: perMs * MINUTE, overMs };
}
