// One simulated v1 batch job, from the simulator's side: creating it, moving it along its lifecycle,
// cancelling and patching it, and showing it to the control routes. What the upstream API shows
// about it lives in job-answers.ts. All times are the tenant's clock (see World.now), in ms.

import { backdate, newLifecycle, touch } from "./backdate";
import { fragment } from "./format";
import { jobJson, pulse, statusJson } from "./job-answers";
import {
  canAdvance,
  DISPATCHED,
  finalPosition,
  offsetOfPosition,
  positionAfter,
  RUNNING,
  statusAt,
} from "./lifecycle";
import type { ClockMode, JobPulse, Scenario, SimJob, SimJobView } from "./model";
import { TERMINAL_STATUSES } from "./model";

// test/sim/lifecycle.test.ts drives a job and reads its answers through this one module.
export { itemsPage, jobJson, statusJson } from "./job-answers";

/** Everything a new job can be told; absent fields take the simulator's defaults. */
export interface NewJob {
  id?: string;
  job_type?: string;
  project_id?: string;
  organization_id?: string | null;
  directory_id?: string | null;
  total_items?: number;
  scenario?: Scenario;
  mode?: ClockMode;
  speed?: number;
  items_per_step?: number;
  stop_at?: number;
  failed_every?: number;
  skipped_every?: number;
  concurrency?: number;
  failure_message?: string;
  pending_ms?: number;
  dispatched_ms?: number;
  /** Where the job starts its life; earlier positions are back-dated so timestamps stay ordered. */
  start_at?: "pending" | "dispatched" | "running" | "end";
  /** With `start_at: "running"` (implied when given): items already finished. */
  finished_items?: number;
  extra?: Record<string, unknown>;
  omit?: string[];
}

export interface JobDefaults {
  speed: number;
  pendingMs: number;
  dispatchedMs: number;
  projectId: string;
}

export const DEFAULT_JOB_SETTINGS: JobDefaults = {
  speed: 1,
  pendingMs: 2000,
  dispatchedMs: 2000,
  projectId: "prj-simulated",
};

/** What moving a job changed, for callbacks and for the control routes' answers. */
export interface JobChange {
  jobId: string;
  before: JobPulse;
  after: JobPulse;
  /** Statuses entered, in order (empty when only counts moved). */
  statuses: string[];
}

export function createJob(
  input: NewJob,
  nowMs: number,
  defaults: JobDefaults = DEFAULT_JOB_SETTINGS,
): SimJob {
  const totalItems = input.total_items ?? 10;
  const scenario = input.scenario ?? "completes";
  const id = input.id ?? `bjb-${crypto.randomUUID()}`;
  const job: SimJob = {
    id,
    jobType: input.job_type ?? "parse",
    projectId: input.project_id ?? defaults.projectId,
    organizationId: input.organization_id ?? null,
    directoryId: input.directory_id === undefined ? `dir-${fragment(id, 12)}` : input.directory_id,
    createdAtMs: nowMs,
    plan: {
      scenario,
      totalItems,
      stopAt: input.stop_at ?? (scenario === "completes" ? totalItems : Math.floor(totalItems / 2)),
      itemsPerStep: input.items_per_step ?? 1,
      failedEvery: input.failed_every ?? 0,
      skippedEvery: input.skipped_every ?? 0,
      concurrency: input.concurrency ?? 3,
      failureMessage: input.failure_message ?? "Batch job failed: worker pool exhausted retries (simulated)",
    },
    clock: {
      mode: input.mode ?? "manual",
      speed: input.speed ?? defaults.speed,
      pendingMs: input.pending_ms ?? defaults.pendingMs,
      dispatchedMs: input.dispatched_ms ?? defaults.dispatchedMs,
      anchorMs: nowMs,
    },
    ...newLifecycle(nowMs, input),
  };
  const start = initialPosition(job, input);
  if (start > 0) backdate(job, start, nowMs, (q) => offsetOfPosition(job.clock, job.plan, q));
  return job;
}

function initialPosition(job: SimJob, input: NewJob): number {
  if (input.finished_items !== undefined) {
    return Math.min(
      finalPosition(job.plan),
      RUNNING + Math.ceil(input.finished_items / job.plan.itemsPerStep),
    );
  }
  switch (input.start_at ?? "pending") {
    case "pending":
      return 0;
    case "dispatched":
      return DISPATCHED;
    case "running":
      return RUNNING;
    case "end":
      return finalPosition(job.plan);
  }
}

/** Realtime jobs catch up with the clock; manual jobs stay where they are. */
export function syncJob(job: SimJob, nowMs: number): JobChange | null {
  if (job.clock.mode !== "realtime" || !canAdvance(job.plan, job.position, job.halt)) return null;
  const target = positionAfter(job.clock, job.plan, nowMs - job.clock.anchorMs);
  if (target <= job.position) return null;
  return moveTo(job, target, (q) => job.clock.anchorMs + offsetOfPosition(job.clock, job.plan, q));
}

