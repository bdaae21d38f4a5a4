import { useMemo } from 'react';
import { RasterView } from '../ui/RasterView.tsx';
import { heatmapRaster, percentOrDash, type StepMap } from './maps.ts';

/** A sweep step's "Where it looks" in the research ladder: its attention map and ink share, or why there is none. */
export function StepMapView({ stepMap, step }: { stepMap: StepMap | undefined; step: number }) {
  const raster = useMemo(() => (stepMap && 'map' in stepMap ? heatmapRaster(stepMap.image, stepMap.map) : null), [stepMap]);
  if (!stepMap) return <span className="hint">—</span>;
  if ('unavailable' in stepMap) return <span className="hint">No map: {stepMap.unavailable}.</span>;
  return (
    <>
      <RasterView raster={raster} label={`Step ${step} attention map`} className="ladder-map" />
      <div className="ladder-score">
        Ink share <strong data-testid="step-ink-share">{percentOrDash(stepMap.inkShare)}</strong>
      </div>
    </>
  );
}
