/**
 * GET /metrics in the Prometheus text exposition format, version 0.0.4: a HELP and a TYPE line per
 * metric family, then its samples, label values escaped as the format asks.
 */
import type { MonitorFigures } from "../db/metrics";
import { COUNTERS } from "../db/metrics";
import { TRACKING_STATES } from "../model";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
const POLL_OUTCOMES = ["changed", "unchanged", "failed"] as const;
const ATTEMPT_RESULTS = ["delivered", "failed"] as const;

type Labels = Record<string, string>;
interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: { labels: Labels; value: number }[];
}

/** Label values: backslash, double quote and line feed are escaped (the format's only three). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text: backslash and line feed are escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function renderValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function renderFamily(family: Family): string {
  const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`];
  for (const sample of family.samples) {
    const labels = Object.entries(sample.labels)
      .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
      .join(",");
    lines.push(`${family.name}${labels ? `{${labels}}` : ""} ${renderValue(sample.value)}`);
  }
  return lines.join("\n");
}

/** A counter's value by label, with every expected label present (0 until it first grows). */
function counterSamples(
  figures: MonitorFigures,
  name: string,
  labelName: string,
  expected: readonly string[],
) {
  const values = new Map<string, number>(expected.map((label) => [label, 0]));
  for (const row of figures.counters) if (row.name === name) values.set(row.label, row.value);
  return [...values].map(([label, value]) => ({ labels: { [labelName]: label }, value }));
}

export function renderMetrics(figures: MonitorFigures): string {
  const deliveries = new Map<string, number>(DELIVERY_STATUSES.map((s) => [s, 0]));
  for (const row of figures.deliveries) deliveries.set(row.status, row.n);
  const families: Family[] = [
    {
      name: "batchwatch_jobs",
      help: `Tracked jobs by tracking state (${TRACKING_STATES.join(", ")}), upstream status (empty before the first successful poll) and API generation.`,
      type: "gauge",
      samples: figures.jobs.map((row) => ({
        labels: { state: row.state, status: row.status ?? "", api: row.api },
        value: row.n,
      })),
    },
    {
      name: "batchwatch_deliveries",
      help: "Notification deliveries by status (pending, delivered, failed), as stored (delivered ones are kept 7 days).",
      type: "gauge",
      samples: [...deliveries].map(([status, n]) => ({ labels: { status }, value: n })),
    },
  ];
  if (figures.lastTick) {
    const endedAt = figures.lastTick.startedAt + figures.lastTick.durationMs;
    families.push(
      {
        name: "batchwatch_last_tick_timestamp_seconds",
        help: "When the last cron tick ended, in unix seconds (absent before the first tick).",
        type: "gauge",
        samples: [{ labels: {}, value: endedAt / 1000 }],
      },
      {
        name: "batchwatch_last_tick_duration_seconds",
        help: "How long the last cron tick took to claim, poll and write, in seconds.",
        type: "gauge",
        samples: [{ labels: {}, value: figures.lastTick.durationMs / 1000 }],
      },
    );
  }
  families.push(
    {
      name: "batchwatch_polls_total",
      help: "Status requests to LlamaCloud (tick, track, manual and callback polls) by outcome.",
      type: "counter",
      samples: counterSamples(figures, COUNTERS.polls, "outcome", POLL_OUTCOMES),
    },
    {
      name: "batchwatch_poll_failures_total",
      help: "Failed status requests by kind (unauthorized, rate_limited, timeout, network, server_error, ...).",
      type: "counter",
      samples: counterSamples(figures, COUNTERS.pollFailures, "kind", []),
    },
    {
      name: "batchwatch_deliveries_attempted_total",
      help: "Notification delivery attempts by result.",
      type: "counter",
      samples: counterSamples(figures, COUNTERS.deliveryAttempts, "result", ATTEMPT_RESULTS),
    },
  );
  return `${families.map(renderFamily).join("\n")}\n`;
}
