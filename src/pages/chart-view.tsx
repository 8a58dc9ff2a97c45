import { type ChartGeometry, type ChartPoint, chartGeometry } from "./chart";
import { formatCount, formatUtc } from "./view";

/** The progress chart: an inline SVG drawn on the server, styled by classes (dark mode included). */
export function ProgressChart(props: { points: ChartPoint[]; snapshotCount: number; sampled: boolean }) {
  if (props.points.length === 0) {
    return <p class="card empty">No history yet: the chart appears after the first successful poll.</p>;
  }
  const g: ChartGeometry = chartGeometry(props.points);
  const { plot } = g;
  const description = `${g.series
    .map((s) => `${s.label}: ${formatCount(s.last)}`)
    .join(", ")}, from ${formatUtc(g.t0)} to ${formatUtc(g.t1)}.`;
  return (
    <figure class="chart card">
      <svg
        viewBox={`0 0 ${g.width} ${g.height}`}
        role="img"
        aria-labelledby="chart-title chart-desc"
        xmlns="http://www.w3.org/2000/svg"
      >
        <title id="chart-title">Items processed, failed and skipped over time</title>
        <desc id="chart-desc">{description}</desc>
        <g>
          {g.yTicks.map((tick) => (
            <>
              <line class="grid" x1={plot.left} x2={plot.right} y1={tick.at} y2={tick.at} />
              <text x={plot.left - 8} y={tick.at} text-anchor="end" dominant-baseline="middle">
                {tick.label}
              </text>
            </>
          ))}
        </g>
        <g>
          {g.xTicks.map((tick) => (
            <>
              <line class="axis" x1={tick.at} x2={tick.at} y1={plot.bottom} y2={plot.bottom + 5} />
              <text x={tick.at} y={plot.bottom + 20} text-anchor="middle">
                {tick.label}
                {tick.sub ? (
                  <tspan x={tick.at} dy="16">
                    {tick.sub}
                  </tspan>
                ) : null}
              </text>
            </>
          ))}
        </g>
        <line class="axis" x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
        <line class="axis" x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
        {g.series.map((s) =>
          s.count === 1 ? (
            <circle class={`line s-${s.key}`} cx={s.points.split(",")[0]} cy={s.points.split(",")[1]} r="3" />
          ) : (
            <polyline class={`line s-${s.key}`} points={s.points} data-series={s.key} />
          ),
        )}
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
          Items (y) over time in UTC (x).{" "}
          {props.sampled
            ? `${formatCount(props.snapshotCount)} snapshots, drawn as ${formatCount(g.pointCount)} points taken at evenly spaced times.`
            : `${formatCount(props.snapshotCount)} ${props.snapshotCount === 1 ? "snapshot" : "snapshots"}.`}
        </p>
      </figcaption>
    </figure>
  );
}
