/**
 * LlamaCloud's v2 batch list (`GET /api/v2/batches?project_id=&status=&created_at_on_or_after=&
 * page_size=&page_token=`), read page by page by a watch's scan. Like the v2 client, only ids are
 * required; everything else may be missing or null.
 */
import { type LlamaCloudTarget, mapAnswer, type Scope, type UpstreamResult, upstreamUrl } from "./v1";
import { type ListedJob, listedJobSchema, toListedJob } from "./v1-list";
import { getV2Page, v2PageSchema } from "./v2";

const listPageSchema = v2PageSchema(listedJobSchema);

export interface V2ListRequest {
  /** One upstream status (`RUNNING`), or null for every status. */
  status: string | null;
  /** ISO-8601; only batches created at or after it. */
  createdOnOrAfter: string | null;
  pageSize: number;
  pageToken: string | null;
}

export interface V2ListPage {
  batches: ListedJob[];
  /** Where the next page starts; null on the last page. */
  nextPageToken: string | null;
}

/**
 * Fetches ONE page of the project's batches: exactly one request, which the caller counts against
 * the tick's budget. Failures come back classified like a poll's.
 */
export async function fetchV2ListPage(
  target: LlamaCloudTarget,
  scope: Scope,
  request: V2ListRequest,
): Promise<UpstreamResult<V2ListPage>> {
  const url = upstreamUrl(target, "/api/v2/batches", scope);
  if (request.status) url.searchParams.set("status", request.status);
  if (request.createdOnOrAfter) url.searchParams.set("created_at_on_or_after", request.createdOnOrAfter);
  url.searchParams.set("page_size", String(request.pageSize));
  return mapAnswer(await getV2Page(target, url, listPageSchema, request.pageToken), (page) => ({
    batches: page.items.map(toListedJob),
    nextPageToken: page.nextPageToken,
  }));
}
