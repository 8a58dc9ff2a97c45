/** A job's page (README "Status pages"); its sections live in ./job-*.tsx. */
import type { JobHistory } from "../db/history";
import type { FilesPage } from "../db/item-lists";
import type { JobRow } from "../db/schema";
import type { ChartPoint } from "./chart";
import { ProgressChart } from "./chart-view";
import { Layout, Markers, ProgressBar, StatusBadge } from "./components";
import { estimateCompletion } from "./eta";
import { Details } from "./job-details";
import { Files } from "./job-files";
import { Health } from "./job-health";
import { RecentSnapshots, Timeline } from "./job-history";
import { Counts, EtaLine } from "./job-progress";
import { jobMarkers, jobTitle, progressPercent, shouldRefresh, statusTone } from "./view";

export interface JobPageProps {
  job: JobRow;
  history: JobHistory;
  files: FilesPage;
  /** The Files section shows a later page (`?files=`). */
  filesPaged: boolean;
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

      <Files job={job} files={props.files} paged={props.filesPaged} now={now} />

      <h2>Status timeline</h2>
      <Timeline history={history} now={now} />

      <h2>Recent snapshots</h2>
      <RecentSnapshots rows={history.recent} now={now} total={history.snapshotCount} />

      <h2>Details</h2>
      <Details job={job} />
    </Layout>
  );
}
