/**
 * Pure view-model functions for the HTML pages: formatting, markers, the ETA and the status
 * timeline. Nothing here touches D1 or the request, so every rule is unit-tested on its own.
 */
import type { JobRow } from "../db/schema";
import { isTerminal, LOST_AFTER_NOT_FOUND } from "../monitor/decisions";

/** The statuses the dashboard's filter offers: v1's, and v2's `throttled` (v2 statuses are shown lower case). */
export const KNOWN_STATUSES = [
  "pending",
  "dispatched",
  "running",
  "throttled",
  "completed",
  "failed",
  "cancelled",
] as const;

/** How often a page showing an active job reloads itself (a `<meta http-equiv="refresh">`). */
export const REFRESH_SECONDS = 30;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type Tone = "neutral" | "info" | "active" | "good" | "bad" | "muted";

/** The colour family a status is drawn in; unknown future statuses are neutral, never an error. */
export function statusTone(status: string | null): Tone {
  switch (status) {
    case "pending":
    case "dispatched":
    case "throttled":
      return "info";
    case "running":
    case "processing":
      return "active";
    case "completed":
      return "good";
    case "failed":
      return "bad";
    case "cancelled":
    case "skipped":
      return "muted";
    default:
      return "neutral";
  }
}

/** The text shown for a status; a job not yet answered by LlamaCloud has none. */
export function statusText(status: string | null): string {
  return status ?? "not polled yet";
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** "12,345", or an en dash for a count LlamaCloud did not report. */
export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "–" : integer.format(n);
}

/** The item counts every job view shows, in this order: the dashboard's columns, the job page's list. */
export const ITEM_COUNTS = [
  ["Processed", "processedItems"],
  ["Failed", "failedItems"],
  ["Skipped", "skippedItems"],
  ["Total", "totalItems"],
] as const satisfies readonly (readonly [string, keyof JobRow])[];

/**
 * Progress in percent, clamped to 0–100: LlamaCloud's own figure when it sent one, otherwise derived
 * from the counts; null when neither is known.
 */
export function progressPercent(job: {
  progressPercentage: number | null;
  totalItems: number | null;
  processedItems: number | null;
  failedItems: number | null;
  skippedItems: number | null;
}): number | null {
  let pct = job.progressPercentage;
  if (pct === null || !Number.isFinite(pct)) {
    if (!job.totalItems || job.totalItems <= 0) return null;
    pct = (100 * doneItems(job)) / job.totalItems;
  }
  return Math.min(100, Math.max(0, pct));
}

/** "42%", "99.5%", "100%": one decimal only where it matters. */
export function formatPercent(pct: number | null): string {
  if (pct === null) return "–";
  const rounded = pct >= 99 && pct < 100 ? Math.floor(pct * 10) / 10 : Math.floor(pct);
  return `${rounded}%`;
}

/** Items the job has dealt with, one way or another. */
export function doneItems(counts: {
  processedItems: number | null;
  failedItems: number | null;
  skippedItems: number | null;
}): number {
  return (counts.processedItems ?? 0) + (counts.failedItems ?? 0) + (counts.skippedItems ?? 0);
}

