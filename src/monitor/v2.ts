/**
 * What a v2 batch means, as pure functions (README and CONTRACT: "How batchwatch presents a v2
 * batch"). A v2 batch carries no counts and calls itself COMPLETED once every file is mapped to a child
 * job, so batchwatch derives the counts and the moment it is really finished from the child jobs. The
 * result is the same Observation v1 gives, so change, interval, backoff, stale, stall and lost stay
 * the rules in decisions.ts.
 */

import type { Observation } from "../model";
import {
  type Batch,
  type BatchResultEntry,
  CHILD_TYPES,
  type ChildJob,
  type ChildPageRequest,
  type ChildType,
  isChildType,
  MAX_CHILD_IDS_PER_PAGE,
} from "../upstream/v2";
import { isTerminal, type Reading } from "./decisions";
import type { ItemState } from "./items";

/** What is known of one child job: from D1, or from the page just read. Status in any case. */
export interface ChildState {
  status: string;
  name: string | null;
  errorMessage: string | null;
  updatedAt: string | null;
}

/** Children by job id. */
export type KnownChildren = ReadonlyMap<string, Pick<ChildState, "status">>;

export type BatchCounts = Pick<
  Observation,
  "totalItems" | "processedItems" | "failedItems" | "skippedItems" | "progressPercentage"
>;

/** One file of a batch, as the items table keeps it. */
export type BatchItem = ItemState;

/** A FAILED or CANCELLED batch whose children never settle is finished this long after it was first seen so. */
export const UNSETTLED_GRACE_MS = 24 * 60 * 60_000;

/** Statuses are shown in lower case, whatever the generation. */
export function presentStatus(status: string): string {
  return status.toLowerCase();
}

export function childStateOf(child: ChildJob): ChildState {
  return {
    status: child.status,
    name: child.name ?? null,
    errorMessage: child.error_message ?? null,
    updatedAt: child.updated_at ?? null,
  };
}

/** The child job a results entry became, or null for a file that could not be mapped to a job. */
function childOf(
  entry: BatchResultEntry,
  batch: Pick<Batch, "config">,
): { id: string; type: string | null } | null {
  const reference = entry.job_reference;
  if (!reference) return null;
  // An entry without its own type is of the batch's one job type.
  return { id: reference.id, type: reference.type ?? batch.config?.job?.type ?? null };
}

function statusOf(children: KnownChildren, id: string): string | null {
  const status = children.get(id)?.status;
  return status === undefined ? null : presentStatus(status);
}

/** True once a child reached COMPLETED, FAILED or CANCELLED: it is never asked for again. */
export function isSettled(children: KnownChildren, id: string): boolean {
  return isTerminal(statusOf(children, id));
}

/**
 * batchwatch's own counts: one item per results entry; processed = children COMPLETED, failed =
 * children FAILED plus files that could not be mapped, skipped = children CANCELLED. While `results`
 * is null nothing is known, so every count is null.
 */
export function deriveCounts(results: Batch["results"], children: KnownChildren): BatchCounts {
  if (!results) {
    return {
      totalItems: null,
      processedItems: null,
      failedItems: null,
      skippedItems: null,
      progressPercentage: null,
    };
  }
  let processed = 0;
  let failed = 0;
  let skipped = 0;
  for (const entry of results) {
    if (!entry.job_reference) {
      failed++;
      continue;
    }
    const status = statusOf(children, entry.job_reference.id);
    if (status === "completed") processed++;
    else if (status === "failed") failed++;
    else if (status === "cancelled") skipped++;
  }
  const total = results.length;
  return {
    totalItems: total,
    processedItems: processed,
    failedItems: failed,
    skippedItems: skipped,
    progressPercentage:
      total === 0 ? null : Math.round(((processed + failed + skipped) / total) * 10_000) / 100,
  };
}

/**
 * A v2 batch is finished when its own status is terminal and every child has settled. A batch that
 * ended FAILED or CANCELLED may leave children that never settle; it is finished UNSETTLED_GRACE_MS
 * after batchwatch first saw that status (`terminalSeenAt`, epoch ms, null before).
 */
export function isBatchFinished(
  batch: Pick<Batch, "status" | "results">,
  children: KnownChildren,
  terminalSeenAt: number | null,
  now: number,
): boolean {
  const status = presentStatus(batch.status);
  if (!isTerminal(status)) return false;
  const settled = (batch.results ?? []).every(
    (entry) => !entry.job_reference || isSettled(children, entry.job_reference.id),
  );
  if (settled) return true;
  return status !== "completed" && terminalSeenAt !== null && now - terminalSeenAt >= UNSETTLED_GRACE_MS;
}

