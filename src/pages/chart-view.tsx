import { type ChartGeometry, type ChartPoint, chartGeometry, PLOT_WIDTH } from "./chart";
import { formatCount, formatUtc } from "./view";

/**
 * The progress chart: an inline SVG drawn on the server and styled by classes (dark mode included).
 * The outer SVG has no viewBox, so its text is real-size pixels at any width; the lines sit in a
 * nested SVG stretched across the plot (see PLOT_WIDTH).
 */
export function ProgressChart(props: { points: ChartPoint[]; snapshotCount: number; sampled: boolean }) {
  if (props.points.length === 0) {
    return <p class="card empty">No history yet: the chart appears after the first successful poll.</p>;
  }
  const g: ChartGeometry = chartGeometry(props.points);
  const bottom = g.plotTop + g.plotHeight;
  const description = `${g.series
    .map((s) => `${s.label}: ${formatCount(s.last)}`)
    .join(", ")}, from ${formatUtc(g.t0)} to ${formatUtc(g.t1)}.`;
  return (
    <figure class="chart card">
      <svg
        width="100%"
        height={g.height}
        role="img"
        aria-labelledby="chart-title chart-desc"
        xmlns="http://www.w3.org/2000/svg"
      >
        <title id="chart-title">Items processed, failed and skipped over time</title>
        <desc id="chart-desc">{description}</desc>
        {g.yTicks.map((tick) => (
          <line class={tick.value === 0 ? "axis" : "grid"} x1="0" x2="100%" y1={tick.y} y2={tick.y} />
        ))}
        {g.xTicks.map((tick) => (
          <line class="axis" x1={`${tick.pct}%`} x2={`${tick.pct}%`} y1={bottom} y2={bottom + 5} />
        ))}
        <svg
          class="plot"
          aria-hidden="true"
          x="0"
          y={g.plotTop}
          width="100%"
          height={g.plotHeight}
          viewBox={`0 0 ${PLOT_WIDTH} ${g.plotHeight}`}
          preserveAspectRatio="none"
          overflow="visible"
        >
          {g.series.map((s) => (
            <polyline
              class={`line s-${s.key}${s.count === 1 ? " dot" : ""}`}
              points={s.points}
              data-series={s.key}
              vector-effect="non-scaling-stroke"
            />
          ))}
        </svg>
        {g.yTicks.map((tick) =>
          tick.value === 0 ? null : (
            <text class="label" x="2" y={tick.y - 5}>
              {tick.label}
            </text>
          ),
        )}
        {g.xTicks.map((tick, i) => (
          // Every other time label is "minor": a phone hides those so labels never run together.
          <text
            class={i % 2 === 1 && !tick.sub ? "label minor" : "label"}
            x={`${tick.pct}%`}
            y={bottom + 19}
            text-anchor={tick.anchor}
          >
            {tick.label}
            {tick.sub ? (
              <tspan x={`${tick.pct}%`} dy="15">
                {tick.sub}
              </tspan>
            ) : null}
          </text>
        ))}
      </svg>
      <figcaption>
        <ul class="legend">
          {g.series.map((s) => (
            <li>
              <span class={`swatch k-${s.key}`} aria-hidden="true" />
              {s.label} <span class="muted">{formatCount(s.last)}</span>
            </li>
          ))}
        </ul>
        <p class="muted small">
          Items over time (UTC).{" "}
          {props.sampled
            ? `${formatCount(props.snapshotCount)} snapshots, drawn as ${formatCount(g.pointCount)} points taken at evenly spaced times.`
            : `${formatCount(props.snapshotCount)} ${props.snapshotCount === 1 ? "snapshot" : "snapshots"}.`}
        </p>
      </figcaption>
    </figure>
  );
}
