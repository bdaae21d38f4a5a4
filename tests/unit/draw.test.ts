import { describe, expect, it } from 'vitest';
import {
  HISTORY_LIMIT,
  drawReducer,
  initHistory,
  outlineToSvgPath,
  pointerPressure,
  strokeOutline,
  strokesBounds,
  type Stroke,
} from '../../src/draw/strokes.ts';

const line = (x0: number, y0: number, x1: number, y1: number, width = 6, n = 20): Stroke => ({
  width,
  points: Array.from({ length: n }, (_, i) => ({ x: x0 + ((x1 - x0) * i) / (n - 1), y: y0 + ((y1 - y0) * i) / (n - 1), pressure: 0.5 })),
});

describe('stroke outlines', () => {
  it('outline a horizontal line with a band about the stroke width', () => {
    const b = strokesBounds([line(100, 50, 300, 50, 10)])!;
    expect(b.x0).toBeLessThan(100);
    expect(b.x1).toBeGreaterThan(300);
    const thick = b.y1 - b.y0;
    expect(thick).toBeGreaterThan(4);
    expect(thick).toBeLessThan(14);
  });

  it('a width override changes the drawn width (research mode re-rasterises at other widths)', () => {
    const s = line(100, 50, 300, 50, 6);
    const thin = strokesBounds([s], 2)!;
    const fat = strokesBounds([s], 20)!;
    expect(fat.y1 - fat.y0).toBeGreaterThan(3 * (thin.y1 - thin.y0));
    expect(s.width).toBe(6); // the stroke itself is untouched
  });

  it('a single point (a dot) still has an outline; no strokes have no bounds', () => {
    const dot: Stroke = { width: 8, points: [{ x: 40, y: 40, pressure: 0.5 }] };
    expect(strokeOutline(dot).length).toBeGreaterThan(3);
    expect(strokesBounds([])).toBeNull();
    expect(strokeOutline({ width: 5, points: [] })).toEqual([]);
  });

  it('real pen pressure changes the width; simulated pressure ignores the stored value', () => {
    const light: Stroke = { ...line(0, 50, 200, 50, 10), realPressure: true };
    light.points.forEach((p) => (p.pressure = 0.1));
    const heavy: Stroke = { ...line(0, 50, 200, 50, 10), realPressure: true };
    heavy.points.forEach((p) => (p.pressure = 1));
    const h = (s: Stroke) => {
      const b = strokesBounds([s])!;
      return b.y1 - b.y0;
    };
    expect(h(heavy)).toBeGreaterThan(h(light) * 1.5);
  });

  it('makes a closed SVG path of quadratic curves (what Path2D takes)', () => {
    const d = outlineToSvgPath(strokeOutline(line(10, 10, 60, 30)));
    expect(d).toMatch(/^M[\d.-]+,[\d.-]+( Q[\d.-]+,[\d.-]+ [\d.-]+,[\d.-]+)+ Z$/);
    expect(outlineToSvgPath([[1, 2]])).toBe('');
  });

  it('pointer pressure: pens report it, mice and touch get a simulated 0.5', () => {
    expect(pointerPressure('pen', 0.8)).toEqual({ pressure: 0.8, real: true });
    expect(pointerPressure('pen', 0)).toEqual({ pressure: 0.5, real: false });
    expect(pointerPressure('mouse', 0.5)).toEqual({ pressure: 0.5, real: false });
    expect(pointerPressure('touch', 1)).toEqual({ pressure: 0.5, real: false });
  });
});

describe('undo history', () => {
  const a = line(0, 0, 10, 10);
  const b = line(10, 10, 20, 0);
  const c = line(0, 20, 20, 20);

  it('adds, undoes and redoes strokes; a new stroke drops the redo branch', () => {
    let h = initHistory();
    h = drawReducer(h, { type: 'add', stroke: a });
    h = drawReducer(h, { type: 'add', stroke: b });
    expect(h.present).toEqual([a, b]);
    h = drawReducer(h, { type: 'undo' });
    expect(h.present).toEqual([a]);
    h = drawReducer(h, { type: 'redo' });
    expect(h.present).toEqual([a, b]);
    h = drawReducer(h, { type: 'undo' });
    h = drawReducer(h, { type: 'add', stroke: c });
    expect(h.present).toEqual([a, c]);
    expect(h.future).toEqual([]);
    expect(drawReducer(h, { type: 'redo' })).toBe(h);
  });

  it('clear is undoable; clearing nothing and empty strokes change nothing', () => {
    let h = drawReducer(drawReducer(initHistory(), { type: 'add', stroke: a }), { type: 'add', stroke: b });
    h = drawReducer(h, { type: 'clear' });
    expect(h.present).toEqual([]);
    expect(drawReducer(h, { type: 'clear' })).toBe(h);
    expect(drawReducer(h, { type: 'add', stroke: { width: 4, points: [] } })).toBe(h);
    h = drawReducer(h, { type: 'undo' });
    expect(h.present).toEqual([a, b]);
    expect(drawReducer(initHistory(), { type: 'undo' }).present).toEqual([]);
  });

  it('keeps at most HISTORY_LIMIT undo steps; reset starts a new history', () => {
    let h = initHistory();
    for (let i = 0; i < HISTORY_LIMIT + 20; i++) h = drawReducer(h, { type: 'add', stroke: line(i, 0, i + 1, 1) });
    expect(h.past.length).toBe(HISTORY_LIMIT);
    expect(h.present.length).toBe(HISTORY_LIMIT + 20);
    const r = drawReducer(h, { type: 'reset', strokes: [a] });
    expect(r).toEqual({ past: [], present: [a], future: [] });
  });
});
