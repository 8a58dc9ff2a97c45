// One simulated v2 batch, from the simulator's side: creating it, moving it along its lifecycle (by
// hand or by the tenant's clock, like v1 jobs), cancelling and patching it, and showing it to the
// control routes. What the API shows about it lives in batch-answers.ts.

import { backdate, newLifecycle, touch } from "./backdate";
import { batchJson, batchStatus, childId, childStatus, mappedFiles } from "./batch-answers";
import {
  childMilestones,
  courseOf,
  mappingLimit,
  offsetOfPosition,
  positionAfter,
  positionOfWork,
  RUNNING,
} from "./batch-lifecycle";
import type { BatchChange, BatchScenario, ChildJobType, SimBatch, SimBatchView } from "./batch-model";
import { BATCH_TERMINAL_STATUSES } from "./batch-model";
import { uuidLike } from "./format";
import type { JobDefaults } from "./jobs";
import type { ClockMode } from "./model";

/** Everything a new batch can be told; absent fields take the simulator's defaults. */
export interface NewBatch {
  id?: string;
  job_type?: ChildJobType;
  configuration_id?: string;
  project_id?: string;
  organization_id?: string | null;
  source_directory_id?: string;
  total_files?: number;
  unmappable_files?: number;
  failed_children?: number;
  cancelled_children?: number;
  stuck_children?: number;
  scenario?: BatchScenario;
  stop_at?: number;
  completes_before_children?: boolean;
  /** Files mapped before the THROTTLED phase starts (with `throttled_steps` > 0). */
  throttle_after_files?: number;
  throttled_steps?: number;
  files_per_step?: number;
  child_steps?: number;
  mode?: ClockMode;
  speed?: number;
  pending_ms?: number;
  /** `mapped`: every file mapped (children may still run); `end`: nothing left to move. */
  start_at?: "pending" | "running" | "mapped" | "end";
  extra?: Record<string, unknown>;
  omit?: string[];
}

export function createBatch(input: NewBatch, nowMs: number, defaults: JobDefaults): SimBatch {
  const totalFiles = input.total_files ?? 10;
  const scenario = input.scenario ?? "completes";
  const filesPerStep = input.files_per_step ?? 1;
  const throttledSteps = input.throttled_steps ?? 0;
  const id = input.id ?? `bat-${crypto.randomUUID()}`;
  const jobType = input.job_type ?? "parse_v2";
  const plan = {
    scenario,
    totalFiles,
    stopAt: input.stop_at ?? (scenario === "completes" ? totalFiles : Math.floor(totalFiles / 2)),
    filesPerStep,
    childSteps: input.child_steps ?? 3,
    unmappableFiles: input.unmappable_files ?? 0,
    failedChildren: input.failed_children ?? 0,
    cancelledChildren: input.cancelled_children ?? 0,
    stuckChildren: input.stuck_children ?? 0,
    completesBeforeChildren: input.completes_before_children ?? false,
    throttleAfterSteps: throttledSteps > 0 ? Math.ceil((input.throttle_after_files ?? 0) / filesPerStep) : 0,
    throttledSteps,
  };
  const batch: SimBatch = {
    id,
    jobType,
    // Built-in presets (the SDK's example names cfg-PARSE_AGENTIC).
    configurationId:
      input.configuration_id ?? (jobType === "parse_v2" ? "cfg-PARSE_AGENTIC" : "cfg-EXTRACT_DEFAULT"),
    projectId: input.project_id ?? defaults.projectId,
    organizationId: input.organization_id ?? null,
    sourceDirectoryId: input.source_directory_id ?? `dir-${uuidLike(`${id}/directory`)}`,
    createdAtMs: nowMs,
    plan,
    course: courseOf(plan),
    clock: {
      mode: input.mode ?? "manual",
      speed: input.speed ?? defaults.speed,
      pendingMs: input.pending_ms ?? defaults.pendingMs,
      anchorMs: nowMs,
    },
    ...newLifecycle(nowMs, input),
  };
  const start = input.start_at ?? "pending";
  if (start !== "pending") {
    backdate(batch, positionOf(batch, start), nowMs, (q) => offsetOfPosition(batch.clock, batch.plan, q));
  }
  return batch;
}

export function finalPosition(batch: SimBatch): number {
  return Math.max(RUNNING, positionOfWork(batch.plan, batch.course.finalWork));
}

function canAdvanceBatch(batch: SimBatch): boolean {
  return batch.halt === null && batch.position < finalPosition(batch);
}

/** The position of a named stage: `mapped` is the step after the last file was mapped. */
export function positionOf(batch: SimBatch, stage: "running" | "mapped" | "end"): number {
  if (stage === "running") return RUNNING;
  if (stage === "end") return finalPosition(batch);
  const mappingDone = Math.ceil(mappingLimit(batch.plan) / batch.plan.filesPerStep);
  return Math.min(finalPosition(batch), positionOfWork(batch.plan, mappingDone + 1));
}

/** Realtime batches catch up with the clock; manual ones stay where they are. */
export function syncBatch(batch: SimBatch, nowMs: number): BatchChange | null {
  if (batch.clock.mode !== "realtime" || !canAdvanceBatch(batch)) return null;
  const { clock, plan } = batch;
  const target = positionAfter(clock, plan, nowMs - clock.anchorMs, finalPosition(batch));
  if (target <= batch.position) return null;
  return moveTo(batch, target, (q) => clock.anchorMs + offsetOfPosition(clock, plan, q));
}

