import { describe, expect, it } from "vitest";
import {
  type ChartPoint,
  capPoints,
  chartGeometry,
  MAX_CHART_POINTS,
  niceStep,
  PLOT_WIDTH,
  timeTicks,
} from "../../src/pages/chart";
import { MINUTE } from "../helpers/time";

const T0 = Date.parse("2026-11-28T10:00:00Z");

function linear(n: number, stepMs = MINUTE): ChartPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    t: T0 + i * stepMs,
    processed: i * 3,
    failed: Math.floor(i / 10),
    skipped: Math.floor(i / 20),
    total: n * 3,
  }));
}

function coords(points: string): [number, number][] {
  return points.split(" ").map((pair) => pair.split(",").map(Number) as [number, number]);
}

describe("capPoints", () => {
  it("keeps short lists whole", () => {
    expect(capPoints([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });

  it("strides long lists down to the cap, keeping both ends", () => {
    const many = Array.from({ length: 10_001 }, (_, i) => i);
    const capped = capPoints(many, 500);
    expect(capped).toHaveLength(500);
    expect(capped[0]).toBe(0);
    expect(capped.at(-1)).toBe(10_000);
    expect([...capped].sort((a, b) => a - b)).toEqual(capped);
  });
});

describe("ticks", () => {
  it("picks round numbers for the y axis", () => {
    expect(niceStep(100, 4)).toBe(50);
    expect(niceStep(950, 4)).toBe(500);
    expect(niceStep(300_000, 4)).toBe(100_000);
    expect(niceStep(3, 4)).toBe(1);
    expect(niceStep(0, 4)).toBe(1);
  });

  it("places time ticks on round UTC instants, with the date where it changes", () => {
    const ticks = timeTicks(T0 + 3 * MINUTE, T0 + 58 * MINUTE, 6);
    expect(ticks.map((t) => t.label)).toEqual(["10:10", "10:20", "10:30", "10:40", "10:50"]);
    expect(ticks[0]?.sub).toBe("Nov 28");
    expect(ticks.slice(1).every((t) => t.sub === undefined)).toBe(true);

    const overnight = timeTicks(Date.parse("2026-11-28T20:00:00Z"), Date.parse("2026-11-29T08:00:00Z"), 6);
    expect(overnight.map((t) => [t.label, t.sub])).toContainEqual(["00:00", "Nov 29"]);

    const months = timeTicks(T0, T0 + 60 * 24 * 60 * MINUTE, 6);
    expect(months.length).toBeLessThanOrEqual(6);
    expect(months[0]?.label).toMatch(/^[A-Z][a-z]{2} \d+$/);
  });
});

describe("chartGeometry", () => {
  it("maps every point inside the plot area, time left to right, counts bottom to top", () => {
    const g = chartGeometry(linear(120));
    const processed = g.series.find((s) => s.key === "processed");
    expect(processed?.count).toBe(120);
    const xy = coords(processed?.points ?? "");
    for (const [x, y] of xy) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(PLOT_WIDTH);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(g.plotHeight);
    }
    expect(xy[0]).toEqual([0, g.plotHeight]);
    expect(xy.at(-1)?.[0]).toBe(PLOT_WIDTH);
    expect(g.yMax).toBeGreaterThanOrEqual(360);
    // y ticks in pixels from the chart's top: the baseline is the plot's bottom edge.
    expect(g.yTicks[0]).toEqual({ y: g.plotTop + g.plotHeight, label: "0", value: 0 });
    expect(g.yTicks.at(-1)?.y).toBe(g.plotTop);
    expect(g.height).toBeGreaterThan(g.plotTop + g.plotHeight);
    expect(g.xTicks.length).toBeGreaterThan(1);
    for (const tick of g.xTicks) {
      expect(tick.pct).toBeGreaterThanOrEqual(0);
      expect(tick.pct).toBeLessThanOrEqual(100);
    }
  });

  it("anchors time labels at the edges so they stay inside the chart", () => {
    const g = chartGeometry(linear(61).map((p, i) => ({ ...p, t: T0 + i * MINUTE })));
    expect(g.xTicks[0]).toMatchObject({ pct: 0, anchor: "start", label: "10:00", sub: "Nov 28" });
    expect(g.xTicks.at(-1)).toMatchObject({ pct: 100, anchor: "end", label: "11:00" });
    expect(g.xTicks.slice(1, -1).every((t) => t.anchor === "middle")).toBe(true);
  });

  it("never draws more than MAX_CHART_POINTS points per series", () => {
    const g = chartGeometry(linear(20_000, 1000));
    expect(g.pointCount).toBe(MAX_CHART_POINTS);
    for (const s of g.series) expect(s.count).toBeLessThanOrEqual(MAX_CHART_POINTS);
  });

  it("leaves out series values LlamaCloud did not report", () => {
    const g = chartGeometry(
      linear(5).map((p, i) => ({ ...p, skipped: null, failed: i === 2 ? null : p.failed })),
    );
    expect(g.series.map((s) => s.key)).toEqual(["processed", "failed", "total"]);
    expect(g.series.find((s) => s.key === "failed")?.count).toBe(4);
  });

  it("draws a lone point as a dot and copes with all-zero counts", () => {
    const g = chartGeometry([{ t: T0, processed: 0, failed: 0, skipped: 0, total: 0 }]);
    expect(g.pointCount).toBe(1);
    expect(g.t1 - g.t0).toBe(MINUTE);
    expect(g.yMax).toBe(1);
    for (const s of g.series) {
      expect(s.count).toBe(1);
      expect(coords(s.points)).toEqual([
        [PLOT_WIDTH, g.plotHeight],
        [PLOT_WIDTH, g.plotHeight],
      ]);
    }
    expect(chartGeometry([]).series).toEqual([]);
  });
});
