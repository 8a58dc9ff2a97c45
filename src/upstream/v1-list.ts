/**
 * LlamaCloud's v1 job list (`GET /api/v1/beta/batch-processing?status=&project_id=&limit=&offset=`),
 * read page by page by a watch's scan. Only the fields discovery needs are checked; the rest of each
 * job passes through untouched, like the status answer's.
 */
import { z } from "zod";
import {
  getJson,
  type LlamaCloudTarget,
  mapAnswer,
  type Scope,
  type UpstreamResult,
  type V1Page,
  v1PageUrl,
} from "./v1";

/** The fields of a listed v1 job or v2 batch that discovery reads; both lists name them alike. */
export const listedJobSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().nullish(),
  project_id: z.string().nullish(),
  created_at: z.string().nullish(),
});

const listPageSchema = z.looseObject({
  items: z.array(listedJobSchema),
  total_size: z.number().nullish(),
});

/** A job or batch as a list answer names it: what a watch's scan needs to decide whether it is new. */
export interface ListedJob {
  id: string;
  status: string | null;
  /** The project LlamaCloud says the job belongs to (null when the answer leaves it out). */
  projectId: string | null;
  createdAt: string | null;
}

export function toListedJob(listed: z.output<typeof listedJobSchema>): ListedJob {
  return {
    id: listed.id,
    status: listed.status ?? null,
    projectId: listed.project_id ?? null,
    createdAt: listed.created_at ?? null,
  };
}

export interface V1ListPage {
  jobs: ListedJob[];
  /** How many jobs the whole filtered list holds, when LlamaCloud says. */
  totalSize: number | null;
}

/**
 * Fetches ONE page of the project's jobs with one status: exactly one request, which the caller
 * counts against the tick's budget. Failures come back classified like a status poll's.
 */
export async function fetchV1ListPage(
  target: LlamaCloudTarget,
  scope: Scope,
  request: V1Page,
): Promise<UpstreamResult<V1ListPage>> {
  const url = v1PageUrl(target, "/api/v1/beta/batch-processing", scope, request);
  return mapAnswer(await getJson(target, url, listPageSchema), (page) => ({
    jobs: page.items.map(toListedJob),
    totalSize: page.total_size ?? null,
  }));
}
