import { formatPercent, statusTone, type Tone, truncate } from "./view";

/** Fixed colours: a badge is shown on other sites' pages, where our CSS variables do not exist. */
const TONE_COLOURS: Record<Tone, string> = {
  info: "#1f6fd1",
  active: "#0a7d96",
  good: "#2e8540",
  bad: "#c62828",
  muted: "#6b7280",
  neutral: "#7048c8",
};

const NARROW = new Set([..."iIl.,:;!'|1 tfjr()[]"]);
const WIDE = new Set([..."mwMW%@"]);

/** Approximate width of 11px Verdana text, enough to size a badge without a font engine. */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += NARROW.has(ch) ? 4 : WIDE.has(ch) ? 10 : ch >= "A" && ch <= "Z" ? 7.5 : 6.8;
  return Math.ceil(w);
}

export interface BadgeModel {
  label: string;
  message: string;
  tone: Tone;
  /** 0–100 draws a thin progress line under the message. */
  percent: number | null;
}

export function badgeModel(status: string | null, percent: number | null): BadgeModel {
  // XML 1.0 cannot carry control characters at all, escaped or not: an odd upstream status loses them.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point.
  const name = (status ?? "not polled").replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "");
  const shown = truncate(name, 24);
  return {
    label: "batch",
    message: percent === null ? shown : `${shown} ${formatPercent(percent)}`,
    tone: statusTone(status),
    percent,
  };
}

/** A flat 20px-high two-part badge: "batch | running 42%". All text goes through JSX escaping. */
export function Badge(props: BadgeModel) {
  const pad = 6;
  const lw = textWidth(props.label) + 2 * pad;
  const rw = textWidth(props.message) + 2 * pad;
  const w = lw + rw;
  const colour = TONE_COLOURS[props.tone];
  const text = `${props.label}: ${props.message}`;
  const pct = props.percent === null ? null : Math.max(0, Math.min(100, props.percent));
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={w}
      height="20"
      viewBox={`0 0 ${w} 20`}
      role="img"
      aria-label={text}
    >
      <title>{text}</title>
      <linearGradient id="shine" x2="0" y2="100%">
        <stop offset="0" stop-color="#fff" stop-opacity=".12" />
        <stop offset="1" stop-opacity=".12" />
      </linearGradient>
      <clipPath id="round">
        <rect width={w} height="20" rx="3" fill="#fff" />
      </clipPath>
      <g clip-path="url(#round)">
        <rect width={lw} height="20" fill="#444d56" />
        <rect x={lw} width={rw} height="20" fill={colour} />
        {pct === null ? null : (
          <rect
            x={lw}
            y="18"
            width={Math.round((rw * pct) / 10) / 10}
            height="2"
            fill="#fff"
            fill-opacity=".55"
          />
        )}
        <rect width={w} height="20" fill="url(#shine)" />
      </g>
      <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
        <text x={lw / 2} y="14">
          {props.label}
        </text>
        <text x={lw + rw / 2} y="14">
          {props.message}
        </text>
      </g>
    </svg>
  );
}
