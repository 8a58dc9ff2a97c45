/**
 * What a v1 answer means, as pure functions: the status answer as the monitor's API-neutral Reading,
 * and when (and from where) to read the job's failed items (README "Items").
 */
import type { Observation } from "../model";
import type { StatusAnswer, V1Item } from "../upstream/v1";
import { isTerminal, type Reading } from "./decisions";
import type { ItemState } from "./items";

/** At most this many failed items are stored per v1 job. */
export const MAX_V1_ITEMS = 1_000;
/** Items asked for per request (the items endpoint's page). */
export const V1_ITEMS_PAGE = 100;
/** Item pages one poll reads at most, after its status request: each is one more subrequest. */
export const MAX_V1_ITEM_PAGES_PER_POLL = 2;

function observationOf(answer: StatusAnswer): Observation {
  const job = answer.job;
  return {
    status: job.status,
    totalItems: job.total_items ?? null,
    processedItems: job.processed_items ?? null,
    failedItems: job.failed_items ?? null,
    skippedItems: job.skipped_items ?? null,
    progressPercentage: answer.progress_percentage ?? null,
    errorMessage: job.error_message ?? null,
    upstreamUpdatedAt: job.updated_at ?? null,
  };
}

/** A v1 status answer as a Reading: the job is settled once its status is terminal. */
export function readStatus(answer: StatusAnswer): Reading {
  const observation = observationOf(answer);
  const { id: _id, ...rest } = answer.job;
  return {
    observation,
    settled: isTerminal(observation.status),
    jobType: answer.job.job_type ?? null,
    upstreamJob: JSON.stringify({ ...rest, progress_percentage: answer.progress_percentage ?? null }),
  };
}

/**
 * Where the next page of failed items starts, or null when there is nothing to read: the answer
 * counts more failed items than are stored, and the job has room for more. Stored v1 items are only
 * ever failed ones, read in the endpoint's order, so their count is the offset.
 */
export function failedItemsOffset(answer: StatusAnswer, storedFailed: number): number | null {
  const upstreamFailed = answer.job.failed_items ?? 0;
  if (storedFailed >= MAX_V1_ITEMS || upstreamFailed <= storedFailed) return null;
  return storedFailed;
}

/** How many items to ask for at `offset`: a page, never past MAX_V1_ITEMS stored. */
export function itemsPageLimit(offset: number): number {
  return Math.min(V1_ITEMS_PAGE, MAX_V1_ITEMS - offset);
}

/** One v1 item as the items table keeps it; `updated_at` is its completion, else its start. */
export function itemOfV1(item: V1Item): ItemState {
  return {
    itemId: item.item_id,
    name: item.item_name ?? null,
    status: item.status.toLowerCase(),
    errorMessage: item.error_message ?? null,
    childJobId: null,
    childType: null,
    updatedAt: item.completed_at ?? item.started_at ?? null,
    // A v1 item is read once it has failed: nothing more will change.
    settled: true,
  };
}
