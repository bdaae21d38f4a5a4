import type { LoadProgress } from '../worker-api/ocr.ts';

function mb(n: number) {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** Model download progress: files done / files, and bytes. */
export function LoadProgressBar({ progress }: { progress?: Record<string, LoadProgress> }) {
  const files = Object.values(progress ?? {});
  const loaded = files.reduce((s, f) => s + (f.loaded ?? 0), 0);
  const total = files.reduce((s, f) => s + (f.total ?? 0), 0);
  const done = files.filter((f) => f.status === 'done').length;
  return (
    <div className="progress">
      <progress aria-label="Loading model" max={total || 1} value={total ? loaded : 0} />
      <span>
        {done}/{files.length} files{total ? `, ${mb(loaded)} of ${mb(total)}` : ''}
      </span>
    </div>
  );
}
