/**
 * Reading one job from LlamaCloud, whatever its API, inside one pool slot: v1 asks for the status and,
 * when more items failed than are stored, up to two pages of failed items; v2 asks for the batch, then
 * one child page after another for the children not yet settled. Every request takes one unit of the
 * invocation's budget. The answers become a PollResult (for decideOutcome) and the items to write.
 */
import type { JobRow } from "../db/schema";
import type { ItemState } from "../model";
import { fetchItemsPage, fetchJobStatus, type LlamaCloudTarget } from "../upstream/v1";
import { type ChildPageRequest, fetchBatch, fetchChildPage, nextChildPage } from "../upstream/v2";
import type { RequestBudget } from "./budget";
import type { PollResult } from "./decisions";
import { changedItems, failedItems, mergeItems } from "./items";
import { failedItemsOffset, itemOfV1, itemsPageLimit, MAX_V1_ITEM_PAGES_PER_POLL, readStatus } from "./v1";
import { childStateOf, planChildPages, readBatch, storedChildren } from "./v2";

export interface JobRead {
  result: PollResult;
  /** The items to write, should the answer be accepted: new ones and changed ones. */
  items: ItemState[];
  /** The job's failed items after this poll (stored and just read), as `job.finished` lists them. */
  failed: ItemState[];
  /** A 429 on a request that does not fail the poll (a v1 items page): every poll still pauses. */
  pauseUntil: number | null;
}

type Job = Pick<JobRow, "jobId" | "api" | "projectId" | "organizationId" | "terminalSeenAt">;

/**
 * Reads the job, or answers null when the budget has no unit left for its first request (nothing was
 * asked, the job was not polled). Never throws for upstream faults.
 */
export function readJob(
  target: LlamaCloudTarget,
  job: Job,
  stored: readonly ItemState[],
  budget: RequestBudget,
  now: number,
): Promise<JobRead> | null {
  if (!budget.take()) return null;
  return job.api === "v2" ? readV2(target, job, stored, budget, now) : readV1(target, job, stored, budget);
}

function failedRead(result: PollResult & { ok: false }): JobRead {
  return { result, items: [], failed: [], pauseUntil: null };
}

async function readV1(
  target: LlamaCloudTarget,
  job: Job,
  stored: readonly ItemState[],
  budget: RequestBudget,
): Promise<JobRead> {
  const status = await fetchJobStatus(target, job);
  if (!status.ok) return failedRead(status);
  const fetched: ItemState[] = [];
  let pauseUntil: number | null = null;
  let offset = failedItemsOffset(status.answer, stored.length);
  for (let page = 0; offset !== null && page < MAX_V1_ITEM_PAGES_PER_POLL && budget.take(); page++) {
    const limit = itemsPageLimit(offset);
    const answer = await fetchItemsPage(target, job, { status: "failed", limit, offset });
    if (!answer.ok) {
      // The status answer stands; the items are asked for again next poll. Only a 429 matters now.
      if (answer.failure.kind === "rate_limited") pauseUntil = answer.failure.retryAt ?? null;
      break;
    }
    fetched.push(...answer.answer.items.map(itemOfV1).filter((item) => item.status === "failed"));
    if (answer.answer.items.length < limit) break;
    offset = failedItemsOffset(status.answer, offset + answer.answer.items.length);
  }
  const storedById = new Map(stored.map((item) => [item.itemId, item]));
  return {
    result: { ok: true, answer: readStatus(status.answer) },
    items: changedItems(fetched, storedById),
    failed: failedItems(mergeItems(stored, fetched)),
    pauseUntil,
  };
}

async function readV2(
  target: LlamaCloudTarget,
  job: Job,
  stored: readonly ItemState[],
  budget: RequestBudget,
  now: number,
): Promise<JobRead> {
  const batch = await fetchBatch(target, job);
  if (!batch.ok) return failedRead(batch);
  const children = storedChildren(stored);
  // One page after another in this slot. When the budget runs out, the children not read keep their
  // stored state: the counts stay true and the batch cannot look finished early.
  const plan = planChildPages(batch.answer, children);
  // A budget too short for every page starts at a random one: a fixed start would read the same
  // pages on every poll and never the children of the last ones while the first stay unsettled.
  const start = plan.length > budget.left ? Math.floor(Math.random() * plan.length) : 0;
  pages: for (const first of [...plan.slice(start), ...plan.slice(0, start)]) {
    let request: ChildPageRequest | null = first;
    while (request) {
      if (!budget.take()) break pages;
      const page = await fetchChildPage(target, job, request);
      // A failed page fails the whole poll (a 429 pauses everything); nothing partial is applied.
      if (!page.ok) return failedRead(page);
      for (const child of page.answer.children) children.set(child.id, childStateOf(child));
      request = nextChildPage(request, page.answer);
    }
  }
  const { reading, items } = readBatch(batch.answer, children, job.terminalSeenAt, now);
  const storedById = new Map(stored.map((item) => [item.itemId, item]));
  return {
    result: { ok: true, answer: reading },
    items: changedItems(items, storedById),
    failed: failedItems(items),
    pauseUntil: null,
  };
}
