import type { JobHistory } from "../db/history";
import type { JobRow, SnapshotRow } from "../db/schema";
import { LOST_AFTER_NOT_FOUND } from "../monitor/decisions";
import { presentJob } from "../present/jobs";
import type { ChartPoint } from "./chart";
import { ProgressChart } from "./chart-view";
import { CountHeaders, Layout, Markers, ProgressBar, StatusBadge, TimeAgo, Timestamp } from "./components";
import {
  buildTimeline,
  type Eta,
  estimateCompletion,
  formatCount,
  formatDuration,
  formatPercent,
  jobMarkers,
  jobTitle,
  progressPercent,
  shouldRefresh,
  statusChanges,
  statusTone,
  timeAgo,
  truncate,
} from "./view";

export interface JobPageProps {
  job: JobRow;
  history: JobHistory;
  now: number;
  nonce: string | undefined;
}

/** The chart's points: the (possibly sampled) history, then the job's current counts at its last poll. */
export function chartPoints(job: JobRow, history: JobHistory): ChartPoint[] {
  const points: ChartPoint[] = history.chart.map((row) => ({
    t: row.observedAt,
    processed: row.processedItems,
    failed: row.failedItems,
    skipped: row.skippedItems,
    total: row.totalItems,
  }));
  const last = points.at(-1);
  const asOf = job.lastSuccessAt ?? job.lastPolledAt;
  if (last && asOf !== null && asOf > last.t) {
    // Nothing changed since the last snapshot, so the lines run flat up to the last poll.
    points.push({ ...last, t: asOf });
  }
  return points;
}

function formatRate(perMinute: number): string {
  if (perMinute >= 10) return `${formatCount(Math.round(perMinute))} items/min`;
  if (perMinute >= 1) return `${perMinute.toFixed(1)} items/min`;
  const perHour = perMinute * 60;
  return perHour >= 1 ? `${perHour.toFixed(1)} items/h` : `${(perHour * 24).toFixed(1)} items/day`;
}

function EtaLine(props: { eta: Eta; job: JobRow; now: number }) {
  const eta = props.eta;
  switch (eta.kind) {
    case "eta":
      return (
        <p class="eta">
          <strong>About {formatDuration(eta.remainingMs)} left</strong>{" "}
          <span class="muted">
            (done around <Timestamp at={eta.at} />, at {formatRate(eta.perMinute)} over the last{" "}
            {formatDuration(eta.overMs)})
          </span>
        </p>
      );
    case "stalled":
      return (
        <p class="eta">
          <strong>Stalled</strong>{" "}
          <span class="muted">
            no progress since <Timestamp at={eta.since} /> ({timeAgo(eta.since, props.now)}), so no estimate.
          </span>
        </p>
      );
    case "waiting":
      return <p class="eta">Waiting for LlamaCloud to start the job.</p>;
    case "finishing":
      return <p class="eta">All items are done; waiting for LlamaCloud to mark the job finished.</p>;
    case "unknown":
      return <p class="eta muted">No estimate yet: {eta.reason}.</p>;
    case "none":
      if (props.job.state === "lost")
        return <p class="eta">Polling stopped: LlamaCloud no longer knows this job.</p>;
      return props.job.state === "finished" ? (
        <p class="eta">Finished; polling has stopped.</p>
      ) : (
        <p class="eta muted">No estimate.</p>
      );
  }
}

function Counts(props: { job: JobRow }) {
  const j = props.job;
  return (
    <dl class="counts">
      <div>
        <dt>Processed</dt>
        <dd>{formatCount(j.processedItems)}</dd>
      </div>
      <div>
        <dt>Failed</dt>
        <dd>{formatCount(j.failedItems)}</dd>
      </div>
      <div>
        <dt>Skipped</dt>
        <dd>{formatCount(j.skippedItems)}</dd>
      </div>
      <div>
        <dt>Total</dt>
        <dd>{formatCount(j.totalItems)}</dd>
      </div>
    </dl>
  );
}

