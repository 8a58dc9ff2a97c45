/** The job page's history sections: the status timeline and the newest snapshots. */
import type { JobHistory } from "../db/history";
import type { SnapshotRow } from "../db/schema";
import { CountHeaders, DataTable, StatusBadge, TimeAgo, Timestamp } from "./components";
import {
  buildTimeline,
  formatCount,
  formatDuration,
  formatPercent,
  ITEM_COUNTS,
  progressPercent,
  statusChanges,
  truncate,
} from "./view";

export function Timeline(props: { history: JobHistory; now: number }) {
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

export function RecentSnapshots(props: { rows: SnapshotRow[]; now: number; total: number }) {
  if (props.rows.length === 0) return <p class="muted">No snapshots yet.</p>;
  return (
    <>
      <DataTable
        class="snapshots"
        caption="Recent snapshots, newest first"
        hiddenCaption
        headers={
          <>
            <th scope="col">Observed</th>
            <th scope="col">Source</th>
            <th scope="col">Status</th>
            <CountHeaders />
            <th scope="col" class="num">
              Progress
            </th>
            <th scope="col">Error</th>
          </>
        }
      >
        {props.rows.map((s) => (
          <tr>
            <td>
              <TimeAgo at={s.observedAt} now={props.now} />
            </td>
            <td>{s.source}</td>
            <td>
              <StatusBadge status={s.status} />
            </td>
            {ITEM_COUNTS.map(([, column]) => (
              <td class="num">{formatCount(s[column])}</td>
            ))}
            <td class="num">{formatPercent(progressPercent(s))}</td>
            <td class="error">
              {s.errorMessage ? <span title={s.errorMessage}>{truncate(s.errorMessage, 80)}</span> : null}
            </td>
          </tr>
        ))}
      </DataTable>
      <p class="muted small">
        The newest {props.rows.length} of {formatCount(props.total)}. All of them:{" "}
        <code>GET /api/jobs/…/history</code>.
      </p>
    </>
  );
}
