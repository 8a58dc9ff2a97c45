/** The job page's details: every field LlamaCloud reported, known and unknown. */
import type { JobRow } from "../db/schema";
import { presentJob } from "../present/jobs";
import { truncate } from "./view";

export function Details(props: { job: JobRow }) {
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
