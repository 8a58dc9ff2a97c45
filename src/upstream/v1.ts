import { z } from "zod";
import { readUpTo } from "../bounded-read";
import { classifyHttpFailure, classifyThrown, type UpstreamFailure } from "./failures";

/**
 * The status answer as LlamaCloud sends it. Only `id` and `status` are required: optional fields may
 * be missing or null, extra fields pass through untouched, and any status string is accepted so a
 * new upstream status never breaks polling.
 */
const count = z.number().nullish();
const text = z.string().nullish();

const upstreamJobSchema = z.looseObject({
  id: z.string(),
  status: z.string().min(1),
  job_type: text,
  project_id: text,
  total_items: count,
  processed_items: count,
  failed_items: count,
  skipped_items: count,
  error_message: text,
  completed_at: text,
  created_at: text,
  directory_id: text,
  effective_at: text,
  job_record_id: text,
  started_at: text,
  updated_at: text,
  workflow_id: text,
});

/** The job fields LlamaCloud's status answer is known to carry. */
export const UPSTREAM_JOB_FIELDS = Object.keys(upstreamJobSchema.shape);

const statusAnswerSchema = z.looseObject({
  job: upstreamJobSchema,
  progress_percentage: z.number().nullish(),
});

export type StatusAnswer = z.infer<typeof statusAnswerSchema>;

/** A request's answer, or how it failed: every LlamaCloud request comes back as one of these. */
export type UpstreamResult<T> = { ok: true; answer: T } | { ok: false; failure: UpstreamFailure };

/** The answer read on by `read`; a failure passes through as it came. */
export function mapAnswer<T, U>(result: UpstreamResult<T>, read: (answer: T) => U): UpstreamResult<U> {
  return result.ok ? { ok: true, answer: read(result.answer) } : result;
}

export type StatusResult = UpstreamResult<StatusAnswer>;

const itemSchema = z.looseObject({
  item_id: z.string().min(1),
  item_name: text,
  status: z.string().min(1),
  error_message: text,
  started_at: text,
  completed_at: text,
});

const itemsPageSchema = z.looseObject({
  items: z.array(itemSchema),
  total_size: count,
});

export type V1Item = z.output<typeof itemSchema>;
export type ItemsPage = z.output<typeof itemsPageSchema>;

export const REQUEST_TIMEOUT_MS = 10_000;
/**
 * A status answer is a few hundred bytes and a page of 100 items or child jobs a few tens of KB;
 * anything this big is not one, and is not worth storing. (A v2 batch with its results asks for more.)
 */
export const MAX_ANSWER_BYTES = 256 * 1024;

export interface LlamaCloudTarget {
  baseUrl: string;
  apiKey: string | undefined;
}

export interface JobRef {
  jobId: string;
  projectId: string | null;
  organizationId: string | null;
}

/** The scope every LlamaCloud request carries: the job's (or watch's) project and organization. */
export type Scope = Pick<JobRef, "projectId" | "organizationId">;

/**
 * Fetches one job's status. Never throws and never retries: every failure comes back classified and
 * the monitor's next poll is the retry.
 */
export async function fetchJobStatus(target: LlamaCloudTarget, job: JobRef): Promise<StatusResult> {
  const url = upstreamUrl(target, `/api/v1/beta/batch-processing/${encodeURIComponent(job.jobId)}`, job);
  return ofAskedId(await getJson(target, url, statusAnswerSchema), (answer) => answer.job.id, job, "job");
}

/**
 * `result`, unless it answers for another id than the one asked for: that answer is malformed, never
 * applied to the asked-for job or batch.
 */
export function ofAskedId<T>(
  result: UpstreamResult<T>,
  answeredId: (answer: T) => string,
  asked: JobRef,
  what: "job" | "batch",
): UpstreamResult<T> {
  if (!result.ok || answeredId(result.answer) === asked.jobId) return result;
  return {
    ok: false,
    failure: {
      kind: "malformed",
      message: `LlamaCloud answered with a different ${what} than the one asked for.`,
    },
  };
}

