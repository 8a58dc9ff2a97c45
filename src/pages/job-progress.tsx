/** The job page's progress card: the counts and the ETA line under the bar. */
import type { JobRow } from "../db/schema";
import { Timestamp } from "./components";
import type { Eta } from "./eta";
import { formatCount, formatDuration, ITEM_COUNTS, timeAgo } from "./view";

function formatRate(perMinute: number): string {
  if (perMinute >= 10) return `${formatCount(Math.round(perMinute))} items/min`;
  if (perMinute >= 1) return `${perMinute.toFixed(1)} items/min`;
  const perHour = perMinute * 60;
  return perHour >= 1 ? `${perHour.toFixed(1)} items/h` : `${(perHour * 24).toFixed(1)} items/day`;
}

export function EtaLine(props: { eta: Eta; job: JobRow; now: number }) {
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

export function Counts(props: { job: JobRow }) {
  const j = props.job;
  return (
    <dl class="counts">
      {ITEM_COUNTS.map(([name, column]) => (
        <div>
          <dt>{name}</dt>
          <dd>{formatCount(j[column])}</dd>
        </div>
      ))}
    </dl>
  );
}
