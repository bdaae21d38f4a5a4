/**
 * Drawings from outside (a permalink's drawing, a history entry's strokes): bounded
 * counts, finite coordinates near the drawing, pressures in 0..1 and stroke widths
 * within the drawing panel's own limits (src/draw/strokes.ts).
 */
import * as v from 'valibot';
import { MAX_STROKE_WIDTH, MIN_STROKE_WIDTH, type Stroke } from '../draw/strokes.ts';
import { MAX_COORDINATE, MAX_POINTS, MAX_STROKES } from './limits.ts';

const clamp = (lo: number, hi: number) => (x: number) => Math.min(hi, Math.max(lo, x));
const finite = v.pipe(v.number(), v.finite());

export const strokeWidthSchema = v.pipe(finite, v.transform(clamp(MIN_STROKE_WIDTH, MAX_STROKE_WIDTH)));

const pointSchema = v.object({
  x: v.pipe(finite, v.minValue(-MAX_COORDINATE), v.maxValue(MAX_COORDINATE)),
  y: v.pipe(finite, v.minValue(-MAX_COORDINATE), v.maxValue(MAX_COORDINATE)),
  pressure: v.pipe(finite, v.transform(clamp(0, 1))),
});

const strokeSchema = v.pipe(
  v.object({
    points: v.pipe(v.array(pointSchema), v.maxLength(MAX_POINTS)),
    width: strokeWidthSchema,
    realPressure: v.optional(v.boolean()),
  }),
  v.transform((s): Stroke => (s.realPressure ? { points: s.points, width: s.width, realPressure: true } : { points: s.points, width: s.width })),
);

export const strokesSchema = v.pipe(
  v.array(strokeSchema),
  v.maxLength(MAX_STROKES, `a drawing has at most ${MAX_STROKES} strokes`),
  v.check((ss) => ss.reduce((n, s) => n + s.points.length, 0) <= MAX_POINTS, `a drawing has at most ${MAX_POINTS} points`),
);

/** Bounds a decoded drawing: stroke widths clamped, sizes checked; throws with a message. */
export function checkStrokes(strokes: unknown): Stroke[] {
  const r = v.safeParse(strokesSchema, strokes);
  if (!r.success) throw new Error(v.summarize(r.issues));
  return r.output;
}