/**
 * Fetches one page of a job's items with a status (`GET …/{job_id}/items?status=&limit=&offset=`):
 * exactly one request, failures classified like a status poll's.
 */
export async function fetchItemsPage(
  target: LlamaCloudTarget,
  job: JobRef,
  page: V1Page,
): Promise<UpstreamResult<ItemsPage>> {
  const path = `/api/v1/beta/batch-processing/${encodeURIComponent(job.jobId)}/items`;
  return getJson(target, v1PageUrl(target, path, job, page), itemsPageSchema);
}

/** One page of a v1 list with one status: v1 lists (of jobs, of a job's items) page by limit and offset. */
export interface V1Page {
  status: string;
  limit: number;
  offset: number;
}

/** `path` scoped as upstreamUrl scopes it, asking for `page` of its list. */
export function v1PageUrl(target: LlamaCloudTarget, path: string, scope: Scope, page: V1Page): URL {
  const url = upstreamUrl(target, path, scope);
  url.searchParams.set("status", page.status);
  url.searchParams.set("limit", String(page.limit));
  url.searchParams.set("offset", String(page.offset));
  return url;
}

/** `path` under the base URL, scoped to the job's project and organization as every LlamaCloud request is. */
export function upstreamUrl(target: LlamaCloudTarget, path: string, scope: Scope): URL {
  const url = new URL(`${target.baseUrl}${path}`);
  if (scope.projectId) url.searchParams.set("project_id", scope.projectId);
  if (scope.organizationId) url.searchParams.set("organization_id", scope.organizationId);
  return url;
}

/**
 * GETs one LlamaCloud answer and reads it with `schema`: the request machinery both API generations
 * share, so a v1 poll and a v2 batch or child page fail in exactly the same classified ways.
 */
export async function getJson<S extends z.ZodType>(
  target: LlamaCloudTarget,
  url: URL,
  schema: S,
  maxBytes: number = MAX_ANSWER_BYTES,
): Promise<UpstreamResult<z.output<S>>> {
  if (!target.apiKey) {
    return {
      ok: false,
      failure: {
        kind: "not_configured",
        message: "LLAMA_CLOUD_API_KEY is not set, so jobs cannot be polled.",
      },
    };
  }
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${target.apiKey}`, Accept: "application/json" },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: "manual",
    });
  } catch (error) {
    return { ok: false, failure: classifyThrown(error, REQUEST_TIMEOUT_MS) };
  }

  if (!response.ok) {
    // Drain the body so the connection is released; its content is not trusted for anything.
    await response.body?.cancel().catch(() => {});
    return {
      ok: false,
      failure: classifyHttpFailure(response.status, response.headers.get("retry-after"), Date.now()),
    };
  }

  let text: string | null;
  try {
    text = await readAtMost(response, maxBytes);
  } catch (error) {
    return { ok: false, failure: classifyThrown(error, REQUEST_TIMEOUT_MS) };
  }
  if (text === null) {
    return {
      ok: false,
      failure: {
        kind: "malformed",
        message: `LlamaCloud's answer is larger than ${Math.round(maxBytes / 1024)} KiB, too large for what was asked.`,
      },
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      ok: false,
      failure: { kind: "malformed", message: "LlamaCloud answered with a body that is not JSON." },
    };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? ` (${issue.path.join(".") || "body"}: ${issue.message})` : "";
    return {
      ok: false,
      failure: { kind: "malformed", message: `LlamaCloud's answer did not have the expected shape${where}.` },
    };
  }
  return { ok: true, answer: parsed.data };
}

/**
 * The body as text, or null once it passes `maxBytes`: read chunk by chunk and abandoned there, so a
 * runaway answer never fills the isolate's memory (six polls may be reading at once).
 */
async function readAtMost(response: Response, maxBytes: number): Promise<string | null> {
  if (Number(response.headers.get("content-length") ?? 0) > maxBytes) {
    await response.body?.cancel().catch(() => {});
    return null;
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const bytes = await readUpTo(reader, maxBytes);
  if (!bytes) {
    await reader.cancel().catch(() => {});
    return null;
  }
  return new TextDecoder().decode(bytes);
}
