import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Link,
  bytesPerMs,
  compressible,
  contentTypeOf,
  headersFor,
  kindOf,
  markServiceWorker,
  median,
  medianRun,
  milestonesOf,
  parseHeadersFile,
  pickEncoding,
  requestHeadBytes,
  responseDelayMs,
  tally,
  type Served,
} from '../../cli/bench-cold.ts';

describe('first-visit bench: the network shape (server-side pacing)', () => {
  it('converts Mbit/s to bytes per ms', () => {
    expect(bytesPerMs(20)).toBe(2500); // 20e6 bits/s = 2.5e6 bytes/s
    expect(bytesPerMs(5)).toBe(625);
  });

  it('sends pieces one after another on one shared link, at its rate', () => {
    const link = new Link(bytesPerMs(20));
    expect(link.reserve(25_000, 0)).toBe(10); // 25 kB at 2.5 kB/ms
    expect(link.reserve(25_000, 0)).toBe(20); // queued behind the first
    expect(link.reserve(2_500, 5)).toBe(21); // still behind: the link is busy until 20
    expect(link.reserve(2_500, 100)).toBe(101); // idle link: starts at once
  });

  it('shares the link fairly between responses sending piece by piece', () => {
    // two responses, each books its next piece once the last one is across
    const link = new Link(1);
    const done: Record<string, number> = {};
    const next: { name: string; at: number; left: number }[] = [
      { name: 'a', at: 0, left: 3 },
      { name: 'b', at: 0, left: 3 },
    ];
    while (next.length) {
      next.sort((x, y) => x.at - y.at);
      const r = next.shift()!;
      r.at = link.reserve(10, r.at);
      if (--r.left) next.push(r);
      else done[r.name] = r.at;
    }
    expect(done).toEqual({ a: 50, b: 60 }); // interleaved, not a then b (30, 60)
  });

  it('waits a round trip before each response, two on a new connection, plus the upload', () => {
    const net = { downMbps: 20, upMbps: 5, rttMs: 40 };
    expect(responseDelayMs(net, 0, false)).toBe(40);
    expect(responseDelayMs(net, 0, true)).toBe(80);
    expect(responseDelayMs(net, 625, false)).toBe(41); // 625 bytes at 5 Mbit/s: 1 ms
  });

  it('counts the bytes of a request head', () => {
    // "GET / HTTP/1.1\r\n" (16) + "Host: x\r\n" (9) + "\r\n" (2)
    expect(requestHeadBytes('GET', '/', ['Host', 'x'])).toBe(27);
  });
});

