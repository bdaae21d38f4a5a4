/** Turning files (picker, drop, paste) into the app's input, with errors as alerts. */
import { useCallback } from 'react';
import { useApp } from '../app/context.tsx';
import { decodeImage } from '../image/decode.ts';
import type { InputOrigin } from '../app/state.ts';

let seq = 0;
export function newInputId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${++seq}`;
}

export function useImageInput() {
  const { dispatch } = useApp();
  return useCallback(
    async (file: Blob, name: string, origin: InputOrigin) => {
      try {
        const { raster, info, scaled } = await decodeImage(file, name);
        dispatch({ type: 'setInput', input: { id: newInputId(origin), name, origin, raster } });
        if (info.animated) dispatch({ type: 'alert', message: `"${name}" is animated: only its first frame is used.` });
        if (scaled) dispatch({ type: 'alert', message: `"${name}" is large (${info.width}×${info.height}); it was scaled down to ${raster.width}×${raster.height}.` });
      } catch (e) {
        dispatch({ type: 'alert', message: e instanceof Error ? e.message : String(e) });
      }
    },
    [dispatch],
  );
}
