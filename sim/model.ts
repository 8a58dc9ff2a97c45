// The simulator's domain: the shapes LlamaCloud's v1 batch-processing API answers with (checked
// against @llamaindex/llama-cloud 2.13.0 by test/e2e/sim-fidelity.test.ts) and the simulator's own
// bookkeeping for a job's lifecycle. Type-only consumers (sim/control.ts inside workerd) import this
// file, so it must stay free of runtime dependencies.

export const JOB_STATUSES = ["pending", "dispatched", "running", "completed", "failed", "cancelled"] as const;
export type KnownJobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"]);

export const JOB_TYPES = ["parse", "extract", "classify"] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const ITEM_STATUSES = [
  "pending",
  "processing",
  "completed",
  "failed",
  "skipped",
  "cancelled",
] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** How a job's life ends: the simulator plays the lifecycle out step by step until that end. */
export const SCENARIOS = ["completes", "fails", "cancelled", "stalls"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** `manual`: moves only through control routes. `realtime`: derives its position from elapsed time. */
export type ClockMode = "manual" | "realtime";

/**
 * The upstream endpoints, as named in the request log and in fault filters: v1's four, then v2's
 * batch, batch list, batch cancel, and the child job lists (`/api/v2/parse`, `/api/v2/extract`).
 */
export const ENDPOINTS = [
  "status",
  "list",
  "items",
  "cancel",
  "batch",
  "batches",
  "batch_cancel",
  "children",
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** `job` inside `GET /api/v1/beta/batch-processing/{id}`, and one entry of the list answer. */
export interface BatchJobJson {
  id: string;
  job_type: string;
  project_id: string;
  status: string;
  total_items: number;
  completed_at: string | null;
  created_at: string | null;
  directory_id: string | null;
  effective_at: string;
  error_message: string | null;
  failed_items: number;
  job_record_id: string | null;
  processed_items: number;
  skipped_items: number;
  started_at: string | null;
  updated_at: string | null;
  workflow_id: string | null;
  [extra: string]: unknown;
}

export interface BatchStatusJson {
  job: BatchJobJson;
  progress_percentage: number;
}

export interface BatchItemJson {
  item_id: string;
  item_name: string;
  status: ItemStatus;
  completed_at: string | null;
  effective_at: string;
  error_message: string | null;
  job_id: string | null;
  job_record_id: string | null;
  skip_reason: string | null;
  started_at: string | null;
}

export interface PageJson<T> {
  items: T[];
  total_size: number;
}

/** What `POST /{id}/cancel` answers (the SDK's BatchCancelResponse), not the job itself. */
export interface CancelJson {
  job_id: string;
  message: string;
  processed_items: number;
  status: string;
}

/** The fixed course of one job: which items finish how, and where the lifecycle ends. */
export interface Plan {
  scenario: Scenario;
  totalItems: number;
  /** Items finished when a `fails` / `cancelled` / `stalls` job stops; `totalItems` for `completes`. */
  stopAt: number;
  /** Items finished by one step while running (manual mode: per `advance` step; realtime: per tick of `speed`). */
  itemsPerStep: number;
  /** Every n-th item (1-based) fails; 0 = none. */
  failedEvery: number;
  /** Every n-th item (1-based) is skipped; 0 = none. Skipping wins over failing. */
  skippedEvery: number;
  /** Items in `processing` at once while the job runs. */
  concurrency: number;
  /** The job's `error_message` once a `fails` job has failed. */
  failureMessage: string;
}

export interface Clock {
  mode: ClockMode;
  /** Items per second in realtime mode. */
  speed: number;
  pendingMs: number;
  dispatchedMs: number;
  /** Tenant-clock time at which position 0 was (or would have been) reached, for realtime mode. */
  anchorMs: number;
}

/** A job stopped from outside its plan, by the cancel endpoint. */
export interface Halt {
  status: "cancelled";
  position: number;
  atMs: number;
  reason: string | null;
}

/** Where a simulated job or batch stands in its lifecycle, and what control routes laid over its answers. */
export interface Lifecycle<H> {
  /**
   * 0 pending, then one position per step (lifecycle.ts for a job, batch-lifecycle.ts for a batch).
   * Every public field is derived from it (plus `halt`).
   */
  position: number;
  /** Tenant-clock ms at which each position was reached; item, child and answer timestamps come from here. */
  reachedAtMs: number[];
  halt: H | null;
  /** Strictly increasing, so every change moves `updated_at` (a batch's: its status or results, not its children). */
  updatedAtMs: number;
  /** Public fields set through `PATCH /__sim/jobs/:id` or `/__sim/batches/:id`; they hold until the lifecycle moves on. */
  overrides: Record<string, unknown>;
  /** Unknown extra fields added to every answer about it (kept across lifecycle moves). */
  extra: Record<string, unknown>;
  /** Optional fields left out of every answer about it. */
  omit: string[];
}

export interface SimJob extends Lifecycle<Halt> {
  id: string;
  jobType: string;
  projectId: string;
  organizationId: string | null;
  directoryId: string | null;
  createdAtMs: number;
  plan: Plan;
  clock: Clock;
}

/** How a control route shows a job: the upstream answer plus the simulator's internals. */
export interface SimJobView {
  id: string;
  answer: BatchStatusJson;
  sim: {
    scenario: Scenario;
    mode: ClockMode;
    position: number;
    final_position: number;
    finished: boolean;
    speed: number;
    items_per_step: number;
    stop_at: number;
    failed_every: number;
    skipped_every: number;
    overrides: string[];
  };
}

/** A job's public state as seen by change detection (and callbacks). */
export interface JobPulse {
  status: string;
  processed_items: number;
  failed_items: number;
  skipped_items: number;
}
