import type { JobRow, WatchRow } from "../db/schema";
import { TRACKING_STATES } from "../model";
import {
  CountHeaders,
  DataTable,
  jobHref,
  Layout,
  Markers,
  ProgressBar,
  StatusBadge,
  TimeAgo,
} from "./components";
import { FoundBy, WatchesSection } from "./dashboard-watches";
import {
  formatCount,
  ITEM_COUNTS,
  jobMarkers,
  jobTitle,
  KNOWN_STATUSES,
  progressPercent,
  shouldRefresh,
  statusTone,
} from "./view";

export interface DashboardFilters {
  status?: string;
  state?: (typeof TRACKING_STATES)[number];
  limit?: number;
}

export interface DashboardProps {
  jobs: JobRow[];
  /** Every watch: its own section, and the name of the watch that found a job. */
  watches: WatchRow[];
  filters: DashboardFilters;
  /** Query string of the next page, or null on the last page. */
  nextQuery: string | null;
  /** True when this is not the first page. */
  paged: boolean;
  now: number;
  nonce: string | undefined;
}

/** The query string for the dashboard with these filters (and optionally a cursor). */
export function dashboardQuery(filters: DashboardFilters, cursor?: string): string {
  const params = new URLSearchParams();
  if (filters.status) params.set("status", filters.status);
  if (filters.state) params.set("state", filters.state);
  if (filters.limit) params.set("limit", String(filters.limit));
  if (cursor) params.set("cursor", cursor);
  const text = params.toString();
  return text ? `?${text}` : "";
}

function Filters(props: { filters: DashboardFilters }) {
  const status = props.filters.status;
  const statuses: string[] = [...KNOWN_STATUSES];
  // A filter on a status batchwatch does not know yet (LlamaCloud may add some) stays selectable.
  if (status && !statuses.includes(status)) statuses.push(status);
  return (
    <form class="filters" method="get" action="/" aria-label="Filter jobs">
      <label>
        Status
        <select name="status">
          <option value="">any status</option>
          {statuses.map((s) => (
            <option value={s} selected={s === status}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tracking
        <select name="state">
          <option value="">any</option>
          {TRACKING_STATES.map((s) => (
            <option value={s} selected={s === props.filters.state}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {props.filters.limit ? <input type="hidden" name="limit" value={String(props.filters.limit)} /> : null}
      <button type="submit">Filter</button>
      {props.filters.status || props.filters.state ? <a href="/">Clear filters</a> : null}
    </form>
  );
}

function JobRowView(props: { job: JobRow; now: number; watches: ReadonlyMap<string, WatchRow> }) {
  const job = props.job;
  const title = jobTitle(job);
  const percent = progressPercent(job);
  const tone = statusTone(job.status);
  return (
    <tr>
      <td class="job-cell">
        <a class="job-link" href={jobHref(job.jobId)}>
          {title}
        </a>
        <span class="job-id">
          {title !== job.jobId ? <code>{job.jobId}</code> : null}
          {title !== job.jobId && job.jobType ? " · " : null}
          {job.jobType}
        </span>
        <FoundBy watchId={job.watchId} watches={props.watches} />
        <Markers markers={jobMarkers(job, props.now)} />
      </td>
      <td class="status-cell" data-label="Status">
        <StatusBadge status={job.status} />
      </td>
      <td class="progress-cell" data-label="Progress">
        <ProgressBar percent={percent} tone={tone} label={`Progress of ${title}`} />
      </td>
      {ITEM_COUNTS.map(([name, column]) => (
        <td class="num" data-label={name}>
          {formatCount(job[column])}
        </td>
      ))}
      <td class="poll-cell" data-label="Last poll">
        <TimeAgo at={job.lastPolledAt} now={props.now} />
      </td>
    </tr>
  );
}

export function Dashboard(props: DashboardProps) {
  const filtered = Boolean(props.filters.status || props.filters.state);
  const watches = new Map(props.watches.map((watch) => [watch.id, watch]));
  return (
    <Layout title="Jobs" nonce={props.nonce} refresh={shouldRefresh(props.jobs)}>
      <h1>Tracked jobs</h1>
      <Filters filters={props.filters} />
      {props.jobs.length === 0 ? (
        <div class="card empty">
          {filtered ? (
            <p>
              No job matches these filters. <a href="/">Show all jobs</a>.
            </p>
          ) : props.paged ? (
            <p>
              No more jobs. <a href="/">Back to the newest</a>.
            </p>
          ) : (
            <>
              <p>No jobs are tracked yet.</p>
              <p class="small">
                Track one with <code>POST /api/jobs</code> and the admin token, for example{" "}
                <code>{'{"job_id": "bjb-…"}'}</code>.
              </p>
            </>
          )}
        </div>
      ) : (
        <DataTable
          class="jobs"
          caption="Tracked jobs, newest first"
          hiddenCaption
          cards
          headers={
            <>
              <th scope="col">Job and type</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <CountHeaders />
              <th scope="col">Last poll</th>
            </>
          }
        >
          {props.jobs.map((job) => (
            <JobRowView job={job} now={props.now} watches={watches} />
          ))}
        </DataTable>
      )}
      {props.paged || props.nextQuery ? (
        <nav class="pager" aria-label="Pages">
          {props.paged ? <a href={`/${dashboardQuery(props.filters)}`}>← Newest</a> : null}
          {props.nextQuery ? <a href={`/${props.nextQuery}`}>Older jobs →</a> : null}
        </nav>
      ) : null}
      <WatchesSection watches={props.watches} now={props.now} />
    </Layout>
  );
}
