/**
 * The job page's Files section: the failed files first, with their error messages, then the others,
 * a page at a time behind plain links (`?files=<position>#files`), so it reads without JavaScript.
 */
import type { FilesPage, FilesPosition } from "../db/item-lists";
import type { ItemRow, JobRow } from "../db/schema";
import { decodeCursor, encodeCursor } from "../http/cursor";
import { ApiError } from "../http/errors";
import { utc } from "../present/time";
import { DataTable, jobHref, StatusBadge, TimeAgo } from "./components";
import { formatCount, truncate } from "./view";

/** Files shown per page: enough to scan, few enough that a 5,000-file batch's page stays small. */
export const FILES_PER_PAGE = 50;
/** Error messages longer than this are cut in the table; the whole text is in the cell's title. */
const ERROR_CHARS = 400;

// The position is the API's opaque cursor behind the part it belongs to: `f.<cursor>` among the
// failed files, `o` / `o.<cursor>` among the others (a cursor never contains a dot).
const PARTS = { f: "failed", o: "others" } as const;

export function filesParam(position: FilesPosition): string {
  const part = position.part === "failed" ? "f" : "o";
  return position.after ? `${part}.${encodeCursor(position.after)}` : part;
}

/** The position `?files=` names; undefined for the first page. A value we never hand out is a 400. */
export function readFilesParam(value: string | undefined): FilesPosition | undefined {
  if (value === undefined || value === "") return undefined;
  const match = /^([fo])(?:\.([A-Za-z0-9_-]{1,1000}))?$/.exec(value);
  const part = match?.[1];
  if (part !== "f" && part !== "o") {
    throw new ApiError(
      "validation_error",
      "The files position in the address is not one this page handed out.",
    );
  }
  return { part: PARTS[part], after: decodeCursor(match?.[2]) };
}

function filesHref(jobId: string, position: FilesPosition | null): string {
  return `${jobHref(jobId)}${position ? `?files=${filesParam(position)}` : ""}#files`;
}

/** "12 files: 3 failed · 8 completed · 1 running", from what batchwatch has stored. */
function countsLine(counts: FilesPage["counts"]): string {
  const total = counts.reduce((sum, c) => sum + c.n, 0);
  const parts = counts.map((c) => `${formatCount(c.n)} ${c.status}`).join(" · ");
  return `${formatCount(total)} ${total === 1 ? "file" : "files"}: ${parts}`;
}

/** What the section says above its tables: a count summary, or why there is nothing to list. */
function Summary(props: { job: JobRow; files: FilesPage }) {
  const { job, files } = props;
  const stored = files.counts.reduce((sum, c) => sum + c.n, 0);
  if (job.api === "v2") {
    if (stored === 0) {
      return (
        <p class="muted">
          {job.totalItems === null
            ? "LlamaCloud has not listed this batch's files yet."
            : "This batch has no files yet."}
        </p>
      );
    }
    return <p class="files-summary">{countsLine(files.counts)}.</p>;
  }
  // v1 lists only the failed items batchwatch read from LlamaCloud's items endpoint.
  const reported = job.failedItems ?? 0;
  if (stored === 0) {
    return (
      <p class="muted">
        {reported > 0
          ? `LlamaCloud reports ${formatCount(reported)} failed ${reported === 1 ? "item" : "items"}; batchwatch has not read ${reported === 1 ? "it" : "them"} yet.`
          : "No failed items: batchwatch lists a v1 job's failed items here once LlamaCloud reports any."}
      </p>
    );
  }
  return (
    <p class="files-summary">
      {formatCount(stored)} failed {stored === 1 ? "item" : "items"} read from LlamaCloud
      {reported > stored ? `, of the ${formatCount(reported)} it reports` : ""}.
    </p>
  );
}

function Updated(props: { at: string | null; now: number }) {
  const text = utc(props.at);
  const ms = text === null ? Number.NaN : Date.parse(text);
  if (Number.isNaN(ms)) return text === null ? <span class="muted">–</span> : <>{text}</>;
  return <TimeAgo at={ms} now={props.now} />;
}

function FileName(props: { item: ItemRow }) {
  const { item } = props;
  return (
    <>
      <span class="file-name">{item.name ?? item.itemId}</span>
      {item.name ? <code class="file-id">{item.itemId}</code> : null}
    </>
  );
}

function ErrorText(props: { text: string | null }) {
  if (!props.text) return <span class="muted">–</span>;
  const shown = truncate(props.text, ERROR_CHARS);
  return shown === props.text ? <>{shown}</> : <span title={props.text}>{shown}</span>;
}

/** Which columns a table shows: no column that would say the same thing on every row. */
interface Columns {
  status: boolean;
  errors: boolean;
  childJobs: boolean;
}

function FilesTable(props: { caption: string; rows: ItemRow[]; now: number; columns: Columns }) {
  const { status, errors, childJobs } = props.columns;
  return (
    <DataTable
      class="files"
      caption={props.caption}
      headers={
        <>
          <th scope="col">File</th>
          {status ? <th scope="col">Status</th> : null}
          {errors ? <th scope="col">Error</th> : null}
          {childJobs ? <th scope="col">Child job</th> : null}
          <th scope="col">Updated</th>
        </>
      }
    >
      {props.rows.map((item) => (
        <tr>
          <td class="file-cell">
            <FileName item={item} />
          </td>
          {status ? (
            <td class="status-cell" data-label="Status">
              <StatusBadge status={item.status} />
            </td>
          ) : null}
          {errors ? (
            <td class="error" data-label="Error">
              <ErrorText text={item.errorMessage} />
            </td>
          ) : null}
          {childJobs ? (
            <td class="child-cell" data-label="Child job">
              {item.childJobId ? <code>{item.childJobId}</code> : <span class="muted">none</span>}
            </td>
          ) : null}
          <td class="updated-cell" data-label="Updated">
            <Updated at={item.updatedAt} now={props.now} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

export function Files(props: { job: JobRow; files: FilesPage; paged: boolean; now: number }) {
  const { job, files, now } = props;
  const failedTotal = files.counts.find((c) => c.status === "failed")?.n ?? 0;
  // v1 items have no child jobs; the others rarely carry an error message.
  const childJobs = job.api === "v2";
  const othersHaveErrors = files.others.some((item) => item.errorMessage);
  return (
    <section id="files" aria-labelledby="files-heading">
      <h2 id="files-heading">Files</h2>
      <Summary job={job} files={files} />
      {files.failed.length > 0 ? (
        <FilesTable
          caption={`Failed (${formatCount(failedTotal)})${props.paged ? ", continued" : ""}`}
          rows={files.failed}
          now={now}
          columns={{ status: false, errors: true, childJobs }}
        />
      ) : null}
      {files.others.length > 0 ? (
        <FilesTable
          caption={props.paged && files.failed.length === 0 ? "Other files, continued" : "Other files"}
          rows={files.others}
          now={now}
          columns={{ status: true, errors: othersHaveErrors, childJobs }}
        />
      ) : null}
      {props.paged || files.next ? (
        <nav class="pager" aria-label="Pages of files">
          {props.paged ? <a href={filesHref(job.jobId, null)}>← First files</a> : null}
          {files.next ? <a href={filesHref(job.jobId, files.next)}>More files →</a> : null}
        </nav>
      ) : null}
      {files.failed.length + files.others.length > 0 ? (
        <p class="muted small">
          All of them, filterable by status: <code>GET /api/jobs/…/items</code>.
        </p>
      ) : null}
    </section>
  );
}