/** Manual steps (realtime batches jump ahead and are re-anchored). */
export function advanceBatch(batch: SimBatch, steps: number, nowMs: number): BatchChange | null {
  if (!canAdvanceBatch(batch) || steps <= 0) return null;
  const change = moveTo(batch, Math.min(finalPosition(batch), batch.position + steps), () => nowMs);
  if (batch.clock.mode === "realtime") {
    batch.clock.anchorMs = nowMs - offsetOfPosition(batch.clock, batch.plan, batch.position);
  }
  return change;
}

function moveTo(batch: SimBatch, target: number, timeOf: (position: number) => number): BatchChange {
  const from = batch.position;
  const before = { status: batchStatus(batch), mapped: mappedFiles(batch) };
  const overridden = Object.keys(batch.overrides).length > 0;
  for (let q = from + 1; q <= target; q++) batch.reachedAtMs[q] = timeOf(q);
  const statuses: string[] = [];
  let last = before;
  let changedAt: number | null = null;
  for (let q = from + 1; q <= target; q++) {
    batch.position = q;
    const now = { status: batchStatus(batch), mapped: mappedFiles(batch) };
    if (now.status !== last.status) statuses.push(now.status);
    if (now.status !== last.status || now.mapped !== last.mapped) changedAt = q;
    last = now;
  }
  batch.overrides = {};
  // The batch's own updated_at follows its status and results; children moving alone leave it be.
  if (changedAt !== null || overridden) touch(batch, timeOf(changedAt ?? target));
  return { batchId: batch.id, statuses, children: childChanges(batch, from, target) };
}

/** Statuses each child entered between two positions, in order (milestones crossed on the way). */
function childChanges(batch: SimBatch, from: number, target: number): BatchChange["children"] {
  const changes: BatchChange["children"] = [];
  const mapped = mappedFiles(batch);
  for (let file = 0; file < mapped; file++) {
    const previous = childStatus(batch, file, from);
    if (childStatus(batch, file, target) === previous) continue;
    const statuses: string[] = [];
    let seen = previous;
    const { created, running, ended } = childMilestones(batch.plan, file);
    for (const work of [created, running, ended]) {
      const at = positionOfWork(batch.plan, work);
      if (at <= from || at > target) continue;
      const status = childStatus(batch, file, at);
      if (status !== null && status !== seen) statuses.push(status);
      seen = status;
    }
    if (statuses.length > 0) changes.push({ id: childId(batch, file), statuses });
  }
  return changes;
}

export class CannotCancelBatch extends Error {}

/** Cancels a running batch: mapping stops and every child not yet ended is CANCELLED. */
export function cancelBatch(batch: SimBatch, nowMs: number): BatchChange {
  const status = batchStatus(batch);
  if (BATCH_TERMINAL_STATUSES.has(status))
    throw new CannotCancelBatch(`Cannot cancel a batch with status '${status}'`);
  const mapped = mappedFiles(batch);
  const running: string[] = [];
  for (let file = 0; file < mapped; file++) {
    const child = childStatus(batch, file);
    if (child !== null && !BATCH_TERMINAL_STATUSES.has(child)) running.push(childId(batch, file));
  }
  batch.halt = { position: batch.position, atMs: nowMs };
  batch.overrides = {};
  touch(batch, nowMs);
  return {
    batchId: batch.id,
    statuses: ["CANCELLED"],
    children: running.map((id) => ({ id, statuses: ["CANCELLED"] })),
  };
}

/** Public fields a PATCH may set; they hold until the lifecycle moves on. */
export const BATCH_OVERRIDABLE_FIELDS = ["status", "created_at", "updated_at", "results", "config"] as const;

export interface BatchPatch {
  fields?: Record<string, unknown>;
  project_id?: string;
  extra?: Record<string, unknown>;
  omit?: string[];
}

export function patchBatch(batch: SimBatch, patch: BatchPatch, nowMs: number): void {
  if (patch.project_id !== undefined) batch.projectId = patch.project_id;
  if (patch.extra) Object.assign(batch.extra, patch.extra);
  if (patch.omit) batch.omit = [...patch.omit];
  Object.assign(batch.overrides, patch.fields);
  // An explicit updated_at (an older one, for a stale answer) is shown as given.
  if (patch.fields?.updated_at === undefined) touch(batch, nowMs);
}

export function viewBatch(batch: SimBatch): SimBatchView {
  const children: Record<string, number> = {};
  const mapped = mappedFiles(batch);
  for (let file = 0; file < mapped; file++) {
    const status = childStatus(batch, file);
    if (status !== null) children[status] = (children[status] ?? 0) + 1;
  }
  return {
    id: batch.id,
    answer: batchJson(batch, { results: true }),
    sim: {
      scenario: batch.plan.scenario,
      mode: batch.clock.mode,
      position: batch.position,
      final_position: finalPosition(batch),
      finished: !canAdvanceBatch(batch),
      speed: batch.clock.speed,
      files_per_step: batch.plan.filesPerStep,
      child_steps: batch.plan.childSteps,
      mapped_files: mapped,
      total_files: batch.plan.totalFiles,
      children,
      overrides: Object.keys(batch.overrides),
    },
  };
}
