/**
 * How a status request to LlamaCloud can fail. The monitor decides what to do from the kind alone:
 * back off, pause every poll, count towards `lost`, or record that it is not configured.
 */
import { readThrown } from "../outbound";
export type FailureKind =
  | "not_configured"
  | "network"
  | "timeout"
  | "unauthorized"
  | "not_found"
  | "rate_limited"
  | "server_error"
  | "client_error"
  | "malformed";

export interface UpstreamFailure {
  kind: FailureKind;
  message: string;
  httpStatus?: number;
  /** Only for `rate_limited`: when polling may resume (epoch ms). */
  retryAt?: number;
}

/** Without a usable Retry-After, a 429 still pauses polling for this long. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 60_000;
/** A Retry-After further away than this is treated as this: a bad header must not stop polling for good. */
export const MAX_RATE_LIMIT_PAUSE_MS = 24 * 60 * 60_000;

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "\\d{2}:\\d{2}:\\d{2}";
/**
 * The three HTTP-date forms (RFC 9110 §5.6.7), and nothing else: `Date.parse` alone reads almost any
 * text with a year in it ("May 2099") as a date, and a misread header could pause every poll for a day.
 */
const HTTP_DATE = [
  new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`), // IMF-fixdate
  new RegExp(`^${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`), // RFC 850
];
const ASCTIME = new RegExp(`^${DAY} ${MONTH} (?: \\d|\\d{2}) ${TIME} \\d{4}$`);

/** Parses both Retry-After forms (delta-seconds or HTTP-date) into an absolute time; null when unusable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (trimmed === "") return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return now + Math.ceil(Number(trimmed) * 1000);
  let date = Number.NaN;
  if (HTTP_DATE.some((form) => form.test(trimmed))) date = Date.parse(trimmed);
  // asctime carries no zone; HTTP says it is GMT, Date.parse would take it as local time.
  else if (ASCTIME.test(trimmed)) date = Date.parse(`${trimmed} GMT`);
  if (Number.isNaN(date)) return null;
  return Math.max(date, now);
}

/** Classifies a non-2xx answer. */
export function classifyHttpFailure(status: number, retryAfter: string | null, now: number): UpstreamFailure {
  if (status === 429) {
    const parsed = parseRetryAfter(retryAfter, now) ?? now + DEFAULT_RATE_LIMIT_PAUSE_MS;
    const retryAt = Math.min(parsed, now + MAX_RATE_LIMIT_PAUSE_MS);
    return {
      kind: "rate_limited",
      httpStatus: status,
      retryAt,
      message: `LlamaCloud rate limit reached; polling resumes at ${new Date(retryAt).toISOString()}.`,
    };
  }
  if (status === 401 || status === 403) {
    return {
      kind: "unauthorized",
      httpStatus: status,
      message: `LlamaCloud refused the API key (HTTP ${status}).`,
    };
  }
  if (status === 404) {
    return {
      kind: "not_found",
      httpStatus: status,
      message: "LlamaCloud does not know this job (HTTP 404).",
    };
  }
  if (status >= 500) {
    return { kind: "server_error", httpStatus: status, message: `LlamaCloud answered HTTP ${status}.` };
  }
  return {
    kind: "client_error",
    httpStatus: status,
    message: `LlamaCloud rejected the request (HTTP ${status}).`,
  };
}

/** Classifies a thrown fetch error: our own abort is a timeout, anything else a network failure. */
export function classifyThrown(error: unknown, timeoutMs: number): UpstreamFailure {
  const { timeout, detail } = readThrown(error);
  if (timeout) return { kind: "timeout", message: `LlamaCloud did not answer within ${timeoutMs / 1000} s.` };
  return { kind: "network", message: `Could not reach LlamaCloud${detail}.` };
}
