import type { WatchRow } from "../db/schema";
import { watchApis } from "../db/watches";
import { DataTable, Markers, TimeAgo } from "./components";
import { formatCount, truncate } from "./view";

/** What a watch is called on the pages: its label, else its project. */
export function watchTitle(watch: Pick<WatchRow, "label" | "projectId">): string {
  return watch.label?.trim() ? watch.label : watch.projectId;
}

/**
 * The dashboard's watches (README "Watches"): each watched project, what it discovers, when it was
 * last scanned, how many jobs it found and the error of its latest scan, if any.
 */
export function WatchesSection(props: { watches: WatchRow[]; now: number }) {
  if (props.watches.length === 0) return null;
  return (
    <section aria-labelledby="watches-heading">
      <h2 id="watches-heading">Watched projects</h2>
      <DataTable
        class="watches"
        caption="Watched projects, newest first"
        hiddenCaption
        cards
        headers={
          <>
            <th scope="col">Project</th>
            <th scope="col">Discovers</th>
            <th scope="col">Last scan</th>
            <th scope="col" class="num">
              Jobs found
            </th>
            <th scope="col">Last error</th>
          </>
        }
      >
        {props.watches.map((watch) => (
          <WatchRowView watch={watch} now={props.now} />
        ))}
      </DataTable>
    </section>
  );
}

function WatchRowView(props: { watch: WatchRow; now: number }) {
  const { watch, now } = props;
  const title = watchTitle(watch);
  return (
    <tr>
      <td class="job-cell">
        <span class="job-link">{title}</span>
        <span class="job-id">
          {title !== watch.projectId ? <code>{watch.projectId}</code> : null}
          {title !== watch.projectId ? " · " : null}
          <code>{watch.id}</code>
        </span>
      </td>
      <td data-label="Discovers">{watchApis(watch).join(", ")}</td>
      <td data-label="Last scan">
        <TimeAgo at={watch.lastScanAt} now={now} never="not yet" />
      </td>
      <td class="num" data-label="Jobs found">
        {formatCount(watch.jobsFound)}
      </td>
      <td class="error" data-label="Last error">
        {watch.lastErrorCode ? (
          <>
            <Markers
              markers={[
                {
                  kind: watch.lastErrorCode === "rate_limited" ? "rate_limited" : "error",
                  text: watch.lastErrorCode,
                  title: watch.lastErrorMessage ?? watch.lastErrorCode,
                },
              ]}
            />{" "}
            <span title={watch.lastErrorMessage ?? undefined}>
              {truncate(watch.lastErrorMessage ?? "", 120)}
            </span>
          </>
        ) : (
          <span class="muted">none</span>
        )}
      </td>
    </tr>
  );
}

/** "found by …" under a job the dashboard lists, when a watch discovered it. */
export function FoundBy(props: { watchId: string | null; watches: ReadonlyMap<string, WatchRow> }) {
  if (props.watchId === null) return null;
  const watch = props.watches.get(props.watchId);
  return (
    <span class="job-id found-by">
      found by watch {watch ? watchTitle(watch) : <code>{props.watchId}</code>}
      {watch ? null : " (deleted)"}
    </span>
  );
}