/**
 * Which child pages to request: every child not yet settled, each id once, grouped by type (in
 * CHILD_TYPES order, ids in results order), at most MAX_CHILD_IDS_PER_PAGE ids per request. A child
 * of a type batchwatch cannot read is not asked for (it stays unsettled).
 */
export function planChildPages(
  batch: Pick<Batch, "config" | "results">,
  children: KnownChildren,
): ChildPageRequest[] {
  const wanted = new Map<ChildType, Set<string>>(CHILD_TYPES.map((type) => [type, new Set()]));
  for (const entry of batch.results ?? []) {
    const child = childOf(entry, batch);
    if (!child || !isChildType(child.type) || isSettled(children, child.id)) continue;
    wanted.get(child.type)?.add(child.id);
  }
  const requests: ChildPageRequest[] = [];
  for (const [type, ids] of wanted) {
    const list = [...ids];
    for (let start = 0; start < list.length; start += MAX_CHILD_IDS_PER_PAGE) {
      requests.push({ type, jobIds: list.slice(start, start + MAX_CHILD_IDS_PER_PAGE) });
    }
  }
  return requests;
}

/** A v2 batch turned into what the monitor stores: the same parts a v1 answer gives, plus its files. */
export interface BatchObservation {
  observation: Observation;
  jobType: string | null;
  /** The upstream answer as JSON, without `id` (a column) and `results` (the items hold them). */
  upstreamJob: string;
  items: BatchItem[];
}

/**
 * Maps a batch and what is known of its children (from D1 and from this poll's pages) to the v1
 * Observation and to one item per results entry. A child not known yet is `pending`.
 */
export function observeBatch(batch: Batch, children: ReadonlyMap<string, ChildState>): BatchObservation {
  const { id: _id, results, ...rest } = batch;
  const counts = deriveCounts(results, children);
  const items = (results ?? []).map((entry): BatchItem => {
    const child = childOf(entry, batch);
    if (!child) {
      // No child carries a time for this file; the batch that reported it does.
      return {
        itemId: entry.source_directory_file_id,
        childJobId: null,
        childType: null,
        name: null,
        status: "failed",
        errorMessage: entry.error_message ?? null,
        updatedAt: batch.updated_at ?? null,
        settled: true,
      };
    }
    const state = children.get(child.id);
    const status = state ? presentStatus(state.status) : "pending";
    return {
      itemId: entry.source_directory_file_id,
      childJobId: child.id,
      childType: child.type,
      name: state?.name ?? null,
      status,
      errorMessage: state?.errorMessage ?? entry.error_message ?? null,
      updatedAt: state?.updatedAt ?? null,
      settled: isTerminal(status),
    };
  });
  return {
    observation: {
      status: presentStatus(batch.status),
      ...counts,
      errorMessage: null,
      upstreamUpdatedAt: batch.updated_at ?? null,
    },
    jobType: batch.config?.job?.type ?? null,
    upstreamJob: JSON.stringify({ ...rest, progress_percentage: counts.progressPercentage }),
    items,
  };
}

/** What D1 knows of a batch's children, from its stored items (files without a child have none). */
export function storedChildren(stored: readonly ItemState[]): Map<string, ChildState> {
  const children = new Map<string, ChildState>();
  for (const item of stored) {
    if (item.childJobId === null) continue;
    children.set(item.childJobId, {
      status: item.status,
      name: item.name,
      errorMessage: item.errorMessage,
      updatedAt: item.updatedAt,
    });
  }
  return children;
}

/**
 * A batch and what is known of its children as the monitor's Reading (settled by the finished rule,
 * the 24 h clock starting now when the batch is first seen terminal), plus its files.
 */
export function readBatch(
  batch: Batch,
  children: ReadonlyMap<string, ChildState>,
  terminalSeenAt: number | null,
  now: number,
): { reading: Reading; items: ItemState[] } {
  const seen = observeBatch(batch, children);
  const since = terminalSeenAt ?? (isTerminal(seen.observation.status) ? now : null);
  return {
    reading: {
      observation: seen.observation,
      jobType: seen.jobType,
      upstreamJob: seen.upstreamJob,
      settled: isBatchFinished(batch, children, since, now),
    },
    items: seen.items,
  };
}
