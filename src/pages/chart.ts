/**
 * Chart geometry for the job page, as pure functions: scales, "nice" axis ticks and the SVG polyline
 * coordinates of each series. The history arrives already downsampled by SQL (src/db/history.ts);
 * `capPoints` is the last guard that the chart never draws more than MAX_CHART_POINTS points.
 */

export const MAX_CHART_POINTS = 500;

export interface ChartPoint {
  t: number;
  processed: number | null;
  failed: number | null;
  skipped: number | null;
  total: number | null;
}

export type SeriesKey = "processed" | "failed" | "skipped" | "total";
export const SERIES: readonly { key: SeriesKey; label: string }[] = [
  { key: "processed", label: "Processed" },
  { key: "failed", label: "Failed" },
  { key: "skipped", label: "Skipped" },
  { key: "total", label: "Total" },
];

export interface Tick {
  /** Position along the axis, in chart units. */
  at: number;
  label: string;
  /** A second line under a time label: the date, when it changes. */
  sub?: string;
  /** The exact value (ISO time for the x axis). */
  value: string;
}

export interface ChartGeometry {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  /** `points` attribute values for each series that has data ("x,y x,y …"). */
  series: { key: SeriesKey; label: string; points: string; count: number; last: number | null }[];
  xTicks: Tick[];
  yTicks: Tick[];
  t0: number;
  t1: number;
  yMax: number;
  pointCount: number;
}

export interface ChartOptions {
  width?: number;
  height?: number;
  maxXTicks?: number;
  maxYTicks?: number;
}

/** Evenly strided subset that keeps the first and last point, for when more than `max` arrive. */
export function capPoints<T>(points: readonly T[], max = MAX_CHART_POINTS): T[] {
  if (points.length <= max) return [...points];
  if (max < 2) return points.slice(-Math.max(0, max));
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)] as T);
  return out;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  90 * DAY,
  365 * DAY,
];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function dateLabel(d: Date): string {
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
}

function timeLabel(d: Date, withSeconds: boolean): string {
  const iso = d.toISOString();
  return withSeconds ? iso.slice(11, 19) : iso.slice(11, 16);
}

/**
 * Time ticks at round UTC instants (every 5 min, every hour, every day…): the smallest step that
 * gives at most `maxTicks`. Labels show the time, plus the date under the first tick and wherever
 * the date changes; day-sized steps show only dates.
 */
export function timeTicks(
  t0: number,
  t1: number,
  maxTicks: number,
): { t: number; label: string; sub?: string }[] {
  const span = Math.max(t1 - t0, 1);
  const step = TIME_STEPS.find((s) => span / s <= maxTicks) ?? TIME_STEPS[TIME_STEPS.length - 1] ?? DAY;
  const ticks: { t: number; label: string; sub?: string }[] = [];
  let previousDate = "";
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const d = new Date(t);
    const date = dateLabel(d);
    if (step >= DAY) {
      ticks.push({ t, label: date });
    } else {
      const label = timeLabel(d, step < MINUTE);
      ticks.push(date === previousDate ? { t, label } : { t, label, sub: date });
    }
    previousDate = date;
  }
  return ticks;
}

/** A round step (1, 2 or 5 × 10^k) that splits 0..max into at most `maxTicks` intervals. */
export function niceStep(max: number, maxTicks: number): number {
  if (max <= 0) return 1;
  const raw = max / Math.max(1, maxTicks);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    if (m * magnitude >= raw) return Math.max(1, m * magnitude);
  }
  return Math.max(1, 10 * magnitude);
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Lays out the chart: x is time from the first point to the last, y is items from 0 to a round
 * number at or above the largest value. A series value that is null is left out of that series.
 */
export function chartGeometry(input: readonly ChartPoint[], options: ChartOptions = {}): ChartGeometry {
  const width = options.width ?? 640;
  const height = options.height ?? 280;
  const plot = { left: 56, top: 12, right: width - 16, bottom: height - 44 };
  const points = capPoints([...input].sort((a, b) => a.t - b.t));

  const first = points[0];
  const last = points[points.length - 1];
  let t0 = first?.t ?? 0;
  const t1 = last?.t ?? 0;
  if (t1 - t0 < MINUTE) {
    // A single moment: give the axis a minute so the point has somewhere to sit.
    t0 = t1 - MINUTE;
  }

  let maxValue = 0;
  for (const p of points) {
    for (const { key } of SERIES) {
      const v = p[key];
      if (v !== null && Number.isFinite(v) && v > maxValue) maxValue = v;
    }
  }
  const maxYTicks = options.maxYTicks ?? 4;
  const yStep = niceStep(maxValue, maxYTicks);
  const yMax = Math.max(yStep, Math.ceil(maxValue / yStep) * yStep);

  const x = (t: number) => round1(plot.left + ((t - t0) / (t1 - t0)) * (plot.right - plot.left));
  const y = (v: number) => round1(plot.bottom - (v / yMax) * (plot.bottom - plot.top));

  const series = SERIES.map(({ key, label }) => {
    const coords: string[] = [];
    let lastValue: number | null = null;
    for (const p of points) {
      const v = p[key];
      if (v === null || !Number.isFinite(v)) continue;
      coords.push(`${x(p.t)},${y(v)}`);
      lastValue = v;
    }
    return { key, label, points: coords.join(" "), count: coords.length, last: lastValue };
  }).filter((s) => s.count > 0);

  const xTicks = timeTicks(t0, t1, options.maxXTicks ?? 6).map((tick) => ({
    at: x(tick.t),
    label: tick.label,
    ...(tick.sub ? { sub: tick.sub } : {}),
    value: new Date(tick.t).toISOString(),
  }));
  const yTicks: Tick[] = [];
  for (let v = 0; v <= yMax; v += yStep) {
    yTicks.push({ at: y(v), label: formatAxisNumber(v), value: String(v) });
  }

  return { width, height, plot, series, xTicks, yTicks, t0, t1, yMax, pointCount: points.length };
}

function formatAxisNumber(n: number): string {
  if (n >= 1_000_000) return `${Number((n / 1_000_000).toFixed(1))}M`;
  if (n >= 10_000) return `${Number((n / 1_000).toFixed(0))}k`;
  if (n >= 1_000) return `${Number((n / 1_000).toFixed(1))}k`;
  return String(n);
}
