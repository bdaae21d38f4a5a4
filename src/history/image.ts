/** Input images for the history: the raster as a lossless PNG, and back. */
import type { Raster } from '../image/raster.ts';
import { decodeImage } from '../image/decode.ts';

/** PNGs of recent inputs, by input id: a run re-recorded with other settings is not re-encoded. */
const recent = new Map<string, Promise<Blob>>();
const KEEP = 8;

export function rememberPng(inputId: string, png: Blob | Promise<Blob>) {
  recent.delete(inputId);
  recent.set(inputId, Promise.resolve(png));
  while (recent.size > KEEP) recent.delete(recent.keys().next().value!);
}

export function inputPng(inputId: string, raster: Raster): Promise<Blob> {
  let p = recent.get(inputId);
  if (!p) {
    p = rasterToPng(raster);
    rememberPng(inputId, p);
    p.catch(() => recent.delete(inputId));
  }
  return p;
}

export async function rasterToPng(r: Raster): Promise<Blob> {
  const data = new ImageData(new Uint8ClampedArray(r.data), r.width, r.height);
  if (typeof OffscreenCanvas !== 'undefined') {
    const c = new OffscreenCanvas(r.width, r.height);
    c.getContext('2d')!.putImageData(data, 0, 0);
    return c.convertToBlob({ type: 'image/png' });
  }
  const c = document.createElement('canvas');
  c.width = r.width;
  c.height = r.height;
  c.getContext('2d')!.putImageData(data, 0, 0);
  return new Promise((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}

export async function imageToRaster(blob: Blob, name: string): Promise<Raster> {
  return (await decodeImage(blob, name)).raster;
}
