/**
 * The delivery rules as pure functions: what an attempt's answer means and when the next attempt is.
 */
import { readThrown } from "../outbound";

/**
 * The Standard Webhooks retry schedule: the wait after each failed attempt. The first attempt is
 * immediate, so a delivery is tried at most RETRY_DELAYS_MS.length + 1 times before it is `failed`.
 */
export const RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** Retries run on the cron tick, so a wait is rounded up to the next whole minute. */
export const TICK_MS = 60_000;
export const DELIVERY_TIMEOUT_MS = 15_000;

export function roundUpToTick(ms: number): number {
  return Math.ceil(ms / TICK_MS) * TICK_MS;
}

/** How one attempt went, as read off the receiver's answer (or the lack of one). */
export type AttemptResult =
  | { kind: "delivered"; statusCode: number }
  | { kind: "gone"; statusCode: 410 }
  | { kind: "failed"; statusCode: number | null; error: string };

/** Any 2xx is delivered; 410 disables the subscription; a redirect or any other answer is a failure. */
export function classifyAnswer(statusCode: number): AttemptResult {
  if (statusCode >= 200 && statusCode < 300) return { kind: "delivered", statusCode };
  if (statusCode === 410) return { kind: "gone", statusCode: 410 };
  if (statusCode >= 300 && statusCode < 400) {
    return {
      kind: "failed",
      statusCode,
      error: `The receiver answered with a redirect (HTTP ${statusCode}); redirects are not followed.`,
    };
  }
  return { kind: "failed", statusCode, error: `The receiver answered HTTP ${statusCode}.` };
}

/** A thrown fetch: our own timeout, or a network failure (no status code either way). */
export function classifyThrown(error: unknown): AttemptResult {
  const { timeout, detail } = readThrown(error);
  const message = timeout
    ? `The receiver did not answer within ${DELIVERY_TIMEOUT_MS / 1000} s.`
    : `Could not reach the receiver${detail}.`;
  return { kind: "failed", statusCode: null, error: message };
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface NextState {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
}

/**
 * The delivery's state after an attempt. `attemptsBefore` counts the attempts already made, so the
 * attempt just made is number attemptsBefore + 1.
 */
export function afterAttempt(attemptsBefore: number, result: AttemptResult, now: number): NextState {
  const attempts = attemptsBefore + 1;
  if (result.kind === "delivered") return { status: "delivered", attempts, nextAttemptAt: null };
  if (result.kind === "gone" || attempts >= MAX_ATTEMPTS) {
    return { status: "failed", attempts, nextAttemptAt: null };
  }
  const delay = RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1] ?? TICK_MS;
  return { status: "pending", attempts, nextAttemptAt: roundUpToTick(now + delay) };
}
