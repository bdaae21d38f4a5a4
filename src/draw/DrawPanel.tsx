/**
 * Drawing an equation: mouse, touch and pen through Pointer Events, strokes smoothed
 * by perfect-freehand. The strokes are the data (undo/redo history here, the current
 * strokes in the app's input), in the drawing's own coordinates (DRAW_WIDTH × DRAW_HEIGHT):
 * the canvas is shown as wide as its place allows (on a desktop a column wider than a
 * pane, see styles.css) at that aspect ratio, and redrawn at the screen's resolution whenever its
 * size changes, so a resize never loses or distorts a stroke. A short moment after the
 * last stroke (none in progress), the input Raster is re-rasterised from them and the
 * panes recognise the drawing.
 */
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { useApp } from '../app/context.tsx';
import { newInputId } from '../input/useImageInput.ts';
import {
  DEFAULT_STROKE_WIDTH,
  DRAW_HEIGHT,
  DRAW_WIDTH,
  MAX_STROKE_WIDTH,
  MIN_STROKE_WIDTH,
  RECOGNISE_AFTER_MS,
  drawReducer,
  drawStrokes,
  initHistory,
  pointerPressure,
  rasteriseStrokes,
  type Stroke,
} from './strokes.ts';

/** The canvas's backing store: its CSS size at the screen's density (capped: 3× is sharp on any phone). */
function backingSize(c: HTMLCanvasElement): { width: number; height: number } {
  const dpr = Math.min(3, Math.max(1, window.devicePixelRatio || 1));
  return { width: Math.max(1, Math.round(c.clientWidth * dpr)), height: Math.max(1, Math.round(c.clientHeight * dpr)) };
}

