/**
 * The monitor's vocabulary, shared by every layer: the database stores it, the monitor decides in it,
 * the JSON shapes and pages show it. It imports nothing, so any module may use it.
 */

/** Where a job's tracking stands: polled, done (a terminal status was seen) or lost (404s in a row). */
export const TRACKING_STATES = ["active", "finished", "lost"] as const;
export type TrackingState = (typeof TRACKING_STATES)[number];

/** The two generations of LlamaCloud batch API a job can belong to (README "What it watches"). */
export const APIS = ["v1", "v2"] as const;
export type Api = (typeof APIS)[number];

/** The API a job id belongs to when nobody says: `bat-…` ids are v2 batches, any other id is v1. */
export function apiOfJobId(jobId: string): Api {
  return jobId.startsWith("bat-") ? "v2" : "v1";
}

/** What made a snapshot: tracking, the tick, a LlamaCloud callback, or a manual poll. */
export const SNAPSHOT_SOURCES = ["track", "poll", "webhook", "manual"] as const;

/** The notifications batchwatch sends (README "Notifications (webhooks out)"). */
export const EVENT_TYPES = [
  "job.tracked",
  "job.status_changed",
  "job.progressed",
  "job.stalled",
  "job.poll_failing",
  "job.finished",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What a subscription's deliveries look like: signed Standard Webhooks, or a Slack or Discord message. */
export const SUBSCRIPTION_FORMATS = ["standard", "slack", "discord"] as const;
export type SubscriptionFormat = (typeof SUBSCRIPTION_FORMATS)[number];

/** What one answer says of a job; the job keeps the latest and a snapshot is written when any of it changes. */
export interface Observation {
  status: string | null;
  totalItems: number | null;
  processedItems: number | null;
  failedItems: number | null;
  skippedItems: number | null;
  progressPercentage: number | null;
  errorMessage: string | null;
  upstreamUpdatedAt: string | null;
}

/** What is known of a job before LlamaCloud has answered for it: nothing. */
export const NO_OBSERVATION: Readonly<Observation> = {
  status: null,
  totalItems: null,
  processedItems: null,
  failedItems: null,
  skippedItems: null,
  progressPercentage: null,
  errorMessage: null,
  upstreamUpdatedAt: null,
};

/** What an accepted answer says of a job, whatever its API: what the job columns keep of it. */
export interface UpstreamView {
  observation: Observation;
  jobType: string | null;
  /** The upstream answer as JSON (unknown fields kept), shown under "all fields". */
  upstreamJob: string;
}

/** One file of a job as the items table keeps it (v1: a failed item; v2: a results entry). */
export interface ItemState {
  /** v1: `item_id`; v2: `source_directory_file_id`. */
  itemId: string;
  name: string | null;
  /** Lower case. */
  status: string;
  errorMessage: string | null;
  /** The v2 child job the file became; null for v1 items and files that could not be mapped. */
  childJobId: string | null;
  childType: string | null;
  /** The upstream time of the item's latest state, as sent. */
  updatedAt: string | null;
  /** Nothing more will change: never fetched or rewritten again. */
  settled: boolean;
}

/** The fields of a job a poll outcome sets (tracking fields, and the upstream ones on success). */
export interface JobChanges {
  state: TrackingState;
  lastPolledAt: number;
  nextPollAt: number | null;
  pollIntervalSeconds: number;
  consecutiveFailures: number;
  consecutiveNotFound: number;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  lastErrorAt: number | null;
  stalledSince: number | null;
  lastSuccessAt?: number;
  lastChangeAt?: number | null;
  /** When the upstream status was first seen terminal (null while it is not); set by accepted answers. */
  terminalSeenAt?: number | null;
  /** Present only when the answer was accepted (not stale): the new upstream view of the job. */
  upstream?: UpstreamView;
}
