import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { SERIES, type Activity } from '../api/get-activity.ts';

/**
 * The hourly activity drawn by uPlot (loaded with this module, only when the
 * dashboard shows it). The canvas is hidden from assistive technology: the
 * table beside it carries the same numbers.
 */
export default function ActivityChart({ activity }: { activity: Activity }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = Array.from({ length: activity.hours }, (_, i) => (activity.from + i * activity.hourMs) / 1000);
    const data: uPlot.AlignedData = [xs, ...SERIES.map((s) => activity.series[s.key])];
    const width = () => Math.max(240, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 260,
        // The page draws its own legend, with the week's totals.
        legend: { show: false },
        series: [{}, ...SERIES.map((s) => ({ label: s.label, stroke: s.colour, width: 2 }))],
        axes: [{}, { label: 'per hour' }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [activity]);
  return <div ref={box} className="activity-chart" aria-hidden="true" />;
}
