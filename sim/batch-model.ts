// The simulator's v2 domain: the shapes LlamaCloud's batches API and its products' job lists answer
// with (checked against @llamaindex/llama-cloud 2.16.0 by test/e2e/sim-fidelity-v2.test.ts), and the
// bookkeeping of one batch's lifecycle. Like model.ts, free of runtime dependencies: sim/control.ts
// imports its types inside workerd.

import type { ClockMode, Lifecycle } from "./model";

export const BATCH_STATUSES = [
  "PENDING",
  "RUNNING",
  "THROTTLED",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
] as const;
export const BATCH_TERMINAL_STATUSES: ReadonlySet<string> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** The products a batch can start a job of, one per mapped file. */
export const CHILD_JOB_TYPES = ["parse_v2", "extract_v2"] as const;
export type ChildJobType = (typeof CHILD_JOB_TYPES)[number];

/** Statuses each product's list shows and filters by: the parse SDK type has no THROTTLED, extract has. */
export const CHILD_STATUSES: Record<ChildJobType, readonly string[]> = {
  parse_v2: ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"],
  extract_v2: ["PENDING", "RUNNING", "THROTTLED", "COMPLETED", "FAILED", "CANCELLED"],
};

/** `completes`: every file is mapped, then COMPLETED. `fails`: the orchestration fails after `stop_at` files. */
export const BATCH_SCENARIOS = ["completes", "fails"] as const;
export type BatchScenario = (typeof BATCH_SCENARIOS)[number];

/** What happens to one file's job once it has run its course (`stuck`: RUNNING forever). */
export type ChildOutcome = "COMPLETED" | "FAILED" | "CANCELLED" | "stuck";

export interface JobReferenceJson {
  id: string;
  type: ChildJobType;
}

/** One entry of `results`: a file and the job it became, or why it could not become one. */
export interface BatchResultJson {
  source_directory_file_id: string;
  error_message: string | null;
  job_reference: JobReferenceJson | null;
}

/** `GET /api/v2/batches/{id}`, one entry of the list, and the cancel answer. */
export interface BatchJson {
  id: string;
  config: { job: { type: ChildJobType; configuration_id: string } };
  project_id: string;
  source_directory_id: string;
  status: string;
  created_at: string | null;
  updated_at: string | null;
  results: BatchResultJson[] | null;
  [extra: string]: unknown;
}

/** One item of `GET /api/v2/parse` (the SDK's ParsingListResponse). */
export interface ParseJobJson {
  id: string;
  project_id: string;
  status: string;
  name: string;
  tier: string;
  error_message: string | null;
  created_at: string;
  updated_at: string;
}

/** One item of `GET /api/v2/extract` (the SDK's ExtractV2Job). */
export interface ExtractJobJson {
  id: string;
  project_id: string;
  status: string;
  file_input: string;
  configuration_id: string;
  error_message: string | null;
  extract_result: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

export type ChildJobJson = ParseJobJson | ExtractJobJson;

/** A cursor page of the v2 lists: `next_page_token` is `""` on the last page. */
export interface CursorPageJson<T> {
  items: T[];
  next_page_token: string;
}

/** The fixed course of one batch: which files map, which of their jobs end how, and when. */
export interface BatchPlan {
  scenario: BatchScenario;
  totalFiles: number;
  /** Files mapped before a `fails` batch fails; `totalFiles` for `completes`. */
  stopAt: number;
  /** Files mapped per (unthrottled) step. */
  filesPerStep: number;
  /** Steps a child job runs (RUNNING) before it ends. */
  childSteps: number;
  unmappableFiles: number;
  failedChildren: number;
  cancelledChildren: number;
  stuckChildren: number;
  /** COMPLETED as soon as every file is mapped, while children still run (what LlamaCloud does). */
  completesBeforeChildren: boolean;
  /** Work steps done before a THROTTLED phase of `throttledSteps` steps (no phase when 0 steps). */
  throttleAfterSteps: number;
  throttledSteps: number;
}

export interface BatchClock {
  mode: ClockMode;
  /** Files per second in realtime mode. */
  speed: number;
  pendingMs: number;
  /** Tenant-clock time at which position 0 was (or would have been) reached. */
  anchorMs: number;
}

/** A batch stopped by the cancel endpoint: nothing moves after `position`. */
export interface BatchHalt {
  position: number;
  atMs: number;
}

export interface SimBatch extends Lifecycle<BatchHalt> {
  id: string;
  jobType: ChildJobType;
  configurationId: string;
  projectId: string;
  organizationId: string | null;
  sourceDirectoryId: string;
  createdAtMs: number;
  plan: BatchPlan;
  /** Where the plan ends (derived from it once; plans do not change). */
  course: { batchEnd: number; finalWork: number };
  clock: BatchClock;
}

/** What moving a batch changed: statuses the batch entered, and those each child entered. */
export interface BatchChange {
  batchId: string;
  statuses: string[];
  children: { id: string; statuses: string[] }[];
}

/** How a control route shows a batch: the upstream answer (results expanded) plus the simulator's internals. */
export interface SimBatchView {
  id: string;
  answer: BatchJson;
  sim: {
    scenario: BatchScenario;
    mode: ClockMode;
    position: number;
    final_position: number;
    finished: boolean;
    speed: number;
    files_per_step: number;
    child_steps: number;
    mapped_files: number;
    total_files: number;
    /** Child jobs that exist now, by status. */
    children: Record<string, number>;
    overrides: string[];
  };
}
