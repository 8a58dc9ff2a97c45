/**
 * LlamaCloud's current batch API (v2, `bat-…`): the batch with its `results`, and the child jobs those
 * results name, read in pages through each product's list. Requests go through the v1 client's
 * getJson, so both generations fail in exactly the same classified ways. Like v1, only ids and
 * statuses are required: other fields may be missing or null, extra fields pass through untouched and
 * any status string is accepted, so a new upstream status never breaks polling.
 */
import { z } from "zod";
import {
  getJson,
  type JobRef,
  type LlamaCloudTarget,
  mapAnswer,
  ofAskedId,
  type Scope,
  type UpstreamResult,
  upstreamUrl,
} from "./v1";

const text = z.string().nullish();

const resultEntrySchema = z.looseObject({
  source_directory_file_id: z.string().min(1),
  error_message: text,
  /** Missing on a file that could not be mapped to a job. */
  job_reference: z.looseObject({ id: z.string().min(1), type: text }).nullish(),
});

const batchSchema = z.looseObject({
  id: z.string(),
  status: z.string().min(1),
  config: z.looseObject({ job: z.looseObject({ type: text, configuration_id: text }).nullish() }).nullish(),
  project_id: text,
  source_directory_id: text,
  created_at: text,
  updated_at: text,
  /** One entry per source file mapped so far; null (or short) while the batch is still mapping. */
  results: z.array(resultEntrySchema).nullish(),
});

export type Batch = z.output<typeof batchSchema>;
export type BatchResultEntry = z.output<typeof resultEntrySchema>;

const childJobSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  error_message: text,
  name: text,
  created_at: text,
  updated_at: text,
});

export type ChildJob = z.output<typeof childJobSchema>;

const childPageSchema = v2PageSchema(childJobSchema);

/** A page of any v2 list endpoint: its `items` and the `next_page_token` that continues it. */
export function v2PageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({ items: z.array(item), next_page_token: text });
}

/**
 * Reads ONE page of a v2 list (a project's batches, a batch's children): `page_token` sent when there
 * is one, the next page's token answered, or null on the last page.
 */
export async function getV2Page<Item>(
  target: LlamaCloudTarget,
  url: URL,
  pageSchema: z.ZodType<{ items: Item[]; next_page_token?: string | null }>,
  pageToken: string | null | undefined,
): Promise<UpstreamResult<{ items: Item[]; nextPageToken: string | null }>> {
  if (pageToken) url.searchParams.set("page_token", pageToken);
  return mapAnswer(await getJson(target, url, pageSchema), (page) => {
    const token = page.next_page_token;
    // "" ends the list like null does; a token that repeats the one sent would loop for the whole budget.
    return { items: page.items, nextPageToken: token && token !== pageToken ? token : null };
  });
}

/** The products whose jobs a batch can start, and the list each one's jobs are read through. */
export const CHILD_LIST_PATHS = { parse_v2: "/api/v2/parse", extract_v2: "/api/v2/extract" } as const;
export type ChildType = keyof typeof CHILD_LIST_PATHS;
export const CHILD_TYPES = Object.keys(CHILD_LIST_PATHS) as ChildType[];
/** The lists' largest `page_size`, and so the most `job_ids` one request asks for. */
export const MAX_CHILD_IDS_PER_PAGE = 100;

export function isChildType(type: string | null | undefined): type is ChildType {
  return type != null && Object.hasOwn(CHILD_LIST_PATHS, type);
}

/** One request for child jobs: up to MAX_CHILD_IDS_PER_PAGE ids of one type, and where to continue. */
export interface ChildPageRequest {
  type: ChildType;
  jobIds: readonly string[];
  pageToken?: string | null;
}

export interface ChildPage {
  children: ChildJob[];
  /** Where the next page starts; null on the last page. */
  nextPageToken: string | null;
}

/**
 * A batch answer carries one results entry (~180 bytes) per file: 8 MiB holds some 45,000 files (a
 * 5,000-file batch is ~0.9 MB), where the shared 256 KiB cap would refuse batches above ~1,480.
 */
export const MAX_BATCH_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * Fetches one batch with its results. Never throws and never retries: every failure comes back
 * classified, and the monitor's next poll is the retry.
 */
export async function fetchBatch(target: LlamaCloudTarget, batch: JobRef): Promise<UpstreamResult<Batch>> {
  const url = upstreamUrl(target, `/api/v2/batches/${encodeURIComponent(batch.jobId)}`, batch);
  url.searchParams.set("expand", "results");
  const result = await getJson(target, url, batchSchema, MAX_BATCH_ANSWER_BYTES);
  return ofAskedId(result, (answer) => answer.id, batch, "batch");
}

/**
 * Fetches ONE page of child jobs: one subrequest, so the caller runs each through the shared pool and
 * counts it against the tick's budget. Never throws for upstream faults (they come back classified
 * like every other request); asking for no ids or more than a page's worth is a bug and throws.
 */
export async function fetchChildPage(
  target: LlamaCloudTarget,
  scope: Scope,
  request: ChildPageRequest,
): Promise<UpstreamResult<ChildPage>> {
  if (request.jobIds.length === 0 || request.jobIds.length > MAX_CHILD_IDS_PER_PAGE) {
    throw new RangeError(
      `A child page asks for 1 to ${MAX_CHILD_IDS_PER_PAGE} job ids, not ${request.jobIds.length}.`,
    );
  }
  const url = upstreamUrl(target, CHILD_LIST_PATHS[request.type], scope);
  for (const id of request.jobIds) url.searchParams.append("job_ids", id);
  url.searchParams.set("page_size", String(MAX_CHILD_IDS_PER_PAGE));
  return mapAnswer(await getV2Page(target, url, childPageSchema, request.pageToken), (page) => ({
    children: page.items,
    nextPageToken: page.nextPageToken,
  }));
}

/** The request for the page after `page`, or null when `page` was the last. */
export function nextChildPage(request: ChildPageRequest, page: ChildPage): ChildPageRequest | null {
  return page.nextPageToken === null ? null : { ...request, pageToken: page.nextPageToken };
}