/** Manual steps (also allowed on realtime jobs: they jump ahead and their clock is re-anchored). */
export function advanceJob(job: SimJob, steps: number, nowMs: number): JobChange | null {
  if (!canAdvance(job.plan, job.position, job.halt) || steps <= 0) return null;
  const target = Math.min(finalPosition(job.plan), job.position + steps);
  const change = moveTo(job, target, () => nowMs);
  if (job.clock.mode === "realtime") anchorAtPosition(job, nowMs);
  return change;
}

export function stepsToEnd(job: SimJob): number {
  return finalPosition(job.plan) - job.position;
}

/** Re-anchors the realtime clock so that the job's current position is reached exactly now. */
export function anchorAtPosition(job: SimJob, nowMs: number): void {
  job.clock.anchorMs = nowMs - offsetOfPosition(job.clock, job.plan, job.position);
}

function moveTo(job: SimJob, target: number, timeOf: (position: number) => number): JobChange {
  const before = pulse(job);
  const from = job.position;
  for (let q = from + 1; q <= target; q++) job.reachedAtMs[q] = timeOf(q);
  job.position = target;
  job.overrides = {};
  touch(job, timeOf(target));
  const statuses: string[] = [];
  let previous = statusAt(job.plan, from, job.halt);
  for (const milestone of [DISPATCHED, RUNNING, finalPosition(job.plan)]) {
    if (milestone <= from || milestone > target) continue;
    const status = statusAt(job.plan, milestone, job.halt);
    if (status !== previous) statuses.push(status);
    previous = status;
  }
  return { jobId: job.id, before, after: pulse(job), statuses };
}

export class CannotCancel extends Error {}

export function cancelJob(job: SimJob, nowMs: number, reason: string | null): JobChange {
  const status = jobJson(job).status;
  if (TERMINAL_STATUSES.has(status))
    throw new CannotCancel(`Cannot cancel a batch job with status '${status}'`);
  const before = pulse(job);
  job.halt = { status: "cancelled", position: job.position, atMs: nowMs, reason };
  job.overrides = {};
  touch(job, nowMs);
  return { jobId: job.id, before, after: pulse(job), statuses: ["cancelled"] };
}

/** Public fields a PATCH may set; they hold until the lifecycle moves on. */
export const OVERRIDABLE_FIELDS = [
  "status",
  "total_items",
  "processed_items",
  "failed_items",
  "skipped_items",
  "error_message",
  "started_at",
  "completed_at",
  "created_at",
  "updated_at",
  "effective_at",
  "job_record_id",
  "workflow_id",
  "progress_percentage",
] as const;

export function viewJob(job: SimJob): SimJobView {
  return {
    id: job.id,
    answer: statusJson(job),
    sim: {
      scenario: job.plan.scenario,
      mode: job.clock.mode,
      position: job.position,
      final_position: finalPosition(job.plan),
      finished: !canAdvance(job.plan, job.position, job.halt),
      speed: job.clock.speed,
      items_per_step: job.plan.itemsPerStep,
      stop_at: job.plan.stopAt,
      failed_every: job.plan.failedEvery,
      skipped_every: job.plan.skippedEvery,
      overrides: Object.keys(job.overrides),
    },
  };
}

/** What `PATCH /__sim/jobs/:id` may change. */
export interface JobPatch {
  /** Public answer fields, any JSON value (unknown status strings included). */
  fields?: Record<string, unknown>;
  project_id?: string;
  job_type?: string;
  directory_id?: string | null;
  organization_id?: string | null;
  extra?: Record<string, unknown>;
  omit?: string[];
  scenario?: Scenario;
  stop_at?: number;
  failed_every?: number;
  skipped_every?: number;
  items_per_step?: number;
  failure_message?: string;
  mode?: ClockMode;
  speed?: number;
}

export function patchJob(job: SimJob, patch: JobPatch, nowMs: number): void {
  if (patch.project_id !== undefined) job.projectId = patch.project_id;
  if (patch.job_type !== undefined) job.jobType = patch.job_type;
  if (patch.directory_id !== undefined) job.directoryId = patch.directory_id;
  if (patch.organization_id !== undefined) job.organizationId = patch.organization_id;
  if (patch.extra) Object.assign(job.extra, patch.extra);
  if (patch.omit) job.omit = [...patch.omit];
  const { plan, clock } = job;
  if (patch.scenario !== undefined) plan.scenario = patch.scenario;
  if (patch.stop_at !== undefined) plan.stopAt = patch.stop_at;
  if (patch.failed_every !== undefined) plan.failedEvery = patch.failed_every;
  if (patch.skipped_every !== undefined) plan.skippedEvery = patch.skipped_every;
  if (patch.items_per_step !== undefined) plan.itemsPerStep = patch.items_per_step;
  if (patch.failure_message !== undefined) plan.failureMessage = patch.failure_message;
  if (patch.mode !== undefined) clock.mode = patch.mode;
  if (patch.speed !== undefined) clock.speed = patch.speed;
  // A realtime job continues from where it stands now, whatever it was before.
  if (patch.mode !== undefined || patch.speed !== undefined || patch.items_per_step !== undefined) {
    anchorAtPosition(job, nowMs);
  }
  Object.assign(job.overrides, patch.fields);
  // An explicit updated_at (say, an older one for a stale answer) is shown as given; otherwise the
  // change moves updated_at like any other.
  if (patch.fields?.updated_at === undefined) touch(job, nowMs);
}
