/** Fetching built-in examples in the page (served from public/examples/, precached for offline use). */
import { decodeImage } from '../image/decode.ts';
import type { Raster } from '../image/raster.ts';
import type { Example } from './examples.ts';

export function exampleUrl(e: Example): string {
  return `${import.meta.env.BASE_URL}examples/${e.file}`;
}

export async function fetchExample(e: Example, signal?: AbortSignal): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(exampleUrl(e), { signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new Error(`The example "${e.title}" could not be loaded (offline and not cached yet?).`);
  }
  if (!res.ok) throw new Error(`The example "${e.title}" could not be loaded (HTTP ${res.status}).`);
  return res.blob();
}

/** An example's pixels (research mode presets). */
export async function loadExampleRaster(e: Example, signal?: AbortSignal): Promise<Raster> {
  return (await decodeImage(await fetchExample(e, signal), e.file)).raster;
}
