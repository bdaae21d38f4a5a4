import { describe, expect, it } from 'vitest';
import { partOf } from '../../cli/js-size.ts';

describe('partOf (npm run bench: what the JavaScript is made of)', () => {
  it('names the npm package, scoped or not, also nested ones', () => {
    expect(partOf('../../node_modules/@huggingface/transformers/dist/transformers.web.js')).toBe('@huggingface/transformers');
    expect(partOf('../../node_modules/react-dom/cjs/react-dom-client.production.js')).toBe('react-dom');
    expect(partOf('../../node_modules/a/node_modules/b/index.js')).toBe('b');
  });
  it("names the app's folders", () => {
    expect(partOf('../../src/research/SweepChart.tsx')).toBe('src/research');
    expect(partOf('../../src/main.tsx')).toBe('src/main');
    expect(partOf('../../workers/ocr.worker.ts')).toBe('workers');
    expect(partOf('\0vite/preload-helper')).toBe('other');
  });
});
