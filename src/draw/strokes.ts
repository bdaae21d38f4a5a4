/**
 * A drawing as data: strokes of points with pen pressure, outlined by perfect-freehand
 * and filled black on white. Everything here runs in a page or a worker (OffscreenCanvas
 * and Path2D only, no DOM), so research mode can re-rasterise a drawing at other stroke
 * widths off the main thread.
 */
import { getStroke, type StrokeOptions } from 'perfect-freehand';
import type { Raster } from '../image/raster.ts';

export interface StrokePoint {
  x: number;
  y: number;
  /** 0..1; mice report 0.5 (perfect-freehand then simulates pressure from speed). */
  pressure: number;
}

export interface Stroke {
  points: StrokePoint[];
  /** Base stroke width in pixels. */
  width: number;
  /** True when pressure came from a pen (not simulated). */
  realPressure?: boolean;
}

/** The drawing's coordinate space (strokes are stored in it, whatever size the canvas is shown at). */
export const DRAW_WIDTH = 800;
export const DRAW_HEIGHT = 300;
export const DEFAULT_STROKE_WIDTH = 6;
/**
 * The drawing is recognised this long after the last stroke ends (none started since): long
 * enough for the pause between the strokes of one symbol (the two of an "x", a fraction's bar
 * and the digit under it), so the panes read the drawing, not each half-drawn stage of it.
 */
export const RECOGNISE_AFTER_MS = 600;
export const MIN_STROKE_WIDTH = 1;
export const MAX_STROKE_WIDTH = 24;

/**
 * perfect-freehand settings. thinning 0.5: pressure changes the width by up to ±50%,
 * enough to look like ink without making fast mouse strokes vanish; smoothing and
 * streamline 0.5 take the jitter out of mouse and finger input without rounding off
 * corners (a "2" must keep its angle); capped ends keep short strokes (dots, the bar
 * of a minus sign) visible.
 */
export function freehandOptions(stroke: Stroke, width = stroke.width): StrokeOptions {
  return {
    size: width,
    thinning: 0.5,
    smoothing: 0.5,
    streamline: 0.5,
    simulatePressure: !stroke.realPressure,
    start: { cap: true, taper: 0 },
    end: { cap: true, taper: 0 },
    last: true,
  };
}

/** Pressure to store for a pointer event: pens report it; mice and most touch screens do not. */
export function pointerPressure(pointerType: string, pressure: number): { pressure: number; real: boolean } {
  if (pointerType === 'pen' && pressure > 0) return { pressure: Math.min(1, pressure), real: true };
  return { pressure: 0.5, real: false };
}

/** The outline polygon of a stroke (perfect-freehand), optionally at another base width. */
export function strokeOutline(stroke: Stroke, widthOverride?: number): [number, number][] {
  if (stroke.points.length === 0) return [];
  const pts = stroke.points.map((p) => [p.x, p.y, p.pressure]);
  return getStroke(pts, freehandOptions(stroke, widthOverride ?? stroke.width)) as [number, number][];
}

/** An outline as an SVG path (quadratic curves through edge midpoints: smooth, and what Path2D takes). */
export function outlineToSvgPath(outline: [number, number][]): string {
  const n = outline.length;
  if (n < 3) return '';
  const f = (v: number) => Number(v.toFixed(2));
  const mid = (a: [number, number], b: [number, number]) => `${f((a[0] + b[0]) / 2)},${f((a[1] + b[1]) / 2)}`;
  let d = `M${mid(outline[n - 1], outline[0])}`;
  for (let i = 0; i < n; i++) {
    const p = outline[i];
    d += ` Q${f(p[0])},${f(p[1])} ${mid(p, outline[(i + 1) % n])}`;
  }
  return `${d} Z`;
}

/** Bounding box of the drawn ink (outlines, so stroke width counts), or null when empty. */
export function strokesBounds(strokes: readonly Stroke[], widthOverride?: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const s of strokes) {
    for (const [x, y] of strokeOutline(s, widthOverride)) {
      if (x < x0) x0 = x;
      if (y < y0) y0 = y;
      if (x > x1) x1 = x;
      if (y > y1) y1 = y;
    }
  }
  return x1 >= x0 ? { x0, y0, x1, y1 } : null;
}

/** The parts of a 2D context this module uses (page canvas or OffscreenCanvas). */
interface FillContext {
  fillStyle: string | CanvasGradient | CanvasPattern;
  fill(path: Path2D, fillRule?: CanvasFillRule): void;
}

const pathCache = new WeakMap<Stroke, { width: number; path: Path2D }>();

/** The stroke's outline as a Path2D (cached per stroke and width). */
export function strokePath(stroke: Stroke, widthOverride?: number): Path2D {
  const width = widthOverride ?? stroke.width;
  const hit = pathCache.get(stroke);
  if (hit && hit.width === width) return hit.path;
  const path = new Path2D(outlineToSvgPath(strokeOutline(stroke, width)));
  pathCache.set(stroke, { width, path });
  return path;
}

/** Fill the strokes onto a context (non-zero rule: self-overlapping outlines stay solid). */
export function drawStrokes(ctx: FillContext, strokes: readonly Stroke[], widthOverride?: number, colour = '#000000'): void {
  ctx.fillStyle = colour;
  for (const s of strokes) ctx.fill(strokePath(s, widthOverride), 'nonzero');
}

/**
 * Rasterise strokes black on white into a width × height Raster (the drawing's
 * coordinate space is DRAW_WIDTH × DRAW_HEIGHT; other sizes scale it).
 * `strokeWidthOverride` redraws every stroke at that base width.
 */
export function rasteriseStrokes(strokes: readonly Stroke[], width: number, height: number, strokeWidthOverride?: number): Raster {
  if (typeof OffscreenCanvas === 'undefined') throw new Error('rasteriseStrokes needs OffscreenCanvas (a browser page or worker)');
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D context for the drawing');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.setTransform(width / DRAW_WIDTH, 0, 0, height / DRAW_HEIGHT, 0, 0);
  drawStrokes(ctx, strokes, strokeWidthOverride);
  const img = ctx.getImageData(0, 0, width, height);
  return { width, height, data: img.data };
}

// ---------------------------------------------------------------- undo history

export interface DrawHistory {
  past: Stroke[][];
  present: Stroke[];
  future: Stroke[][];
}

export type DrawAction = { type: 'add'; stroke: Stroke } | { type: 'undo' } | { type: 'redo' } | { type: 'clear' } | { type: 'reset'; strokes: Stroke[] };

/** Undo steps kept (each is an array of references: cheap). */
export const HISTORY_LIMIT = 200;

export function initHistory(strokes: Stroke[] = []): DrawHistory {
  return { past: [], present: strokes, future: [] };
}

/** Undo/redo over whole-drawing snapshots: add a stroke, clear (undoable), undo, redo. */
export function drawReducer(h: DrawHistory, a: DrawAction): DrawHistory {
  const push = (next: Stroke[]): DrawHistory => ({ past: [...h.past, h.present].slice(-HISTORY_LIMIT), present: next, future: [] });
  switch (a.type) {
    case 'add':
      return a.stroke.points.length ? push([...h.present, a.stroke]) : h;
    case 'clear':
      return h.present.length ? push([]) : h;
    case 'undo':
      if (!h.past.length) return h;
      return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [h.present, ...h.future] };
    case 'redo':
      if (!h.future.length) return h;
      return { past: [...h.past, h.present], present: h.future[0], future: h.future.slice(1) };
    case 'reset':
      return initHistory(a.strokes);
  }
}
