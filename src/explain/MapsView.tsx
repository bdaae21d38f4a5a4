import { useMemo } from 'react';
import type { Raster } from '../image/raster.ts';
import { RasterView } from '../ui/RasterView.tsx';
import { describeMap, heatmapRaster, percentOrDash, type GridMap, type PredictionMaps } from './maps.ts';

/** Thumbnails drawn at most: a runaway prediction must not draw thousands of canvases. */
export const MAX_MAP_THUMBNAILS = 160;

const KIND_NAME = { attention: 'Attention', occlusion: 'Occlusion' } as const;

export { percentOrDash };

/** The accessible name of token i's map (1-based in the name, as a reader counts). */
export function mapName(maps: Pick<PredictionMaps, 'kind'>, i: number, text: string): string {
  return `${KIND_NAME[maps.kind]} map, token ${i + 1}: ${text}`;
}

function Heat({ image, map, label, describedBy, className }: { image: Raster; map: GridMap; label: string; describedBy?: string; className?: string }) {
  const raster = useMemo(() => heatmapRaster(image, map), [image, map]);
  return <RasterView raster={raster} label={label} className={className} describedBy={describedBy} />;
}

/**
 * "Where it looks": the selected token's map (or the whole prediction's) over what the model
 * sees, its summary in words, the ink share as a number, and a strip of one thumbnail per token
 * (buttons: choose a token). Presentational: the maps come from the worker (src/model/explain.ts).
 */
export function MapsView({
  maps,
  image,
  paneName,
  selected,
  onSelect,
}: {
  maps: PredictionMaps;
  image: Raster;
  paneName: string;
  /** Index into maps.tokens; null = the whole prediction. */
  selected: number | null;
  onSelect: (i: number | null) => void;
}) {
  const current = selected !== null ? maps.tokens[selected] : undefined;
  const map = current?.map ?? maps.overall;
  const summaryId = `${paneName.replace(/\s+/g, '-')}-map-summary`;
  const summary = useMemo(() => describeMap(map, image), [map, image]);
  const label = current ? `Selected ${mapName(maps, selected!, current.text).replace(/^\w/, (c) => c.toLowerCase())}` : `${KIND_NAME[maps.kind]} map, whole prediction`;
  const shown = maps.tokens.slice(0, MAX_MAP_THUMBNAILS);
  return (
    <div className="maps" role="group" aria-label={`Where it looks, ${paneName}`}>
      <p className="maps-stats">
        Ink share{' '}
        <strong data-testid="ink-share" title="Share of the map's weight on cells that hold ink">
          {percentOrDash(maps.inkShare)}
        </strong>{' '}
        <span className="muted">
          (a uniform gaze: {percentOrDash(maps.inkCells)}; {maps.passes} {maps.passes === 1 ? 'pass' : 'passes'}, {maps.ms.toFixed(0)} ms)
        </span>
      </p>
      <figure className="maps-main">
        <Heat image={image} map={map} label={label} describedBy={summaryId} />
        <figcaption id={summaryId}>
          {current ? `Token ${selected! + 1} “${current.text}”` : 'Whole prediction'}: {summary}
        </figcaption>
      </figure>
      <div className="maps-strip" role="group" aria-label={`Maps per token, ${paneName}`}>
        <button type="button" className="maps-thumb" aria-pressed={selected === null} onClick={() => onSelect(null)}>
          <span>All</span>
        </button>
        {shown.map((t, i) => (
          <button key={i} type="button" className="maps-thumb" aria-pressed={selected === i} onClick={() => onSelect(i)} title={`${t.text}: ${percentOrDash(t.inkShare)} on ink`}>
            <Heat image={image} map={t.map} label={mapName(maps, i, t.text)} className="maps-thumb-img" />
            <span aria-hidden="true">{t.text}</span>
          </button>
        ))}
        {maps.tokens.length > shown.length && <span className="muted">and {maps.tokens.length - shown.length} more tokens (not drawn)</span>}
      </div>
    </div>
  );
}
