import { type DayPoint, niceMax } from './scale';

const WIDTH = 900;
const HEIGHT = 240;
const PAD = { top: 12, right: 12, bottom: 28, left: 32 };

/** Created vs completed tasks per day as paired bars: an SVG drawn by hand (an image to
 * assistive technology, with the totals in its label and the numbers in a table below). */
export function DailyChart({ points }: { points: DayPoint[] }) {
  const totalCreated = points.reduce((sum, p) => sum + p.created, 0);
  const totalCompleted = points.reduce((sum, p) => sum + p.completed, 0);
  const top = niceMax(Math.max(0, ...points.map((p) => Math.max(p.created, p.completed))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(points.length, 1);
  const barW = Math.max(1, slot * 0.38);
  const y = (value: number) => PAD.top + plotH - (value / top) * plotH;
  const label = `Tasks created and completed per day over the last ${points.length} days: ${totalCreated} created, ${totalCompleted} completed.`;
  const ticks = top % 2 === 0 ? [0, top / 2, top] : [0, top];
  const first = points[0]?.day ?? '';
  const last = points[points.length - 1]?.day ?? '';
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={label}
        preserveAspectRatio="xMidYMid meet"
      >
        <title>{label}</title>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} className="grid" />
            <text x={PAD.left - 6} y={y(tick) + 4} textAnchor="end" className="tick">
              {tick}
            </text>
          </g>
        ))}
        {points.map((p, i) => {
          const x = PAD.left + i * slot + slot / 2;
          return (
            <g key={p.day}>
              <rect
                x={x - barW}
                y={y(p.created)}
                width={barW}
                height={y(0) - y(p.created)}
                className="bar created"
              >
                <title>{`${p.day}: ${p.created} created`}</title>
              </rect>
              <rect
                x={x}
                y={y(p.completed)}
                width={barW}
                height={y(0) - y(p.completed)}
                className="bar completed"
              >
                <title>{`${p.day}: ${p.completed} completed`}</title>
              </rect>
            </g>
          );
        })}
        <text x={PAD.left} y={HEIGHT - 8} className="tick">
          {first}
        </text>
        <text x={WIDTH - PAD.right} y={HEIGHT - 8} textAnchor="end" className="tick">
          {last}
        </text>
      </svg>
      <figcaption className="legend">
        <span className="swatch created" aria-hidden="true" /> created ({totalCreated})
        <span className="swatch completed" aria-hidden="true" /> completed ({totalCompleted})
      </figcaption>
    </figure>
  );
}