/** A duration for people: "45 s", "12 min", "2 h 5 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  const abs = Math.max(0, Math.abs(ms));
  if (abs < MINUTE) return `${Math.floor(abs / SECOND)} s`;
  if (abs < HOUR) return `${Math.floor(abs / MINUTE)} min`;
  if (abs < DAY) {
    const h = Math.floor(abs / HOUR);
    const m = Math.floor((abs % HOUR) / MINUTE);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(abs / DAY);
  const h = Math.floor((abs % DAY) / HOUR);
  return h ? `${d} d ${h} h` : `${d} d`;
}

/** "just now", "2 min ago", "in 40 s": relative to `now`, in either direction. */
export function timeAgo(at: number, now: number): string {
  const delta = now - at;
  if (Math.abs(delta) < 5 * SECOND) return "just now";
  return delta > 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(-delta)}`;
}

/** The exact time, for `title` attributes and tables: "2026-11-28 14:05:09 UTC". */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export type MarkerKind = "stalled" | "failing" | "rate_limited" | "lost" | "error";

export interface Marker {
  kind: MarkerKind;
  /** Short text on the marker. */
  text: string;
  /** The explanation shown on hover and read by screen readers. */
  title: string;
}

/** The warnings a job carries: stalled, polls failing, lost upstream, an upstream error message. */
export function jobMarkers(
  job: Pick<
    JobRow,
    "state" | "stalledSince" | "consecutiveFailures" | "lastErrorMessage" | "lastErrorCode" | "errorMessage"
  >,
  now: number,
): Marker[] {
  const markers: Marker[] = [];
  if (job.state === "lost") {
    markers.push({
      kind: "lost",
      text: "lost",
      title: `LlamaCloud no longer knows this job (404 ${LOST_AFTER_NOT_FOUND} times in a row); polling stopped.`,
    });
  }
  if (job.state === "active" && job.stalledSince !== null) {
    markers.push({
      kind: "stalled",
      text: "stalled",
      title: `No change for ${formatDuration(now - job.stalledSince)} (since ${formatUtc(job.stalledSince)}).`,
    });
  }
  if (job.state !== "lost" && job.consecutiveFailures > 0) {
    const n = job.consecutiveFailures;
    const reason = job.lastErrorMessage ?? job.lastErrorCode ?? "unknown error";
    markers.push({
      kind: "failing",
      text: n === 1 ? "1 failed poll" : `${n} failed polls`,
      title: `The last ${n === 1 ? "poll" : `${n} polls`} failed: ${reason}`,
    });
  }
  // A 429 is not counted against the job, but the operator should still see that it is waiting.
  if (job.state === "active" && job.consecutiveFailures === 0 && job.lastErrorCode === "rate_limited") {
    markers.push({
      kind: "rate_limited",
      text: "rate limited",
      title:
        job.lastErrorMessage ?? "LlamaCloud asked batchwatch to slow down; polling resumes after the pause.",
    });
  }
  if (job.errorMessage) {
    markers.push({ kind: "error", text: "error", title: `LlamaCloud reports: ${job.errorMessage}` });
  }
  return markers;
}

/**
 * Whether the job's counts will not move any more. A v2 batch is `completed` once every file is
 * mapped to a job, while those jobs may still run, so for v2 only the tracking state tells.
 */
export function hasEnded(job: { state: string; status: string | null; api?: string }): boolean {
  return job.state !== "active" || (job.api !== "v2" && isTerminal(job.status));
}

/** Whether the page should reload itself: while any job it shows is still being polled. */
export function shouldRefresh(jobs: readonly { state: string }[]): boolean {
  return jobs.some((job) => job.state === "active");
}

export interface StatusPoint {
  observedAt: number;
  status: string | null;
}

/** The snapshots where the status differs from the one before (the first always counts), in order. */
export function statusChanges<T extends StatusPoint>(snapshots: readonly T[]): T[] {
  const changes: T[] = [];
  let previous: string | null | undefined;
  for (const snapshot of snapshots) {
    if (changes.length === 0 || snapshot.status !== previous) changes.push(snapshot);
    previous = snapshot.status;
  }
  return changes;
}

export interface TimelineEntry {
  status: string | null;
  from: number;
  /** When the next status began; null for the status the job is in now. */
  to: number | null;
  /** How long the job was (or has been, up to `now`) in this status; null once a terminal status is reached. */
  durationMs: number | null;
}

/**
 * The status timeline from the ordered status changes: each entry lasts until the next one starts.
 * The current entry runs until `now` unless it is terminal (a finished job stays finished).
 */
export function buildTimeline(changes: readonly StatusPoint[], now: number): TimelineEntry[] {
  return changes.map((change, i) => {
    const next = changes[i + 1];
    if (next)
      return {
        status: change.status,
        from: change.observedAt,
        to: next.observedAt,
        durationMs: next.observedAt - change.observedAt,
      };
    return {
      status: change.status,
      from: change.observedAt,
      to: null,
      durationMs: isTerminal(change.status) ? null : Math.max(0, now - change.observedAt),
    };
  });
}

/** A label the page can show for a job: its label, else its id. */
export function jobTitle(job: { label: string | null; jobId: string }): string {
  return job.label?.trim() ? job.label : job.jobId;
}

/** Long upstream strings (error messages, unknown fields) are cut for tables; the full text goes in a title. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