describe('first-visit bench: the static host', () => {
  it('negotiates brotli, then gzip, honouring q=0', () => {
    expect(pickEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(pickEncoding('gzip, deflate')).toBe('gzip');
    expect(pickEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding(undefined)).toBe('identity');
    expect(pickEncoding('identity')).toBe('identity');
  });

  it('compresses text, JS, WASM and models, not images or fonts compressed already', () => {
    for (const f of ['/index.html', '/assets/a.js', '/assets/b.mjs', '/assets/c.css', '/models/index.json', '/assets/ort.wasm', '/models/m/onnx/e.onnx', '/icons/icon.svg', '/manifest.webmanifest'])
      expect(compressible(f), f).toBe(true);
    for (const f of ['/icons/icon-192.png', '/assets/KaTeX_Main-Regular.woff2']) expect(compressible(f), f).toBe(false);
    expect(contentTypeOf('/assets/ort.wasm')).toBe('application/wasm'); // needed for streaming compilation
    expect(contentTypeOf('/assets/x.mjs')).toMatch(/^text\/javascript/); // nosniff: module workers need it
  });

  it("applies the app's _headers as a static host does (cross-origin isolation on every path)", () => {
    const rules = parseHeadersFile(fs.readFileSync('public/_headers', 'utf8'));
    const page = headersFor('/index.html', rules);
    expect(page['Cross-Origin-Opener-Policy']).toBe('same-origin');
    expect(page['Cross-Origin-Embedder-Policy']).toBe('require-corp');
    expect(page['Cross-Origin-Resource-Policy']).toBe('same-origin');
    expect(page['Cache-Control']).toBeUndefined();
    expect(headersFor('/assets/ort-wasm-simd-threaded-x.wasm', rules)['Cache-Control']).toMatch(/immutable/);
    expect(headersFor('/sw.js', rules)['Cache-Control']).toBe('no-cache');
    expect(headersFor('/models/augmented/config.json', rules)['Cache-Control']).toBe('no-cache');
    expect(headersFor('/models/augmented/config.json', rules)['Cross-Origin-Embedder-Policy']).toBe('require-corp');
  });

  it('parses path lines, indented headers and comments; a later rule overrides', () => {
    const rules = parseHeadersFile('# c\n/*\n  A: 1\n  B: x: y\n\n/a.js\n  A: 2\n');
    expect(rules).toEqual([
      { pattern: '/*', headers: [['A', '1'], ['B', 'x: y']] },
      { pattern: '/a.js', headers: [['A', '2']] },
    ]);
    expect(headersFor('/a.js', rules)).toEqual({ A: '2', B: 'x: y' });
    expect(headersFor('/a_js', rules)).toEqual({ A: '1', B: 'x: y' }); // "." is literal
  });

  it('sorts files into the breakdown types', () => {
    expect(kindOf('/assets/ort-wasm-simd-threaded-4byDm7i3.wasm')).toBe('wasm');
    expect(kindOf('/models/augmented/onnx/encoder_model_quantized.onnx')).toBe('onnx');
    expect(kindOf('/assets/index-x.js')).toBe('js');
    expect(kindOf('/assets/ort-wasm-simd-threaded-x.mjs')).toBe('js');
    expect(kindOf('/sw.js')).toBe('js');
    expect(kindOf('/assets/index-x.css')).toBe('css');
    expect(kindOf('/models/augmented/tokenizer.json')).toBe('other');
    expect(kindOf('/')).toBe('other');
  });
});

function served(p: Partial<Served> & { path: string }): Served {
  return { kind: kindOf(p.path), requester: 'app', arrived: 0, status: 200, encoding: 'br', rawBytes: 0, bodyBytes: 0, gzipBytes: 0, headerBytes: 0, headersAt: 0, chunks: [], ...p };
}

describe('first-visit bench: bytes up to the first prediction', () => {
  const log = [
    served({ path: '/index.html', headerBytes: 100, headersAt: 10, bodyBytes: 1000, gzipBytes: 1200, chunks: [[20, 1000]] }),
    served({ path: '/a.wasm', headerBytes: 100, headersAt: 30, bodyBytes: 3000, gzipBytes: 6000, chunks: [[40, 1000], [50, 1000], [60, 1000]] }),
    served({ path: '/m.onnx', requester: 'sw', headerBytes: 100, headersAt: 45, bodyBytes: 500, gzipBytes: 500, encoding: 'identity', chunks: [[55, 500]] }),
    served({ path: '/late.css', headerBytes: 100, headersAt: 70, bodyBytes: 10, gzipBytes: 10, chunks: [[71, 10]] }),
    served({ path: '/waiting.js', headersAt: null }), // still waiting out its round trip
  ];

  it('counts headers and the body pieces across by then, by type and by requester', () => {
    const t = tally(log, 50);
    expect(t.requests).toBe(3);
    expect(t.byKind).toEqual({ other: 1100, wasm: 2100, onnx: 100, js: 0, css: 0 });
    expect(t.bytes).toBe(3300);
    expect(t.swBytes).toBe(100);
    // gzip instead: 1000 -> 1200, the 2000 wasm bytes sent of 3000 -> 2/3 of 6000
    expect(t.gzipBytes).toBe(100 + 1200 + 100 + 4000 + 100);
  });

  it('counts everything without a limit', () => {
    const t = tally(log);
    expect(t.requests).toBe(4);
    expect(t.bytes).toBe(1100 + 3100 + 600 + 110);
    expect(t.swBytes).toBe(600);
  });

  it("marks the service worker's requests: the nearest report of the same path, closest pairs first", () => {
    const log2 = [served({ path: '/index.js', arrived: 100 }), served({ path: '/a.wasm', arrived: 900 }), served({ path: '/b.js', arrived: 950 }), served({ path: '/c.js', arrived: 960 })];
    markServiceWorker(log2, [
      { path: '/index.js', at: 102, sw: false }, // the page's; the precache's copy came from the HTTP cache
      { path: '/index.js', at: 1500, sw: true },
      { path: '/a.wasm', at: 880, sw: false }, // the worker asked first ...
      { path: '/a.wasm', at: 905, sw: true }, // ... but the one the server answered is the precache's
      { path: '/b.js', at: 951, sw: true },
      { path: '/zzz', at: 1, sw: true },
    ]);
    expect(log2.map((s) => s.requester)).toEqual(['app', 'sw', 'sw', 'app']);
  });

  it('takes medians, and the median run for the breakdown', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const runs = [{ b: 9 }, { b: 1 }, { b: 5 }];
    expect(medianRun(runs, (r) => r.b)).toBe(runs[2]);
    expect(medianRun([{ b: 2 }, { b: 1 }], (r) => r.b)).toEqual({ b: 1 });
  });

  it('times the chain the first prediction waits on, from navigation start', () => {
    const o = 1000;
    const log3 = [
      served({ path: '/assets/index-Ab_1.js', arrived: o + 100, bodyBytes: 20, chunks: [[o + 150, 10], [o + 200, 10]] }),
      served({ path: '/assets/ocr.worker-x.js', arrived: o + 900, bodyBytes: 5, chunks: [[o + 950, 5]] }),
      served({ path: '/models/m/onnx/encoder_model_quantized.onnx', arrived: o + 1500, bodyBytes: 5, chunks: [[o + 1800, 5]] }),
      served({ path: '/models/m/onnx/decoder_model_merged_quantized.onnx', arrived: o + 1510, bodyBytes: 5, chunks: [[o + 2500, 5]] }),
      served({ path: '/assets/ort-wasm-simd-threaded-Q.wasm', arrived: o + 2600, bodyBytes: 10, chunks: [[o + 3000, 5]] }), // not all of it yet
      served({ path: '/assets/ort-wasm-simd-threaded.jspi-Q.wasm', arrived: o + 10, bodyBytes: 1, chunks: [[o + 20, 1]] }), // another build
    ];
    expect(milestonesOf(log3, o)).toEqual({ entryDone: 200, workerAsked: 900, modelAsked: 1500, modelDone: 2500, wasmAsked: 2600, wasmDone: null });
    expect(milestonesOf([], o)).toEqual({ entryDone: null, workerAsked: null, modelAsked: null, modelDone: null, wasmAsked: null, wasmDone: null });
  });
});

