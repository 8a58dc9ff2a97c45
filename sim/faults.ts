// Injected upstream faults. A fault matches requests by job and endpoint and is used up after
// `times` matching requests, so a test can script "two 503s, then normal answers".

import { fragment } from "./format";
import type { Endpoint } from "./model";

export const FAULT_KINDS = [
  "rate_limit",
  "server_error",
  "malformed",
  "latency",
  "unknown_status",
  "not_found",
  "unauthorized",
  "bad_request",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const MALFORMED_VARIANTS = [
  "truncated",
  "not_json",
  "wrong_shape",
  "empty",
  "oversized",
  "other_id",
] as const;
export type MalformedVariant = (typeof MALFORMED_VARIANTS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /**
   * Only requests about this job (a v1 job, a v2 batch, or a child job; a child list request is about
   * every job it names and their batches); absent = every request of the tenant (lists included).
   */
  job_id?: string | null;
  /** Only this endpoint; absent = all. */
  endpoint?: Endpoint | null;
  /** Matching requests it affects before it is used up; default 1. */
  times?: number;
  /** Never used up (until cleared). */
  forever?: boolean;
  /** rate_limit: seconds until retry (default 30); null sends no Retry-After header. */
  retry_after?: number | null;
  /** rate_limit: `seconds` (default) or `http-date` form of Retry-After. */
  retry_after_format?: "seconds" | "http-date";
  /** server_error: 500 (default), 502, 503, 504…; unauthorized: 401 (default) or 403; bad_request: 422 (default) or 400. */
  status?: number;
  /** latency: delay in ms before the normal answer (default 1000). */
  delay_ms?: number;
  /** malformed: how the body is broken (default `truncated`). */
  variant?: MalformedVariant;
  /** unknown_status: the status string shown instead of the real one (default `suspended`; `SUSPENDED` on v2). */
  status_value?: string;
}

export interface Fault {
  id: string;
  spec: FaultSpec;
  remaining: number;
  used: number;
}

export interface FaultTarget {
  endpoint: Endpoint;
  /** The jobs the request is about. */
  jobIds: readonly string[];
}

export function makeFault(spec: FaultSpec, id: string): Fault {
  return { id, spec, remaining: spec.forever ? Number.POSITIVE_INFINITY : (spec.times ?? 1), used: 0 };
}

export function faultMatches(fault: Fault, target: FaultTarget): boolean {
  const { spec } = fault;
  if (fault.remaining <= 0) return false;
  if (spec.endpoint && spec.endpoint !== target.endpoint) return false;
  if (spec.job_id && !target.jobIds.includes(spec.job_id)) return false;
  return true;
}

/**
 * Takes the faults that apply to one request: every matching `latency` fault (delays add up) and
 * the first other matching fault. Each taken fault is used once.
 */
export function takeFaults(faults: Fault[], target: FaultTarget): { delayMs: number; fault: Fault | null } {
  let delayMs = 0;
  let fault: Fault | null = null;
  for (const candidate of faults) {
    if (!faultMatches(candidate, target)) continue;
    if (candidate.spec.kind === "latency") {
      delayMs += candidate.spec.delay_ms ?? 1000;
    } else if (fault) {
      continue;
    } else {
      fault = candidate;
    }
    candidate.remaining -= 1;
    candidate.used += 1;
  }
  return { delayMs, fault };
}

/** The answer a fault gives in place of the real one; null when it alters the real answer instead. */
export function faultResponse(
  fault: Fault,
  nowMs: number,
  notFound = "Batch job not found",
): Response | null {
  const { spec } = fault;
  switch (spec.kind) {
    case "rate_limit": {
      const headers: Record<string, string> = {};
      const seconds = spec.retry_after === undefined ? 30 : spec.retry_after;
      if (seconds !== null) {
        headers["retry-after"] =
          spec.retry_after_format === "http-date"
            ? new Date(nowMs + seconds * 1000).toUTCString()
            : String(Math.ceil(seconds));
      }
      return detail(429, "Rate limit exceeded. Please retry later.", headers);
    }
    case "server_error": {
      const status = spec.status ?? 500;
      // Gateways in front of the API answer 502/504 with HTML, not JSON.
      if (status === 502 || status === 504) {
        return new Response(`<html><body><h1>${status} Gateway error</h1></body></html>`, {
          status,
          headers: { "content-type": "text/html" },
        });
      }
      return detail(status, "Internal Server Error");
    }
    case "not_found":
      return detail(404, notFound);
    case "unauthorized":
      return detail(spec.status ?? 401, "Invalid API key");
    case "bad_request": {
      // The API's framework rejects a malformed query parameter (a project_id that is not a UUID)
      // with 422 and a list of what failed validation.
      const status = spec.status ?? 422;
      const body =
        status === 422
          ? {
              detail: [
                {
                  type: "uuid_parsing",
                  loc: ["query", "project_id"],
                  msg: "Input should be a valid UUID",
                  input: "not-a-uuid",
                },
              ],
            }
          : { detail: "Bad request" };
      return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    }
    default:
      return null;
  }
}

/** Applies an answer-altering fault (`malformed`, `unknown_status`) to the real answer. */
export async function alterResponse(fault: Fault, response: Response): Promise<Response> {
  const { spec } = fault;
  const text = await response.text();
  const init = { status: response.status, headers: { "content-type": "application/json" } };
  if (spec.kind === "unknown_status") {
    return new Response(JSON.stringify(replaceStatus(safeParse(text), spec.status_value)), init);
  }
  switch (spec.variant ?? "truncated") {
    case "truncated":
      return new Response(text.slice(0, Math.max(1, Math.floor(text.length / 2))), init);
    case "not_json":
      return new Response(
        "<html><body>upstream connect error or disconnect/reset before headers</body></html>",
        {
          ...init,
          status: 200,
        },
      );
    case "wrong_shape":
      // Valid JSON, but none of the expected top-level keys.
      return new Response(JSON.stringify({ data: safeParse(text), detail: null }), { ...init, status: 200 });
    case "empty":
      return new Response("", { ...init, status: 200 });
    case "oversized": {
      // A well-formed answer carrying a runaway field (300 KiB), sent without a Content-Length.
      const padded = JSON.stringify({ ...(safeParse(text) as object), debug_trace: "x".repeat(300 * 1024) });
      const bytes = new TextEncoder().encode(padded);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 16 * 1024) controller.enqueue(bytes.slice(i, i + 16 * 1024));
          controller.close();
        },
      });
      return new Response(stream, { ...init, status: 200 });
    }
    case "other_id":
      // A well-formed answer about another job or batch, as a misrouting proxy or cache would send.
      return new Response(JSON.stringify(replaceId(safeParse(text))), init);
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Swaps the id of what the answer is about: a v1 status answer's `job.id`, a v2 batch's (or batch
 * cancel answer's) `id`, a v1 cancel answer's `job_id`. Lists name many jobs and are left as they are.
 */
function replaceId(body: unknown): unknown {
  if (!body || typeof body !== "object" || Array.isArray(body)) return body;
  const record = body as Record<string, unknown>;
  const job = record.job as Record<string, unknown> | undefined;
  if (job && typeof job === "object" && typeof job.id === "string") {
    return { ...record, job: { ...job, id: otherId(job.id) } };
  }
  if (typeof record.id === "string") return { ...record, id: otherId(record.id) };
  if (typeof record.job_id === "string") return { ...record, job_id: otherId(record.job_id) };
  return body;
}

/** Another id of the same kind (`bjb-…`, `bat-…`), stable for a given one. */
function otherId(id: string): string {
  const prefix = id.match(/^[a-z]+-/)?.[0] ?? "";
  return `${prefix}${fragment(`other/${id}`, 12)}`;
}

/**
 * Swaps the status wherever the answer carries one: a status answer, a list page, a cancel answer, a
 * v2 batch. Without a given value, an unknown status in the answer's own style (v2 shouts).
 */
function replaceStatus(body: unknown, given: string | undefined): unknown {
  if (!body || typeof body !== "object") return body;
  const record = body as Record<string, unknown>;
  const sample = JSON.stringify(record.job ?? record.items ?? record).match(/"status":"([^"]*)"/)?.[1] ?? "";
  const status = given ?? (sample !== "" && sample === sample.toUpperCase() ? "SUSPENDED" : "suspended");
  if (record.job && typeof record.job === "object") return { ...record, job: { ...record.job, status } };
  if (Array.isArray(record.items)) {
    return { ...record, items: record.items.map((item) => ({ ...(item as object), status })) };
  }
  if ("status" in record) return { ...record, status };
  return body;
}

export function detail(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ detail: message }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
