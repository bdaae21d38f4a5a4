/**
 * The sweep ladder as one PNG: a header with the settings, then per model one row
 * per step (value, the image as perturbed, the predicted LaTeX, score, confidence,
 * warnings). Drawn on a canvas with plain text (KaTeX output is HTML and cannot be
 * drawn onto a canvas without a round trip through SVG foreignObject, which taints it).
 */
import type { Raster } from '../image/raster.ts';
import { formatNumber } from './export.ts';
import { percent } from './confidence.ts';
import type { SweepResult } from './sweep.ts';
import { heatmapRaster, percentOrDash } from '../explain/maps.ts';

const W = 1200;
const PAD = 16;
const THUMB_W = 300;
const THUMB_H = 64;
const LINE = 18;
const ROW_H = Math.max(THUMB_H, 3 * LINE) + 14;

/**
 * Where the ladder's columns start: the step image, then (when the sweep has "Where it looks"
 * maps) each step's attention map, then the text.
 */
export function ladderColumns(result: Pick<SweepResult, 'rows'>): { image: number; map: number | null; text: number } {
  const image = PAD + 100;
  const withMaps = result.rows.some((r) => r.stepMap && 'map' in r.stepMap);
  const map = withMaps ? image + THUMB_W + 20 : null;
  return { image, map, text: (map ?? image) + THUMB_W + 20 };
}
const FONT = '13px system-ui, sans-serif';
const MONO = '13px ui-monospace, monospace';

function rasterCanvas(r: Raster): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = r.width;
  c.height = r.height;
  c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(r.data), r.width, r.height), 0, 0);
  return c;
}

/** Cut `text` with an ellipsis so that it fits `width` pixels in the current font. */
function fit(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(text.slice(0, mid) + '…').width <= width) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + '…';
}

export function drawLadder(result: SweepResult, opts: { imageName?: string } = {}): HTMLCanvasElement {
  const { spec } = result;
  const headerH = 3 * LINE + 2 * PAD;
  const sections = spec.models.map((m) => ({ model: m, rows: result.rows.filter((r) => r.model === m.key) }));
  const height = headerH + sections.reduce((h, s) => h + LINE + 14 + s.rows.length * ROW_H, 0) + PAD;
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = Math.max(height, headerH + PAD);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.textBaseline = 'top';

  let y = PAD;
  ctx.fillStyle = '#111827';
  ctx.font = 'bold 16px system-ui, sans-serif';
  ctx.fillText(fit(ctx, `Sweep: ${spec.variable.label}${spec.variable.unit ? ` (${spec.variable.unit})` : ''}, ${formatNumber(spec.from)} → ${formatNumber(spec.to)}, ${spec.steps} steps`, W - 2 * PAD), PAD, y);
  y += LINE + 4;
  ctx.font = FONT;
  ctx.fillStyle = '#4b5563';
  ctx.fillText(fit(ctx, `Image: ${opts.imageName ?? 'input'} · Models: ${spec.models.map((m) => m.label).join(', ')}${result.complete ? '' : ' · cancelled before the end'}`, W - 2 * PAD), PAD, y);
  y += LINE;
  ctx.fillText(fit(ctx, spec.reference.trim() ? `Scored against the reference: ${spec.reference}` : "Scored against each model's step-0 prediction", W - 2 * PAD), PAD, y);
  y += LINE + PAD;

  const cols = ladderColumns(result);
  const TEXT_X = cols.text;
  const thumbs = new Map<number, HTMLCanvasElement>();
  /** Draws a raster scaled into a THUMB_W x THUMB_H box at (x, y), framed. */
  const thumb = (c: HTMLCanvasElement, r: Raster, x: number) => {
    const k = Math.min(THUMB_W / r.width, THUMB_H / r.height, 1);
    const w = Math.max(1, Math.round(r.width * k));
    const h = Math.max(1, Math.round(r.height * k));
    ctx.drawImage(c, x, y, w, h);
    ctx.strokeRect(x + 0.5, y + 0.5, w, h);
  };
  for (const s of sections) {
    ctx.fillStyle = '#1e3a8a';
    ctx.font = 'bold 14px system-ui, sans-serif';
    ctx.fillText(s.model.label, PAD, y);
    y += LINE + 4;
    ctx.strokeStyle = '#d1d5db';
    ctx.beginPath();
    ctx.moveTo(PAD, y);
    ctx.lineTo(W - PAD, y);
    ctx.stroke();
    y += 10;
    for (const r of s.rows) {
      ctx.font = FONT;
      ctx.fillStyle = '#111827';
      ctx.fillText(`#${r.step}`, PAD, y);
      ctx.fillText(fit(ctx, formatNumber(r.value, 4), 90), PAD, y + LINE);
      const img = result.images[r.step];
      if (img) {
        let t = thumbs.get(r.step);
        if (!t) thumbs.set(r.step, (t = rasterCanvas(img)));
        thumb(t, img, cols.image);
      }
      const sm = r.stepMap;
      if (cols.map !== null && sm && 'map' in sm) {
        const heat = heatmapRaster(sm.image, sm.map);
        thumb(rasterCanvas(heat), heat, cols.map);
      }
      const textW = W - TEXT_X - PAD;
      ctx.font = MONO;
      ctx.fillStyle = '#111827';
      ctx.fillText(fit(ctx, r.error ? '(no prediction)' : r.latex || '(empty)', textW), TEXT_X, y);
      ctx.font = FONT;
      ctx.fillStyle = '#374151';
      const conf = r.meanConfidence === null ? 'no tokens' : `mean confidence ${percent(r.meanConfidence)}, min ${percent(r.minConfidence ?? 0)}`;
      const score = r.score === null ? 'no score' : `score ${r.score.toFixed(3)} (NED ${r.ned!.toFixed(3)} vs ${r.basis === 'reference' ? 'reference' : 'step 0'})`;
      const ink = sm && 'map' in sm ? ` · ink share ${percentOrDash(sm.inkShare)}` : '';
      ctx.fillText(fit(ctx, `${score} · ${conf}${ink} · ${r.ms.toFixed(0)} ms`, textW), TEXT_X, y + LINE);
      const warn = r.error ?? [r.repetition ? 'repetition loop' : '', r.truncated ? 'cut at the length limit' : ''].filter(Boolean).join(', ');
      if (warn) {
        ctx.fillStyle = '#b91c1c';
        ctx.fillText(fit(ctx, `⚠ ${warn}`, textW), TEXT_X, y + 2 * LINE);
      }
      y += ROW_H;
    }
    y += 4;
  }
  return canvas;
}

export function ladderPng(result: SweepResult, opts: { imageName?: string } = {}): Promise<Blob> {
  const canvas = drawLadder(result, opts);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The browser could not encode the PNG.'))), 'image/png'));
}