const STATE_TEXT = {
  active: "active: polled on schedule",
  finished: "finished: a final status was seen, polling stopped",
  lost: `lost: LlamaCloud answered 404 ${LOST_AFTER_NOT_FOUND} times in a row, polling stopped`,
} as const;

function Health(props: { job: JobRow; now: number }) {
  const j = props.job;
  return (
    <dl class="facts">
      <dt>Tracking</dt>
      <dd>{STATE_TEXT[j.state] ?? j.state}</dd>
      <dt>Tracked since</dt>
      <dd>
        <TimeAgo at={j.trackedAt} now={props.now} />
      </dd>
      <dt>Last poll</dt>
      <dd>
        <TimeAgo at={j.lastPolledAt} now={props.now} />
      </dd>
      <dt>Last successful poll</dt>
      <dd>
        <TimeAgo at={j.lastSuccessAt} now={props.now} />
      </dd>
      <dt>Next poll</dt>
      <dd>
        {j.state !== "active" || j.nextPollAt === null ? (
          <span class="muted">none (not polling)</span>
        ) : j.nextPollAt <= props.now ? (
          <TimeAgo at={j.nextPollAt} now={props.now} text="due now (at the next cron tick)" />
        ) : (
          <TimeAgo at={j.nextPollAt} now={props.now} />
        )}
      </dd>
      <dt>Poll interval</dt>
      <dd>{formatDuration(j.pollIntervalSeconds * 1000)}</dd>
      <dt>Failures in a row</dt>
      <dd>{j.consecutiveFailures}</dd>
      <dt>Last error</dt>
      <dd>
        {j.lastErrorCode ? (
          <>
            <code>{j.lastErrorCode}</code> {j.lastErrorMessage ?? ""}{" "}
            {j.lastErrorAt !== null ? (
              <span class="muted">
                (<TimeAgo at={j.lastErrorAt} now={props.now} />)
              </span>
            ) : null}
          </>
        ) : (
          <span class="muted">none</span>
        )}
      </dd>
      <dt>Stalled since</dt>
      <dd>
        {j.stalledSince !== null ? (
          <TimeAgo at={j.stalledSince} now={props.now} />
        ) : (
          <span class="muted">–</span>
        )}
      </dd>
    </dl>
  );
}

function Timeline(props: { history: JobHistory; now: number }) {
  // statusChanges() also merges a pruned-history stand-in with an equal first change (see withFirst).
  const all = buildTimeline(statusChanges(props.history.statusChanges), props.now);
  // One change more than shown is read, so the last shown status has a known end.
  const truncated = props.history.statusChangesTruncated;
  const entries = truncated ? all.slice(0, -1) : all;
  if (entries.length === 0) return <p class="muted">No status seen yet.</p>;
  return (
    <>
      {truncated ? (
        <p class="muted small">
          This job changed status very often: its first {entries.length} statuses are shown.
        </p>
      ) : null}
      <ol class="timeline">
        {entries.map((e) => (
          <li class={e.to === null ? "current" : undefined}>
            <StatusBadge status={e.status} /> <Timestamp at={e.from} />
            <span class="muted">
              {e.durationMs === null
                ? ""
                : e.to === null
                  ? ` · for ${formatDuration(e.durationMs)} so far`
                  : ` · ${formatDuration(e.durationMs)}`}
            </span>
          </li>
        ))}
      </ol>
    </>
  );
}

