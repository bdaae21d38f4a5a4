import { useState } from 'react';
import type { Raster } from '../image/raster.ts';
import { RasterView } from '../ui/RasterView.tsx';

/** Two images stacked in one cell; a slider moves the split (clip-path, no re-render of pixels). */
export function SplitView({ left, right, leftLabel, rightLabel }: { left: Raster | null; right: Raster | null; leftLabel: string; rightLabel: string }) {
  const [pos, setPos] = useState(50);
  if (!left || !right) return null;
  return (
    <figure className="split" aria-label="Split view">
      <div className="split-stage" style={{ ['--split' as string]: `${pos}%`, aspectRatio: `${left.width} / ${left.height}` }}>
        <RasterView raster={left} label={leftLabel} className="split-a" />
        <RasterView raster={right} label={rightLabel} className="split-b" />
        <div className="split-line" aria-hidden="true" />
      </div>
      <input type="range" min={0} max={100} value={pos} aria-label="Split position" onChange={(e) => setPos(Number(e.target.value))} />
      <figcaption>
        ◀ {leftLabel} | {rightLabel} ▶
      </figcaption>
    </figure>
  );
}
