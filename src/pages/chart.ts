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

export interface XTick {
  /** Position across the plot, in percent of its width. */
  pct: number;
  label: string;
  /** A second line under a time label: the date, when it changes. */
  sub?: string;
  /** The exact instant, ISO 8601. */
  value: string;
  /** Ticks near an edge are anchored so their label stays inside the chart. */
  anchor: "start" | "middle" | "end";
}

export interface YTick {
  /** Pixels from the top of the chart. */
  y: number;
  label: string;
  value: number;
}

/**
 * The chart is drawn in two coordinate systems so it reads well at any width without scripts:
 * the lines live in a nested SVG whose viewBox is PLOT_WIDTH units wide and is stretched to the
 * element's width (strokes do not scale), while text and grid lines use real pixels vertically and
 * percentages horizontally, so labels keep their size on a phone and on a wide screen.
 */
export const PLOT_WIDTH = 1000;

export interface ChartGeometry {
  /** Height of the whole chart, in pixels. */
  height: number;
  /** The plot area's top edge and height, in pixels. */
  plotTop: number;
  plotHeight: number;
  /** `points` of each series with data, in the plot's own units (x 0–PLOT_WIDTH, y 0–plotHeight). */
  series: { key: SeriesKey; label: string; points: string; count: number; last: number | null }[];
  xTicks: XTick[];
  yTicks: YTick[];
  t0: number;
  t1: number;
  yMax: number;
  pointCount: number;
}

export interface ChartOptions {
  plotHeight?: number;
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
  2 * SECOND,
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

/** Room above the plot for the top y label, and below it for two lines of time labels. */
const PLOT_TOP = 20;
const BELOW_PLOT = 42;

/**
 * Lays out the chart: x is time from the first point to the last, y is items from 0 to a round
 * number at or above the largest value. A series value that is null is left out of that series.
 */
export function chartGeometry(input: readonly ChartPoint[], options: ChartOptions = {}): ChartGeometry {
  const plotHeight = options.plotHeight ?? 200;
  const points = capPoints([...input].sort((a, b) => a.t - b.t));

  let t0 = points[0]?.t ?? 0;
  const t1 = points[points.length - 1]?.t ?? 0;
  if (t1 === t0) {
    // A single moment: give the axis a minute so the point has somewhere to sit (at the right).
    t0 = t1 - MINUTE;
  }

  let maxValue = 0;
  for (const p of points) {
    for (const { key } of SERIES) {
      const v = p[key];
      if (v !== null && Number.isFinite(v) && v > maxValue) maxValue = v;
    }
  }
  const yStep = niceStep(maxValue, options.maxYTicks ?? 4);
  const yMax = Math.max(yStep, Math.ceil(maxValue / yStep) * yStep);

  const x = (t: number) => round1(((t - t0) / (t1 - t0)) * PLOT_WIDTH);
  const y = (v: number) => round1(plotHeight - (v / yMax) * plotHeight);

  const series = SERIES.map(({ key, label }) => {
    const coords: string[] = [];
    let lastValue: number | null = null;
    for (const p of points) {
      const v = p[key];
      if (v === null || !Number.isFinite(v)) continue;
      coords.push(`${x(p.t)},${y(v)}`);
      lastValue = v;
    }
    // One point alone is drawn as a dot: a zero-length segment with round caps.
    const drawn = coords.length === 1 ? [coords[0], coords[0]] : coords;
    return { key, label, points: drawn.join(" "), count: coords.length, last: lastValue };
  }).filter((s) => s.count > 0);

  const xTicks: XTick[] = timeTicks(t0, t1, options.maxXTicks ?? 5).map((tick) => {
    const pct = round1((x(tick.t) / PLOT_WIDTH) * 100);
    return {
      pct,
      label: tick.label,
      ...(tick.sub ? { sub: tick.sub } : {}),
      value: new Date(tick.t).toISOString(),
      anchor: pct < 6 ? "start" : pct > 94 ? "end" : "middle",
    };
  });
  const yTicks: YTick[] = [];
  for (let v = 0; v <= yMax; v += yStep) {
    yTicks.push({ y: round1(PLOT_TOP + y(v)), label: formatAxisNumber(v), value: v });
  }

  return {
    height: PLOT_TOP + plotHeight + BELOW_PLOT,
    plotTop: PLOT_TOP,
    plotHeight,
    series,
    xTicks,
    yTicks,
    t0,
    t1,
    yMax,
    pointCount: points.length,
  };
}

function formatAxisNumber(n: number): string {
  if (n >= 1_000_000) return `${Number((n / 1_000_000).toFixed(1))}M`;
  if (n >= 10_000) return `${Number((n / 1_000).toFixed(0))}k`;
  if (n >= 1_000) return `${Number((n / 1_000).toFixed(1))}k`;
  return String(n);
}
