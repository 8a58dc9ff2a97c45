// What the v1 batch-processing API shows about one simulated job: the job, its status envelope and
// its items, all derived from the job's plan and position (see lifecycle.ts).

import { dressed } from "./backdate";
import { FILE_ERRORS, fragment, iso } from "./format";
import {
  countsAfter,
  DISPATCHED,
  finishedItemsAt,
  finishPosition,
  itemStatusAt,
  progressPercentage,
  RUNNING,
  startPosition,
  statusAt,
} from "./lifecycle";
import type {
  BatchItemJson,
  BatchJobJson,
  BatchStatusJson,
  ItemStatus,
  JobPulse,
  PageJson,
  SimJob,
} from "./model";
import { TERMINAL_STATUSES } from "./model";

export function pulse(job: SimJob): JobPulse {
  const answer = jobJson(job);
  return {
    status: answer.status,
    processed_items: answer.processed_items,
    failed_items: answer.failed_items,
    skipped_items: answer.skipped_items,
  };
}

/** The job as the upstream API shows it, overrides, extra fields and omissions applied. */
export function jobJson(job: SimJob): BatchJobJson {
  const { plan } = job;
  const status = statusAt(plan, job.position, job.halt);
  const counts = countsAfter(plan, finishedItemsAt(plan, job.position));
  const dispatched = job.position >= DISPATCHED;
  const endedAtMs =
    job.halt?.atMs ?? (TERMINAL_STATUSES.has(status) ? job.reachedAtMs[job.position] : undefined);
  const updatedAt = iso(job.updatedAtMs);
  const answer: BatchJobJson = {
    id: job.id,
    job_type: job.jobType,
    project_id: job.projectId,
    status,
    total_items: plan.totalItems,
    completed_at: endedAtMs === undefined ? null : iso(endedAtMs),
    created_at: iso(job.createdAtMs),
    directory_id: job.directoryId,
    effective_at: updatedAt,
    error_message: status === "failed" ? plan.failureMessage : null,
    failed_items: counts.failed,
    job_record_id: dispatched ? `jbr-${fragment(job.id, 16)}` : null,
    processed_items: counts.processed,
    skipped_items: counts.skipped,
    started_at: job.position >= RUNNING ? isoAt(job, RUNNING) : null,
    updated_at: updatedAt,
    workflow_id: dispatched ? `batch-processing-${job.id}` : null,
  };
  const { progress_percentage: _envelopeOnly, ...overrides } = job.overrides;
  return dressed(answer, overrides, job);
}

export function statusJson(job: SimJob): BatchStatusJson {
  const answer = jobJson(job);
  const override = job.overrides.progress_percentage;
  const finished = count(answer.processed_items) + count(answer.failed_items) + count(answer.skipped_items);
  const progress =
    typeof override === "number"
      ? override
      : progressPercentage(count(answer.total_items), finished, answer.status);
  return { job: answer, progress_percentage: progress };
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

export interface ItemQuery {
  status?: string;
  limit: number;
  offset: number;
}

/** One page of the job's items, derived on demand (a filtered page walks every item). */
export function itemsPage(job: SimJob, query: ItemQuery): PageJson<BatchItemJson> {
  const total = job.plan.totalItems;
  if (!query.status) {
    const items: BatchItemJson[] = [];
    for (let i = query.offset; i < Math.min(total, query.offset + query.limit); i++)
      items.push(itemJson(job, i));
    return { items, total_size: total };
  }
  const matching: number[] = [];
  for (let i = 0; i < total; i++) {
    if (itemStatusAt(job.plan, i, job.position, job.halt) === query.status) matching.push(i);
  }
  const page = matching.slice(query.offset, query.offset + query.limit);
  return { items: page.map((i) => itemJson(job, i)), total_size: matching.length };
}

const ITEM_NAMES: Record<string, string> = { parse: "report", extract: "invoice", classify: "contract" };
const UNDERLYING_JOB_PREFIX: Record<string, string> = { parse: "pjb", extract: "exj", classify: "clj" };
const SKIP_REASONS = ["already_processed", "size_limit_exceeded"];

function itemJson(job: SimJob, index: number): BatchItemJson {
  const status: ItemStatus = itemStatusAt(job.plan, index, job.position, job.halt);
  const started = status === "processing" || status === "completed" || status === "failed";
  const finished = status === "completed" || status === "failed" || status === "skipped";
  const startedAt = started ? isoAt(job, startPosition(job.plan, index)) : null;
  const completedAt = finished ? isoAt(job, finishPosition(job.plan, index)) : null;
  const number = String(index + 1).padStart(4, "0");
  return {
    item_id: `dfl-${fragment(job.id, 8)}-${number}`,
    item_name: `${ITEM_NAMES[job.jobType] ?? "document"}-${number}.pdf`,
    status,
    completed_at: completedAt,
    effective_at: completedAt ?? startedAt ?? iso(job.createdAtMs),
    error_message: status === "failed" ? (FILE_ERRORS[index % FILE_ERRORS.length] ?? null) : null,
    job_id: started
      ? `${UNDERLYING_JOB_PREFIX[job.jobType] ?? "job"}-${fragment(`${job.id}/${index}`, 12)}`
      : null,
    job_record_id: null,
    skip_reason: status === "skipped" ? (SKIP_REASONS[index % SKIP_REASONS.length] ?? null) : null,
    started_at: startedAt,
  };
}

function isoAt(job: SimJob, position: number): string | null {
  const ms = job.reachedAtMs[position];
  return ms === undefined ? null : iso(ms);
}
