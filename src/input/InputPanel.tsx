import { useRef } from 'react';
import { useApp } from '../app/context.tsx';
import { RasterView } from '../ui/RasterView.tsx';
import { useImageInput } from './useImageInput.ts';

/** Where an equation comes in: file picker (and, app-wide, drop and paste). */
export function InputPanel() {
  const { state, dispatch } = useApp();
  const take = useImageInput();
  const fileRef = useRef<HTMLInputElement>(null);
  return (
    <section className="panel input-panel" aria-label="Input">
      <h2>Equation</h2>
      <div className="input-actions">
        <label className="button">
          Upload image
          <input
            ref={fileRef}
            type="file"
            aria-label="Upload image"
            accept="image/png,image/jpeg,image/webp,image/gif,image/bmp,image/svg+xml,.png,.jpg,.jpeg,.webp,.gif,.bmp,.svg"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void take(f, f.name, 'upload');
              e.target.value = '';
            }}
          />
        </label>
        <span className="hint">or drop or paste an image anywhere</span>
      </div>
      <RasterView raster={state.input?.raster} label="Input image" className="input-preview" />
      <label className="reference">
        Reference LaTeX
        <input
          type="text"
          aria-label="Reference LaTeX"
          placeholder="optional: the correct LaTeX, to score predictions"
          value={state.reference}
          onChange={(e) => dispatch({ type: 'setReference', reference: e.target.value })}
          spellCheck={false}
        />
      </label>
    </section>
  );
}
