/**
 * A job's files (the items table) as the monitor sees them, as pure functions: which items a poll
 * must write, and the failed ones a `job.finished` event lists.
 */
import type { ItemState } from "../model";

export type { ItemState };

/** At most this many failed items are listed in a `job.finished` event. */
export const MAX_FAILED_ITEMS_LISTED = 20;

function sameItem(a: ItemState, b: ItemState): boolean {
  return (
    a.name === b.name &&
    a.status === b.status &&
    a.errorMessage === b.errorMessage &&
    a.childJobId === b.childJobId &&
    a.childType === b.childType &&
    a.updatedAt === b.updatedAt &&
    a.settled === b.settled
  );
}

/**
 * The items to write: new ones, and stored ones that differ. A settled item stays as stored (an
 * unmappable file's time follows the batch's, which must not rewrite it on every poll).
 */
export function changedItems(
  next: readonly ItemState[],
  stored: ReadonlyMap<string, ItemState>,
): ItemState[] {
  return next.filter((item) => {
    const before = stored.get(item.itemId);
    if (!before) return true;
    if (before.settled && before.childJobId === item.childJobId) return false;
    return !sameItem(before, item);
  });
}

/** The stored items with `fresh` laid over them, by item id (the job's files after this poll). */
export function mergeItems(stored: readonly ItemState[], fresh: readonly ItemState[]): ItemState[] {
  const byId = new Map(stored.map((item) => [item.itemId, item]));
  for (const item of fresh) byId.set(item.itemId, item);
  return [...byId.values()];
}

/** Up to MAX_FAILED_ITEMS_LISTED items with a failed status, in the order given. */
export function failedItems(items: Iterable<ItemState>): ItemState[] {
  const failed: ItemState[] = [];
  for (const item of items) {
    if (item.status !== "failed") continue;
    failed.push(item);
    if (failed.length === MAX_FAILED_ITEMS_LISTED) break;
  }
  return failed;
}