describe('machineLine (the bench says how busy its machine was)', () => {
  it('calls a machine busy from the load as the bench began, not from its own load at the end', async () => {
    const { machineLine } = await import('../../cli/bench-machine.ts');
    const quiet = machineLine({ cpus: 2, node: 'v20', cpu: 'AMD EPYC', chromium: '156.0', loadavg: [0.2, 1.9] });
    expect(quiet).toMatch(/CPU: AMD EPYC; Chromium 156\.0\./);
    expect(quiet).toMatch(/0\.2 as the bench began \(a quiet machine\) and 1\.9 as it ended/);
    const busy = machineLine({ cpus: 2, node: 'v20', loadavg: [2.1, 2.4] });
    expect(busy).toMatch(/\*\*a busy machine\*\*/);
    expect(busy).not.toMatch(/CPU:/);
    expect(machineLine({ cpus: 2, node: 'v20' })).toMatch(/not recorded/);
  });
});

describe('describeCpu (the bench tells apart machines that share a CPU name)', () => {
  const cpu = (family: string, model: string, flags: string) =>
    `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: ${family}\nmodel\t\t: ${model}\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 ${flags}\n\nprocessor\t: 1\nmodel name\t: other\n`;
  it('names the family, model and vector instructions of the first processor', async () => {
    const { describeCpu } = await import('../../cli/bench-machine.ts');
    expect(describeCpu(cpu('23', '1', 'avx avx2 fma'))).toBe('AMD EPYC (x86 family 23 model 1; AVX2, no AVX-512)');
    expect(describeCpu(cpu('26', '2', 'avx2 avx512f avx512_vnni avx512_bf16'))).toBe('AMD EPYC (x86 family 26 model 2; AVX-512, VNNI, bf16)');
    expect(describeCpu(cpu('25', '17', 'avx2 avx512f'))).toBe('AMD EPYC (x86 family 25 model 17; AVX-512, no bf16)');
    expect(describeCpu(cpu('6', '85', 'sse4_2'))).toBe('AMD EPYC (x86 family 6 model 85; no AVX2)');
  });
  it('gives up on text without a model name (not Linux x86), and the bench falls back to the name', async () => {
    const { describeCpu } = await import('../../cli/bench-machine.ts');
    expect(describeCpu('processor : 0\nBogoMIPS : 50.00\n')).toBeNull();
    expect(describeCpu('')).toBeNull();
    expect(describeCpu('model name : Some CPU\n')).toBe('Some CPU');
  });
});
