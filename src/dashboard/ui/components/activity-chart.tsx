// A small bar chart of instances created and finished per minute over the last hour, drawn as
// SVG (no chart library needed for two series of sixty bars). Described in words for readers
// that do not see it.

import type { ActivityBucket } from "../shapes.js";

const WIDTH = 240;
const HEIGHT = 48;

export function ActivityChart({ buckets, label }: { buckets: ActivityBucket[]; label: string }) {
  const created = buckets.reduce((n, b) => n + b.created, 0);
  const finished = buckets.reduce((n, b) => n + b.finished, 0);
  const peak = Math.max(1, ...buckets.map((b) => Math.max(b.created, b.finished)));
  const slot = WIDTH / Math.max(1, buckets.length);
  const bar = Math.max(1, slot / 2 - 0.5);
  const summary = `${label}: ${created} created and ${finished} finished in the last ${buckets.length} minutes`;
  return (
    <figure class="activity">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={summary}
        preserveAspectRatio="none"
      >
        <line x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} class="axis" />
        {buckets.map((b, i) => {
          const hc = (b.created / peak) * (HEIGHT - 2);
          const hf = (b.finished / peak) * (HEIGHT - 2);
          return (
            <g key={b.minute}>
              {b.created > 0 && (
                <rect x={i * slot} y={HEIGHT - 1 - hc} width={bar} height={hc} class="bar-created" />
              )}
              {b.finished > 0 && (
                <rect x={i * slot + bar} y={HEIGHT - 1 - hf} width={bar} height={hf} class="bar-finished" />
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span class="legend legend-created">{created.toLocaleString()} created</span>
        <span class="legend legend-finished">{finished.toLocaleString()} finished</span>
        <span class="hint"> · last hour</span>
      </figcaption>
    </figure>
  );
}