function RecentSnapshots(props: { rows: SnapshotRow[]; now: number; total: number }) {
  if (props.rows.length === 0) return <p class="muted">No snapshots yet.</p>;
  return (
    <>
      <div class="table-wrap">
        <table class="snapshots">
          <caption class="visually-hidden">Recent snapshots, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Observed</th>
              <th scope="col">Source</th>
              <th scope="col">Status</th>
              <CountHeaders />
              <th scope="col" class="num">
                Progress
              </th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((s) => (
              <tr>
                <td>
                  <TimeAgo at={s.observedAt} now={props.now} />
                </td>
                <td>{s.source}</td>
                <td>
                  <StatusBadge status={s.status} />
                </td>
                <td class="num">{formatCount(s.processedItems)}</td>
                <td class="num">{formatCount(s.failedItems)}</td>
                <td class="num">{formatCount(s.skippedItems)}</td>
                <td class="num">{formatCount(s.totalItems)}</td>
                <td class="num">{formatPercent(progressPercent(s))}</td>
                <td class="error">
                  {s.errorMessage ? <span title={s.errorMessage}>{truncate(s.errorMessage, 80)}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">
        The newest {props.rows.length} of {formatCount(props.total)}. All of them:{" "}
        <code>GET /api/jobs/…/history</code>.
      </p>
    </>
  );
}

function Details(props: { job: JobRow }) {
  const json = presentJob(props.job);
  const fields: [string, string | null][] = [
    ["job id", json.id],
    ["project_id", json.project_id],
    ["organization_id", json.organization_id],
    ["directory_id", json.directory_id],
    ["workflow_id", json.workflow_id],
    ["job_record_id", json.job_record_id],
    ["created_at", json.created_at],
    ["started_at", json.started_at],
    ["completed_at", json.completed_at],
    ["effective_at", json.effective_at],
    ["updated_at", json.updated_at],
  ];
  const extra = Object.entries(json.extra).map(([key, value]): [string, string] => [
    key,
    truncate(typeof value === "string" ? value : JSON.stringify(value), 500),
  ]);
  return (
    <details>
      <summary>All fields LlamaCloud reported</summary>
      <dl class="facts">
        {[...fields, ...extra].map(([key, value]) => (
          <>
            <dt>
              <code>{key}</code>
            </dt>
            <dd>{value === null ? <span class="muted">–</span> : <code>{value}</code>}</dd>
          </>
        ))}
      </dl>
    </details>
  );
}

export function JobPage(props: JobPageProps) {
  const { job, history, now } = props;
  const title = jobTitle(job);
  const tone = statusTone(job.status);
  const eta = estimateCompletion(
    { ...job, asOf: job.lastSuccessAt ?? job.lastPolledAt ?? now },
    history.rateReference,
  );
  return (
    <Layout title={title} nonce={props.nonce} refresh={shouldRefresh([job])}>
      <p class="small">
        <a href="/">← All jobs</a>
      </p>
      <h1>{title}</h1>
      <div class="headline">
        <StatusBadge status={job.status} />
        {job.jobType ? <span class="muted">{job.jobType}</span> : null}
        {title !== job.jobId ? <code class="muted">{job.jobId}</code> : null}
        <Markers markers={jobMarkers(job, now)} />
      </div>
      {job.errorMessage ? (
        <p class="notice bad">
          <strong>LlamaCloud reports an error:</strong> {job.errorMessage}
        </p>
      ) : null}
      <div class="summary">
        <section class="card" aria-labelledby="progress-heading">
          <h2 id="progress-heading" class="visually-hidden">
            Progress
          </h2>
          <ProgressBar percent={progressPercent(job)} tone={tone} label={`Progress of ${title}`} big />
          <Counts job={job} />
          <EtaLine eta={eta} job={job} now={now} />
        </section>
        <section class="card" aria-labelledby="health-heading">
          <h2 id="health-heading">Tracking health</h2>
          <Health job={job} now={now} />
        </section>
      </div>

      <h2>Progress over time</h2>
      <ProgressChart
        points={chartPoints(job, history)}
        snapshotCount={history.snapshotCount}
        sampled={history.sampled}
      />

      <h2>Status timeline</h2>
      <Timeline history={history} now={now} />

      <h2>Recent snapshots</h2>
      <RecentSnapshots rows={history.recent} now={now} total={history.snapshotCount} />

      <h2>Details</h2>
      <Details job={job} />
    </Layout>
  );
}
