/** A drawing: strokes of points with pen pressure, in canvas pixels. */
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
  /** True when pressure came from a pen or touch (not simulated). */
  realPressure?: boolean;
}
