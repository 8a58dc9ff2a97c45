/** The job page's tracking health: how polling stands for this job. */
import type { JobRow } from "../db/schema";
import { LOST_AFTER_NOT_FOUND } from "../monitor/decisions";
import { TimeAgo } from "./components";
import { formatDuration } from "./view";

const STATE_TEXT = {
  active: "active: polled on schedule",
  finished: "finished: a final status was seen, polling stopped",
  lost: `lost: LlamaCloud answered 404 ${LOST_AFTER_NOT_FOUND} times in a row, polling stopped`,
} as const;

export function Health(props: { job: JobRow; now: number }) {
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
