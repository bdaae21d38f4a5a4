/**
 * What the app's JavaScript is made of: a build with source maps (into .cache/js-size, apart
 * from dist/), each output file's bytes attributed to the npm package or app folder they came
 * from. Used by npm run bench. A part's gzip size is of its bytes gzipped alone, so the parts
 * add up to a little more than the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { SourceMapConsumer } from 'source-map-js';
import { ROOT } from './common.ts';

export interface JsPart {
  name: string;
  bytes: number;
  gzip: number;
}

/** "node_modules/@scope/pkg/..." -> "@scope/pkg"; "src/app/x.ts" -> "src/app". */
export function partOf(source: string): string {
  const nm = source.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = source.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /(?:^|\/)(src|workers)\/([^/]+)/.exec(source);
  if (!m) return 'other';
  return m[1] === 'workers' ? 'workers' : `src/${m[2].replace(/\.[tj]sx?$/, '')}`;
}

/** The app's JavaScript files in a build folder (bundles, lazy chunks, workers, onnxruntime's
 * glue), without the models and the service worker's own files. */
export function jsFilesIn(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of fs.readdirSync(d)) {
      const p = path.join(d, f);
      if (fs.statSync(p).isDirectory()) {
        if (f !== 'models') walk(p);
      } else if (/\.m?js$/.test(f) && !/^(sw|workbox-)/.test(f)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export function jsByPackage(): JsPart[] {
  const out = path.join(ROOT, '.cache', 'js-size');
  execFileSync('npx', ['vite', 'build', '--sourcemap', '--outDir', out, '--emptyOutDir'], { cwd: ROOT, stdio: 'ignore' });
  const text = new Map<string, string[]>();
  const add = (source: string | null, s: string) => {
    const name = source ? partOf(source) : 'other';
    if (!text.has(name)) text.set(name, []);
    text.get(name)!.push(s);
  };
  for (const p of jsFilesIn(out)) {
    if (!fs.existsSync(`${p}.map`)) continue; // onnxruntime's glue (.mjs) is copied as is, without a map
    const lines = fs.readFileSync(p, 'utf8').split('\n');
    const map = new SourceMapConsumer(JSON.parse(fs.readFileSync(`${p}.map`, 'utf8')));
    let last: { line: number; column: number; source: string | null } | null = null;
    // each generated segment runs from its mapping to the next one
    map.eachMapping((m) => {
      if (last) add(last.source, last.line === m.generatedLine ? lines[last.line - 1].slice(last.column, m.generatedColumn) : lines[last.line - 1].slice(last.column));
      last = { line: m.generatedLine, column: m.generatedColumn, source: m.source };
    });
    const tail = last as { line: number; column: number; source: string | null } | null;
    if (tail) add(tail.source, lines[tail.line - 1].slice(tail.column));
  }
  return [...text]
    .map(([name, parts]) => {
      const s = parts.join('');
      return { name, bytes: Buffer.byteLength(s), gzip: zlib.gzipSync(s, { level: 9 }).length };
    })
    .sort((a, b) => b.gzip - a.gzip);
}
