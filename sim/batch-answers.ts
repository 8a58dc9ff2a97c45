// What the v2 API shows about a simulated batch and its child jobs: the batch (with `results` when
// expanded), each child as its product's list shows it, and the cursor pages of those lists.

import { dressed } from "./backdate";
import {
  batchStatusAt,
  childMilestones,
  childStatusAt,
  isThrottledAt,
  isUnmappable,
  mappedAtWork,
  positionOfWork,
  RUNNING,
  workAt,
} from "./batch-lifecycle";
import type { BatchJson, BatchResultJson, ChildJobJson, CursorPageJson, SimBatch } from "./batch-model";
import { BATCH_TERMINAL_STATUSES } from "./batch-model";
import { FILE_ERRORS, iso, uuidLike } from "./format";

const MAPPING_ERRORS = [
  "File could not be read from the source directory",
  "File type not supported by this job type: .exe",
];

function fileId(batch: SimBatch, file: number): string {
  return `dfl-${uuidLike(`${batch.id}/file/${file}`)}`;
}

export function childId(batch: SimBatch, file: number): string {
  return `${batch.jobType === "parse_v2" ? "pjb" : "exj"}-${uuidLike(`${batch.id}/job/${file}`)}`;
}

function fileName(batch: SimBatch, file: number): string {
  return `${batch.jobType === "parse_v2" ? "report" : "invoice"}-${String(file + 1).padStart(4, "0")}.pdf`;
}

/** The batch's own status (before PATCH overrides). */
export function batchStatus(batch: SimBatch): string {
  return batchStatusAt(batch.plan, batch.course, batch.position, batch.halt);
}

/** Files whose entry is in `results` now (mapping stops where a cancel halted it). */
export function mappedFiles(batch: SimBatch): number {
  const at = batch.halt ? Math.min(batch.position, batch.halt.position) : batch.position;
  return mappedAtWork(batch.plan, workAt(batch.plan, at));
}

/** The batch as the API shows it; `results` only when expanded, and null until a file is mapped. */
export function batchJson(batch: SimBatch, expand: { results: boolean }): BatchJson {
  const answer: BatchJson = {
    id: batch.id,
    config: { job: { type: batch.jobType, configuration_id: batch.configurationId } },
    project_id: batch.projectId,
    source_directory_id: batch.sourceDirectoryId,
    status: batchStatus(batch),
    created_at: iso(batch.createdAtMs),
    updated_at: iso(batch.updatedAtMs),
    results: expand.results ? resultsJson(batch) : null,
  };
  return dressed(answer, batch.overrides, batch);
}

function resultsJson(batch: SimBatch): BatchResultJson[] | null {
  const mapped = mappedFiles(batch);
  if (mapped === 0 && !BATCH_TERMINAL_STATUSES.has(batchStatus(batch))) return null;
  const results: BatchResultJson[] = [];
  for (let file = 0; file < mapped; file++) {
    const unmappable = isUnmappable(batch.plan, file);
    results.push({
      source_directory_file_id: fileId(batch, file),
      error_message: unmappable ? (MAPPING_ERRORS[file % MAPPING_ERRORS.length] ?? null) : null,
      job_reference: unmappable ? null : { id: childId(batch, file), type: batch.jobType },
    });
  }
  return results;
}

/** A child's status as its list shows it: stuck jobs run forever; waiting extract jobs show THROTTLED. */
export function childStatus(batch: SimBatch, file: number, position = batch.position): string | null {
  const status = childStatusAt(batch.plan, file, position, batch.halt);
  if (status === "stuck") return "RUNNING";
  const throttled = batch.jobType === "extract_v2" && isThrottledAt(batch.plan, position) && !batch.halt;
  return status === "PENDING" && throttled ? "THROTTLED" : status;
}

/** One child job as its product's list shows it; null while it does not exist. */
export function childJson(batch: SimBatch, file: number): ChildJobJson | null {
  const status = childStatus(batch, file);
  if (status === null) return null;
  const { plan } = batch;
  const milestones = childMilestones(plan, file);
  const reached = (work: number) => batch.reachedAtMs[positionOfWork(plan, work)] ?? batch.updatedAtMs;
  const createdAt = reached(milestones.created);
  let updatedAt = createdAt;
  if (status === "THROTTLED")
    updatedAt = batch.reachedAtMs[RUNNING + plan.throttleAfterSteps + 1] ?? createdAt;
  else if (status === "RUNNING") updatedAt = reached(milestones.running);
  else if (status !== "PENDING")
    updatedAt =
      workAt(plan, batch.position) >= milestones.ended
        ? reached(milestones.ended)
        : (batch.halt?.atMs ?? createdAt);
  const common = {
    id: childId(batch, file),
    project_id: batch.projectId,
    status,
    error_message: status === "FAILED" ? (FILE_ERRORS[file % FILE_ERRORS.length] ?? null) : null,
    created_at: iso(createdAt),
    updated_at: iso(updatedAt),
  };
  if (batch.jobType === "parse_v2") return { ...common, name: fileName(batch, file), tier: "agentic" };
  return {
    ...common,
    file_input: fileId(batch, file),
    configuration_id: batch.configurationId,
    extract_result:
      status === "COMPLETED" ? { document_number: `INV-${String(file + 1).padStart(4, "0")}` } : null,
  };
}

export class BadPageToken extends Error {}

/** An entry of a v2 list: its JSON and the key it is ordered by (newest first, then id). */
export interface Listed<T> {
  createdAtMs: number;
  id: string;
  json: T;
}

/**
 * One cursor page, newest first. The token names the last entry shown, so entries that appear while
 * someone pages (new batches, new child jobs) never shift a page into duplicates or gaps.
 */
export function cursorPage<T>(
  entries: Listed<T>[],
  pageSize: number,
  token: string | undefined,
): CursorPageJson<T> {
  const ordered = [...entries].sort((a, b) => b.createdAtMs - a.createdAtMs || b.id.localeCompare(a.id));
  let start = 0;
  if (token) {
    const after = decodeToken(token);
    start = ordered.findIndex(
      (entry) =>
        entry.createdAtMs < after.c || (entry.createdAtMs === after.c && entry.id.localeCompare(after.i) < 0),
    );
    if (start === -1) start = ordered.length;
  }
  const page = ordered.slice(start, start + pageSize);
  const last = page.at(-1);
  const more = start + pageSize < ordered.length;
  return { items: page.map((entry) => entry.json), next_page_token: more && last ? encodeToken(last) : "" };
}

function encodeToken(entry: Listed<unknown>): string {
  return btoa(JSON.stringify({ c: entry.createdAtMs, i: entry.id }))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function decodeToken(token: string): { c: number; i: string } {
  try {
    const parsed: unknown = JSON.parse(atob(token.replaceAll("-", "+").replaceAll("_", "/")));
    const { c, i } = parsed as { c?: unknown; i?: unknown };
    if (typeof c === "number" && typeof i === "string") return { c, i };
  } catch {
    // Falls through to the error below.
  }
  throw new BadPageToken("Invalid page_token");
}

/** The child's creation time, the list's ordering key. */
export function childCreatedAtMs(batch: SimBatch, file: number): number {
  return (
    batch.reachedAtMs[positionOfWork(batch.plan, childMilestones(batch.plan, file).created)] ??
    batch.createdAtMs
  );
}
