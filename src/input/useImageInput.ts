/** Turning files (picker, drop, paste, examples) into the app's input, with errors as alerts. */
import { useCallback, useEffect } from 'react';
import { useApp } from '../app/context.tsx';
import { decodeImage } from '../image/decode.ts';
import type { InputImage, InputOrigin } from '../app/state.ts';

let seq = 0;
export function newInputId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${++seq}`;
}

/** Only the latest file taken may become the input (a slow big file must not replace a later small one). */
let latestTake = 0;

export interface TakeOptions {
  /** Reference LaTeX to set with the input (examples). */
  reference?: string;
  exampleId?: string;
}

/** Decode a file and make it the input; returns whether it became the input. */
export function useImageInput() {
  const { dispatch } = useApp();
  return useCallback(
    async (file: Blob, name: string, origin: InputOrigin, opts: TakeOptions = {}): Promise<boolean> => {
      const ticket = ++latestTake;
      try {
        const { raster, info, scaled, warnings } = await decodeImage(file, name);
        if (ticket !== latestTake) return false;
        const input: InputImage = { id: newInputId(origin), name, origin, raster };
        if (opts.exampleId) input.exampleId = opts.exampleId;
        dispatch({ type: 'setInput', input, reference: opts.reference });
        for (const message of warnings) dispatch({ type: 'alert', message });
        if (scaled) dispatch({ type: 'alert', message: `"${name}" is large (${info.width}×${info.height}); it was scaled down to ${raster.width}×${raster.height}.` });
        return true;
      } catch (e) {
        if (ticket === latestTake) dispatch({ type: 'alert', message: e instanceof Error ? e.message : String(e) });
        return false;
      }
    },
    [dispatch],
  );
}

/** The first image among pasted or dropped items (a drop may carry text and files). */
function firstFile(list: FileList | undefined | null): File | null {
  const files = [...(list ?? [])];
  return files.find((f) => f.type.startsWith('image/')) ?? files[0] ?? null;
}

/** Paste (Ctrl/Cmd+V) and drag-and-drop of an image anywhere on the page. */
export function useGlobalDropAndPaste() {
  const take = useImageInput();
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const file = firstFile(e.clipboardData?.files);
      if (!file) return; // text pasted into a field stays a text paste
      e.preventDefault();
      void take(file, file.name || 'pasted image', 'paste');
    };
    const onDragOver = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) {
        e.preventDefault(); // allow the drop (and do not let the browser open the file)
        e.dataTransfer.dropEffect = 'copy';
      }
    };
    const onDrop = (e: DragEvent) => {
      const file = firstFile(e.dataTransfer?.files);
      if (!file) return;
      e.preventDefault();
      void take(file, file.name || 'dropped image', 'drop');
    };
    window.addEventListener('paste', onPaste);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('paste', onPaste);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
    };
  }, [take]);
}
