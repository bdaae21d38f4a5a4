import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from './export.ts';

/** Distinguishable by colour and by dash, so the two models read apart without colour too. */
const STYLES = [
  { stroke: '#1d4ed8', dash: undefined, fill: '#1d4ed8' },
  { stroke: '#c2410c', dash: [8, 5], fill: '#c2410c' },
];
const HEIGHT = 260;

export interface ChartSeries {
  label: string;
  scores: (number | null)[];
}

/**
 * Score (1 − normalised edit distance) against the swept variable, the models
 * overlaid (uPlot on a canvas). Points are sorted by value: uPlot needs ascending x,
 * and sweeps may run downwards (contrast 1 → 0.1).
 */
export function SweepChart({ x, series, xLabel }: { x: number[]; series: ChartSeries[]; xLabel: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el || x.length === 0) return;
    const order = x.map((_, i) => i).sort((a, b) => x[a] - x[b]);
    const xs = order.map((i) => x[i]);
    const data: uPlot.AlignedData = [xs, ...series.map((s) => order.map((i) => s.scores[i]))];
    const lo = xs[0];
    const hi = xs[xs.length - 1];
    const pad = lo === hi ? Math.max(1, Math.abs(lo) * 0.1) : 0;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth || 640),
      height: HEIGHT,
      scales: {
        x: { time: false, range: [lo - pad, hi + pad] },
        y: { range: [0, 1.02] },
      },
      axes: [
        { label: xLabel, values: (_u, vals) => vals.map((v) => formatNumber(v, 4)) },
        { label: 'Score (1 − NED)', values: (_u, vals) => vals.map((v) => formatNumber(v, 3)) },
      ],
      series: [
        { label: xLabel, value: (_u, v) => (v === null || v === undefined ? '—' : formatNumber(v, 4)) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: STYLES[i % STYLES.length].stroke,
          width: 2,
          dash: STYLES[i % STYLES.length].dash,
          spanGaps: false,
          points: { show: true, size: 7, fill: STYLES[i % STYLES.length].fill },
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : v.toFixed(3)),
        })),
      ],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el);
    const u = plot.current;
    // follow the container's width (it is 0 while research mode is hidden)
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height: HEIGHT });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      if (plot.current === u) plot.current = null;
    };
  }, [x, series, xLabel]);

  const summary = series
    .map((s) => {
      const valid = s.scores.map((v, i) => [v, x[i]] as const).filter((p): p is readonly [number, number] => p[0] !== null);
      if (!valid.length) return `${s.label}: no results yet`;
      const worst = valid.reduce((a, b) => (b[0] < a[0] ? b : a));
      const mean = valid.reduce((a, b) => a + b[0], 0) / valid.length;
      return `${s.label}: mean score ${mean.toFixed(2)}, lowest ${worst[0].toFixed(2)} at ${formatNumber(worst[1], 4)}`;
    })
    .join('; ');

  return (
    <figure className="sweep-chart" aria-label="Sweep chart">
      <div ref={box} className="sweep-chart-plot" />
      <figcaption>
        Score (1 − normalised edit distance) against {xLabel}. {summary}.
      </figcaption>
    </figure>
  );
}
