import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { CSS, FAVICON } from "./styles";
import {
  formatPercent,
  formatUtc,
  ITEM_COUNTS,
  type Marker,
  REFRESH_SECONDS,
  statusText,
  statusTone,
  type Tone,
  timeAgo,
} from "./view";

export function Layout(props: {
  title: string;
  nonce: string | undefined;
  refresh?: boolean;
  children: Child;
}) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <meta name="referrer" content="no-referrer" />
          {props.refresh ? <meta http-equiv="refresh" content={String(REFRESH_SECONDS)} /> : null}
          <title>{`${props.title} · batchwatch`}</title>
          <link rel="icon" href={FAVICON} />
          {/* The stylesheet is a constant of this module, never data: raw() is safe here. */}
          <style nonce={props.nonce}>{raw(CSS)}</style>
        </head>
        <body>
          <header class="site">
            <a class="brand" href="/">
              batchwatch
            </a>
            <nav aria-label="Main">
              <a href="/">All jobs</a>
            </nav>
          </header>
          <main>{props.children}</main>
          <footer>
            Times are UTC.{" "}
            {props.refresh
              ? `This page refreshes every ${REFRESH_SECONDS} s while a job on it is active.`
              : "Nothing here is active, so this page does not refresh."}
          </footer>
        </body>
      </html>
    </>
  );
}

export function StatusBadge(props: { status: string | null }) {
  return <span class={`badge tone-${statusTone(props.status)}`}>{statusText(props.status)}</span>;
}

export function Markers(props: { markers: Marker[] }) {
  if (props.markers.length === 0) return null;
  return (
    <span class="markers">
      {props.markers.map((m) => (
        <span class={`marker marker-${m.kind}`} title={m.title}>
          {m.text}
          <span class="visually-hidden">: {m.title}</span>
        </span>
      ))}
    </span>
  );
}

/** A `<progress>` bar with its percent as text (the element carries the accessible value). */
export function ProgressBar(props: { percent: number | null; tone: Tone; label: string; big?: boolean }) {
  const text = formatPercent(props.percent);
  return (
    <span class={props.big ? "bar big-bar" : "bar"}>
      {props.percent === null ? (
        <progress class={`tone-${props.tone}`} aria-label={props.label}>
          unknown
        </progress>
      ) : (
        <progress
          class={`tone-${props.tone}`}
          max="100"
          value={props.percent.toFixed(1)}
          aria-label={props.label}
        >
          {text}
        </progress>
      )}
      <span class="pct">{text}</span>
    </span>
  );
}

/** "2 min ago" (or `text`), with the exact time on hover and in `datetime`. */
export function TimeAgo(props: { at: number | null; now: number; never?: string; text?: string }) {
  if (props.at === null) return <span class="muted">{props.never ?? "never"}</span>;
  return (
    <time datetime={new Date(props.at).toISOString()} title={formatUtc(props.at)}>
      {props.text ?? timeAgo(props.at, props.now)}
    </time>
  );
}

/** An exact UTC time in a `<time>` element. */
export function Timestamp(props: { at: number }) {
  return <time datetime={new Date(props.at).toISOString()}>{formatUtc(props.at)}</time>;
}

/**
 * A table as the pages lay one out: in a wrapper that scrolls sideways when the table is wider than
 * the screen (`cards`: on a phone each row becomes a card instead, styles.ts), with its caption (only
 * for screen readers when `hiddenCaption`), one row of column headers, then the rows.
 */
export function DataTable(props: {
  class: string;
  caption: string;
  hiddenCaption?: boolean;
  cards?: boolean;
  headers: Child;
  children: Child;
}) {
  return (
    <div class={props.cards ? "table-wrap cards" : "table-wrap"}>
      <table class={props.class}>
        <caption class={props.hiddenCaption ? "visually-hidden" : undefined}>{props.caption}</caption>
        <thead>
          <tr>{props.headers}</tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** The four item-count column headers every job table shows, in the same order everywhere. */
export function CountHeaders() {
  return (
    <>
      {ITEM_COUNTS.map(([name]) => (
        <th scope="col" class="num">
          {name}
        </th>
      ))}
    </>
  );
}

export function jobHref(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}`;
}