function isTextField(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function DrawPanel() {
  const { state, dispatch } = useApp();
  const initial = state.input?.origin === 'drawing' ? (state.input.strokes ?? []) : [];
  const [hist, act] = useReducer(drawReducer, initial, initHistory);
  const [width, setWidth] = useState(() => initial[initial.length - 1]?.width ?? DEFAULT_STROKE_WIDTH);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const current = useRef<{ pointerId: number; stroke: Stroke } | null>(null);
  /** A stroke is in progress: recognition waits for it. */
  const [penDown, setPenDown] = useState(false);
  const frame = useRef(0);
  /** The strokes last sent to the app (so mounting with the input's own strokes sends nothing). */
  const sent = useRef<Stroke[]>(initial);
  const inputIsDrawing = state.input?.origin === 'drawing';

  /** The committed strokes, read by redraw: a frame scheduled before a commit must not draw stale strokes. */
  const present = useRef(hist.present);

  const redraw = useCallback(() => {
    cancelAnimationFrame(frame.current);
    frame.current = 0;
    const c = canvasRef.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, c.width, c.height);
    // drawing coordinates to backing-store pixels (the same aspect ratio, so one scale)
    ctx.setTransform(c.width / DRAW_WIDTH, 0, 0, c.height / DRAW_HEIGHT, 0, 0);
    drawStrokes(ctx, present.current);
    // a copy: the stroke in progress grows in place, and outlines are cached per stroke object
    if (current.current) drawStrokes(ctx, [{ ...current.current.stroke }]);
  }, []);

  const scheduleRedraw = useCallback(() => {
    if (!frame.current) frame.current = requestAnimationFrame(redraw);
  }, [redraw]);

  // the backing store follows the canvas's shown size (window resized, phone turned, the
  // layout changed): resized, then redrawn from the strokes (resizing a canvas clears it)
  useLayoutEffect(() => {
    const c = canvasRef.current;
    if (!c) return;
    const fit = () => {
      const { width, height } = backingSize(c);
      if (c.width === width && c.height === height) return;
      c.width = width;
      c.height = height;
      redraw();
    };
    fit();
    const observer = new ResizeObserver(fit);
    observer.observe(c);
    return () => observer.disconnect();
  }, [redraw]);
  // draw whenever the committed strokes change
  useLayoutEffect(() => {
    present.current = hist.present;
    redraw();
  }, [hist.present, redraw]);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  // a drawing that arrived from elsewhere (history, a permalink) replaces the one being edited
  const inputStrokes = state.input?.origin === 'drawing' ? state.input.strokes : undefined;
  useEffect(() => {
    if (!inputStrokes || inputStrokes === sent.current) return;
    sent.current = inputStrokes;
    act({ type: 'reset', strokes: inputStrokes });
  }, [inputStrokes]);

  // the strokes changed and no stroke is in progress: after a moment, rasterise and make
  // the drawing the input (a new stroke started meanwhile cancels the wait)
  useEffect(() => {
    const strokes = hist.present;
    if (strokes === sent.current || penDown) return;
    const t = setTimeout(() => {
      sent.current = strokes;
      if (!strokes.length) {
        if (inputIsDrawing) dispatch({ type: 'setInput', input: null });
        return;
      }
      try {
        const raster = rasteriseStrokes(strokes, DRAW_WIDTH, DRAW_HEIGHT);
        dispatch({ type: 'setInput', input: { id: newInputId('drawing'), name: 'drawing', origin: 'drawing', raster, strokes } });
      } catch (e) {
        dispatch({ type: 'alert', message: `Could not rasterise the drawing: ${e instanceof Error ? e.message : e}` });
      }
    }, RECOGNISE_AFTER_MS);
    return () => clearTimeout(t);
  }, [hist.present, penDown, inputIsDrawing, dispatch]);

  // Ctrl/Cmd+Z undo; Ctrl/Cmd+Shift+Z and Ctrl+Y redo (not while typing in a field)
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || isTextField(e.target)) return;
      const k = e.key.toLowerCase();
      if (k === 'z') {
        e.preventDefault();
        act({ type: e.shiftKey ? 'redo' : 'undo' });
      } else if (k === 'y' && !e.shiftKey) {
        e.preventDefault();
        act({ type: 'redo' });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  /** The drawing area on screen: the canvas's content box (its border is not drawing space). */
  const area = (c: HTMLCanvasElement) => {
    const r = c.getBoundingClientRect();
    return { left: r.left + c.clientLeft, top: r.top + c.clientTop, width: c.clientWidth || 1, height: c.clientHeight || 1 };
  };

  const toPoint = (e: PointerEvent, rect: ReturnType<typeof area>) => {
    const { pressure } = pointerPressure(e.pointerType, e.pressure);
    return {
      x: ((e.clientX - rect.left) / rect.width) * DRAW_WIDTH,
      y: ((e.clientY - rect.top) / rect.height) * DRAW_HEIGHT,
      pressure,
    };
  };

  const onPointerDown = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    if (current.current || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    const rect = area(e.currentTarget);
    const real = pointerPressure(e.pointerType, e.pressure).real;
    current.current = { pointerId: e.pointerId, stroke: { points: [toPoint(e.nativeEvent, rect)], width, realPressure: real || undefined } };
    setPenDown(true);
    scheduleRedraw();
  };

  const onPointerMove = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const cur = current.current;
    if (!cur || cur.pointerId !== e.pointerId) return;
    const rect = area(e.currentTarget);
    // coalesced events: the points the browser merged into this one (smooth fast strokes)
    const events = e.nativeEvent.getCoalescedEvents?.() ?? [];
    for (const ev of events.length ? events : [e.nativeEvent]) {
      const p = toPoint(ev, rect);
      const last = cur.stroke.points[cur.stroke.points.length - 1];
      if (Math.hypot(p.x - last.x, p.y - last.y) >= 0.5) cur.stroke.points.push(p);
    }
    scheduleRedraw();
  };

  const finish = (e: ReactPointerEvent<HTMLCanvasElement>, keep: boolean) => {
    const cur = current.current;
    if (!cur || cur.pointerId !== e.pointerId) return;
    current.current = null;
    if (keep) act({ type: 'add', stroke: cur.stroke });
    setPenDown(false);
    scheduleRedraw();
  };

  const empty = hist.present.length === 0;
  return (
    <div className="draw-panel">
      <canvas
        ref={canvasRef}
        className="draw-canvas"
        role="img"
        aria-label="Drawing canvas"
        aria-describedby="draw-help"
        tabIndex={0}
        // the drawing's aspect ratio, and at most one CSS pixel per drawing unit
        style={{ aspectRatio: `${DRAW_WIDTH} / ${DRAW_HEIGHT}`, maxWidth: DRAW_WIDTH }}
        // a long press (touch) or a pen's barrel button would open the context menu mid-stroke
        onContextMenu={(e) => e.preventDefault()}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={(e) => finish(e, true)}
        onPointerCancel={(e) => finish(e, false)}
        onLostPointerCapture={(e) => finish(e, true)}
      />
      <p id="draw-help" className="hint">
        Draw with a mouse, pen or finger; it is recognised a moment after your last stroke. {hist.present.length} stroke{hist.present.length === 1 ? '' : 's'}.
        Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo. Without a pointer, upload, paste or drop a picture of the equation instead.
      </p>
      <div className="draw-tools">
        <button type="button" onClick={() => act({ type: 'undo' })} disabled={!hist.past.length}>
          Undo
        </button>
        <button type="button" onClick={() => act({ type: 'redo' })} disabled={!hist.future.length}>
          Redo
        </button>
        <button type="button" onClick={() => act({ type: 'clear' })} disabled={empty}>
          Clear
        </button>
        <label className="draw-width">
          <span>
            Stroke width <output aria-hidden="true">{width} px</output>
          </span>
          <input
            type="range"
            aria-label="Stroke width"
            aria-valuetext={`${width} px`}
            min={MIN_STROKE_WIDTH}
            max={MAX_STROKE_WIDTH}
            step={1}
            value={width}
            onChange={(e) => setWidth(Number(e.target.value))}
          />
        </label>
      </div>
    </div>
  );
}
