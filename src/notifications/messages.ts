/**
 * What a chat message (a `slack` or `discord` subscription, README "Notifications (webhooks out)")
 * says about an event, whatever the platform: one short line per event type, the job's counts and
 * its failed files. Read from the event's stored Standard body when the delivery is sent, so every
 * attempt of one delivery says the same thing. Each platform passes its own `Markup`, which escapes
 * what came from LlamaCloud or from users; the words here never reach a message unescaped.
 */
import { z } from "zod";
import type { EventType } from "../model";

// Tolerant on purpose: a payload stored by an older version must still become a message, never a throw.
const text = z.string().nullable().catch(null);
const count = z.number().nullable().catch(null);
const storedEventSchema = z.object({
  type: z.string().catch("job.updated"),
  timestamp: z.string().nullable().catch(null),
  data: z
    .object({
      job: z.object({
        id: z.string(),
        label: text,
        status: text,
        total_items: count,
        processed_items: count,
        failed_items: count,
        skipped_items: count,
        progress_percentage: count,
        error_message: text,
        tracking: z
          .object({
            consecutive_failures: z.number().catch(0),
            last_error: z.object({ message: z.string() }).nullable().catch(null),
            stalled_since: text,
          })
          .catch({ consecutive_failures: 0, last_error: null, stalled_since: null }),
      }),
      previous: z.object({ status: text }).nullable().catch(null),
      failed_items: z
        .array(z.object({ name: text, error_message: text }))
        .nullable()
        .catch(null),
    })
    .nullable()
    .catch(null),
});

export type StoredEvent = z.infer<typeof storedEventSchema>;
type EventJob = NonNullable<StoredEvent["data"]>["job"];
export interface ChatEvent {
  type: string;
  timestamp: string | null;
  job: EventJob;
  previousStatus: string | null;
  failedFiles: { name: string | null; error_message: string | null }[];
}

/** The event a stored payload describes; null when it names no job (nothing sensible to say). */
export function readStoredEvent(payload: string): ChatEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return null;
  }
  const parsed = storedEventSchema.safeParse(json);
  const data = parsed.success ? parsed.data.data : null;
  if (!parsed.success || !data) return null;
  return {
    type: parsed.data.type,
    timestamp: parsed.data.timestamp,
    job: data.job,
    previousStatus: data.previous?.status ?? null,
    failedFiles: data.failed_items ?? [],
  };
}

/** How one platform writes text: `text` escapes what came from outside, the others wrap escaped text. */
export interface Markup {
  text: (raw: string) => string;
  bold: (escaped: string) => string;
}

/** Upstream text on one line and within `max` characters, so no message runs on or breaks a limit. */
export function oneLine(raw: string, max: number): string {
  const flat = raw.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const NAME_MAX = 200;
const ERROR_MAX = 150;
const FILE_NAME_MAX = 100;
/** Failed files a message lists; the rest are counted ("and 12 more"). */
export const FILES_SHOWN = 10;

export function jobName(job: EventJob): string {
  return oneLine(job.label ?? job.id, NAME_MAX);
}

function statusWord(status: string | null): string {
  return status === null ? "not known yet" : oneLine(status.toLowerCase(), 40);
}

/** "12 of 40 processed, 1 failed, 0 skipped (32.5%)", or that there are no counts yet. */
export function countsLine(job: EventJob): string {
  if (job.total_items === null && job.processed_items === null) return "No counts yet.";
  const total = job.total_items === null ? "" : ` of ${job.total_items}`;
  const percent = job.progress_percentage === null ? "" : ` (${job.progress_percentage}%)`;
  return `${job.processed_items ?? 0}${total} processed, ${job.failed_items ?? 0} failed, ${job.skipped_items ?? 0} skipped${percent}.`;
}

function utcMinute(timestamp: string | null): string {
  const ms = timestamp === null ? Number.NaN : Date.parse(timestamp);
  return Number.isNaN(ms) ? "a while" : `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

type Headline = (event: ChatEvent, name: string, m: Markup) => string;

/** One line per event type; `job.finished` is listed so its wording exists before and after it joins EVENT_TYPES. */
const HEADLINES: Record<EventType | "job.finished", Headline> = {
  "job.tracked": (e, name, m) => `Now watching ${name}: ${m.text(statusWord(e.job.status))}.`,
  "job.status_changed": (e, name, m) =>
    `${name} is now ${m.bold(m.text(statusWord(e.job.status)))}` +
    (e.previousStatus === null ? "." : ` (was ${m.text(statusWord(e.previousStatus))}).`),
  "job.progressed": (e, name, m) => `${name} moved on: ${m.text(statusWord(e.job.status))}.`,
  "job.stalled": (e, name, m) =>
    `${name} looks stalled: ${m.text(statusWord(e.job.status))}, nothing has changed since ${utcMinute(e.job.tracking.stalled_since)}.`,
  "job.poll_failing": (e, name, m) => {
    const error = e.job.tracking.last_error;
    const why = error ? `: ${m.text(oneLine(error.message, ERROR_MAX))}` : ".";
    return `batchwatch cannot poll ${name} (${e.job.tracking.consecutive_failures} failures in a row)${why}`;
  },
  "job.finished": (e, name, m) => `${name} finished: ${m.bold(m.text(statusWord(e.job.status)))}.`,
};

/** The message's first line: what happened to which job. */
export function headline(event: ChatEvent, m: Markup): string {
  const name = m.bold(m.text(jobName(event.job)));
  const known = HEADLINES[event.type as keyof typeof HEADLINES];
  return known
    ? known(event, name, m)
    : `${name}: ${m.text(oneLine(event.type, 60))}, ${m.text(statusWord(event.job.status))}.`;
}

/**
 * The failed files worth listing as "• name: error" lines, escaped, as many as fit in `budget`
 * characters once joined by newlines, plus how many more failed than are listed.
 */
export function failedFileLines(
  event: ChatEvent,
  m: Markup,
  budget: number,
): { lines: string[]; more: number } {
  const lines: string[] = [];
  let used = 0;
  for (const file of event.failedFiles.slice(0, FILES_SHOWN)) {
    const name = m.text(oneLine(file.name ?? "(unnamed file)", FILE_NAME_MAX));
    const line = `• ${file.error_message ? `${name}: ${m.text(oneLine(file.error_message, ERROR_MAX))}` : name}`;
    if (used + line.length + 1 > budget) break;
    lines.push(line);
    used += line.length + 1;
  }
  const failed = Math.max(event.failedFiles.length, event.job.failed_items ?? 0);
  return { lines, more: lines.length > 0 ? failed - lines.length : 0 };
}

/** The job's page, when batchwatch knows the address people open it at. */
export function jobLink(linkBase: string | null, jobId: string): string | null {
  return linkBase === null ? null : `${linkBase}/jobs/${encodeURIComponent(jobId)}`;
}
