// What every outbound fetch shares, to LlamaCloud and to webhook receivers alike: the connection
// limit, the pool that keeps to it, and how a thrown fetch is read.

/** Workers allow six simultaneous open connections per invocation; polls and deliveries share it. */
export const MAX_IN_FLIGHT = 6;

/**
 * Runs `task` over `items` in order, at most MAX_IN_FLIGHT at a time, starting none once `stop()`
 * says so. Returns how many were started: the items from that index on never ran.
 */
export async function inPool<T>(
  items: readonly T[],
  stop: () => boolean,
  task: (item: T, index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  async function worker() {
    while (next < items.length && !stop()) {
      const index = next++;
      await task(items[index] as T, index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, items.length) }, worker));
  return next;
}

/** A thrown fetch: our own timeout (AbortSignal.timeout), or else a network failure with its detail. */
export function readThrown(error: unknown): { timeout: boolean; detail: string } {
  const name = error instanceof Error ? error.name : "";
  const detail =
    error instanceof Error && error.message ? `: ${error.message.slice(0, 200).replace(/[.\s]+$/, "")}` : "";
  return { timeout: name === "TimeoutError" || name === "AbortError", detail };
}
