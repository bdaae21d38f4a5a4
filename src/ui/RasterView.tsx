import { useEffect, useRef } from 'react';
import type { Raster } from '../image/raster.ts';

/** Shows a Raster on a canvas (no data URLs, no copies into the DOM). */
export function RasterView({ raster, label, className, maxHeight, describedBy }: { raster: Raster | null | undefined; label: string; className?: string; maxHeight?: number; describedBy?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c || !raster) return;
    c.width = raster.width;
    c.height = raster.height;
    c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(raster.data), raster.width, raster.height), 0, 0);
  }, [raster]);
  if (!raster) return <div className={`raster-empty ${className ?? ''}`} role="img" aria-label={`${label} (none)`} />;
  return <canvas ref={ref} className={className} role="img" aria-label={label} aria-describedby={describedBy} style={maxHeight ? { maxHeight } : undefined} />;
}
