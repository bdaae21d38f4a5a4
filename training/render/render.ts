/**
 * Batch renderer: LaTeX -> tight greyscale crops, in headless Chromium.
 *
 * Many formulas are laid out on one page, the page is screenshotted once and
 * each formula is cropped by its bounding box (~150 formulas/s, against ~15/s
 * for one screenshot per formula). Renderers:
 *   katex          KaTeX, the renderer the app uses to show predictions
 *   mathjax-newcm  MathJax 4 SVG output, New Computer Modern font
 *   mathjax-stix2  MathJax 4 SVG output, STIX Two font (Times-like: font diversity)
 *   katex-hand     KaTeX layout with letters, digits and operators in a handwriting font
 *                  (job.font, one of HAND_FONTS; glyphs it lacks fall back to KaTeX's own):
 *                  handwriting-like images of any formula, not only CROHME's 8.8k
 *
 * Output is a "pack": images.bin (raw 8-bit grey pixels, concatenated) and
 * index.jsonl ({id, latex, renderer, w, h, offset, ...job fields}). Python reads
 * it with numpy.memmap; nothing is written per image.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../data/paths.ts';

export type Renderer = 'katex' | 'mathjax-newcm' | 'mathjax-stix2' | 'katex-hand';
export const RENDERERS: Renderer[] = ['katex', 'mathjax-newcm', 'mathjax-stix2', 'katex-hand'];

/** Handwriting-like fonts from Debian packages (training/setup.sh installs them), by family name.
 * Left out after looking at their renders: capitals-only fonts (fonts-bwht's six, Humor Sans:
 * they draw x as X, so the label would be wrong), femkeklaver and Ecolier (odd + and =), and
 * Rufscript (its x reads as \alpha). */
export const HAND_FONTS = ['Comic Neue', 'Breip', 'DkgHandwriting', 'Klee One', 'Kristi', 'Delphine', 'Steve'];

export interface RenderJob {
  id: string;
  latex: string;
  renderer: Renderer;
  display: boolean;
  fontPx: number;
  [extra: string]: unknown;
}

export interface Crop {
  job: RenderJob;
  w: number;
  h: number;
  pixels: Uint8Array; // grey, row-major
}

const PAGE_WIDTH = 2400;
const PAD = 3; // px kept around the ink box (anti-aliasing)

function pageHtml(renderer: Renderer): string {
  const head =
    renderer === 'katex' || renderer === 'katex-hand'
      ? '<link rel="stylesheet" href="/node_modules/katex/dist/katex.min.css"><script src="/node_modules/katex/dist/katex.min.js"></script>'
      : `<script>window.MathJax = { loader: { paths: { fonts: '/node_modules/@mathjax' } },
           output: { font: '${renderer}', fontCache: 'local', displayOverflow: 'overflow' },
           startup: { typeset: false } };</script>
         <script src="/node_modules/@mathjax/src/bundle/tex-svg.js"></script>`;
  return `<!doctype html><html><head><meta charset="utf-8">${head}
<style>
  html,body{margin:0;background:#fff;color:#000}
  #root{display:flex;flex-wrap:wrap;align-items:flex-start;width:${PAGE_WIDTH}px}
  .item{padding:8px 12px;white-space:nowrap}
  .katex-display{margin:0}
  mjx-container[display="true"]{margin:0 !important}
  .hand .katex,.hand .katex .mathnormal,.hand .katex .mathit,.hand .katex .mathrm,.hand .katex .textrm,
  .hand .katex .mathbf,.hand .katex .boldsymbol{font-family:var(--hand),KaTeX_Main;font-style:normal}
</style></head><body><div id="root"></div></body></html>`;
}

/** Serve the repository's node_modules and the render page on 127.0.0.1. */
export async function startStaticServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const m = u.pathname.match(/^\/page\/([a-z0-9-]+)\.html$/);
    if (m) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(pageHtml(m[1] as Renderer));
      return;
    }
    const file = path.join(ROOT, decodeURIComponent(u.pathname));
    if (!file.startsWith(path.join(ROOT, 'node_modules')) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404);
      res.end();
      return;
    }
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : file.endsWith('.woff2') ? 'font/woff2' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** One page per renderer, reused across batches. */
export class RenderPage {
  private constructor(private page: Page, readonly renderer: Renderer) {}

  static async open(browser: Browser, baseUrl: string, renderer: Renderer): Promise<RenderPage> {
    const page = await browser.newPage({ viewport: { width: PAGE_WIDTH, height: 800 }, deviceScaleFactor: 1 });
    // nothing may leave the machine: the renderers must work from local files
    await page.route('**/*', (route) => (route.request().url().startsWith(baseUrl) ? route.continue() : route.abort()));
    await page.goto(`${baseUrl}/page/${renderer}.html`);
    if (renderer === 'mathjax-newcm' || renderer === 'mathjax-stix2') await page.waitForFunction(() => (window as any).MathJax?.tex2svgPromise);
    return new RenderPage(page, renderer);
  }

  /** Render a batch of jobs (all for this renderer); failed formulas are skipped. */
  async render(jobs: RenderJob[]): Promise<Crop[]> {
    const rects: ({ x: number; y: number; w: number; h: number } | null)[] = await this.page.evaluate(
      async ({ jobs, renderer }) => {
        const root = document.getElementById('root')!;
        root.replaceChildren();
        const targets: (Element | null)[] = [];
        for (const job of jobs) {
          const item = document.createElement('div');
          item.className = 'item';
          item.style.fontSize = `${job.fontPx}px`;
          if (renderer === 'katex-hand') {
            item.classList.add('hand');
            item.style.setProperty('--hand', JSON.stringify(job.font));
          }
          root.appendChild(item);
          try {
            if (renderer === 'katex' || renderer === 'katex-hand') {
              (window as any).katex.render(job.latex, item, { displayMode: job.display, throwOnError: true, strict: false });
              targets.push(item.querySelector('.katex-html'));
            } else {
              const MJ = (window as any).MathJax;
              let node: HTMLElement;
              try {
                node = MJ.tex2svg(job.latex, { display: job.display }); // 5x faster than the promise version
              } catch {
                node = await MJ.tex2svgPromise(job.latex, { display: job.display }); // font data still loading
              }
              if (node.querySelector('[data-mjx-error], merror')) throw new Error('mathjax error');
              item.appendChild(node);
              targets.push(node); // the container: MathJax 4 may split inline math into several <svg>s
            }
          } catch {
            targets.push(null);
          }
        }
        await document.fonts.ready;
        if (renderer.startsWith('mathjax')) await (window as any).MathJax.startup.promise;
        return targets.map((t) => {
          if (!t) return null;
          const r = t.getBoundingClientRect();
          if (r.width < 1 || r.height < 1) return null;
          return { x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height };
        });
      },
      { jobs, renderer: this.renderer },
    );
    const shot = await this.page.screenshot({ fullPage: true, type: 'png' });
    const { data, info } = await sharp(shot).greyscale().raw().toBuffer({ resolveWithObject: true });
    const crops: Crop[] = [];
    rects.forEach((r, i) => {
      if (!r) return;
      const x0 = Math.max(0, Math.floor(r.x) - PAD);
      const y0 = Math.max(0, Math.floor(r.y) - PAD);
      const x1 = Math.min(info.width, Math.ceil(r.x + r.w) + PAD);
      const y1 = Math.min(info.height, Math.ceil(r.y + r.h) + PAD);
      const w = x1 - x0;
      const h = y1 - y0;
      if (w < 4 || h < 4 || r.x + r.w > PAGE_WIDTH) return; // too small, or overflowed the page
      const pixels = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) pixels.set(data.subarray((y0 + y) * info.width + x0, (y0 + y) * info.width + x1), y * w);
      if (!hasInk(pixels)) return;
      crops.push({ job: jobs[i], w, h, pixels });
    });
    return crops;
  }

  close(): Promise<void> {
    return this.page.close();
  }
}

function hasInk(p: Uint8Array): boolean {
  for (let i = 0; i < p.length; i++) if (p[i] < 128) return true;
  return false;
}

/** Appends crops to a pack (images.bin + index.jsonl). */
export class PackWriter {
  private bin: number;
  private index: number;
  private offset = 0;
  count = 0;

  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.bin = fs.openSync(path.join(dir, 'images.bin'), 'w');
    this.index = fs.openSync(path.join(dir, 'index.jsonl'), 'w');
  }

  add(c: Crop): void {
    fs.writeSync(this.bin, c.pixels);
    fs.writeSync(this.index, JSON.stringify({ ...c.job, w: c.w, h: c.h, offset: this.offset }) + '\n');
    this.offset += c.pixels.length;
    this.count++;
  }

  close(): void {
    fs.closeSync(this.bin);
    fs.closeSync(this.index);
  }
}

/** Render all jobs (grouped per renderer, in batches) into a pack directory. */
export async function renderToPack(jobs: RenderJob[], dir: string, opts: { batch?: number; log?: boolean } = {}): Promise<number> {
  const batch = opts.batch ?? 120;
  const server = await startStaticServer();
  const browser = await launchBrowser();
  const writer = new PackWriter(dir);
  const t0 = Date.now();
  try {
    for (const renderer of RENDERERS) {
      const mine = jobs.filter((j) => j.renderer === renderer);
      if (mine.length === 0) continue;
      const page = await RenderPage.open(browser, server.url, renderer);
      for (let i = 0; i < mine.length; i += batch) {
        for (const c of await page.render(mine.slice(i, i + batch))) writer.add(c);
        if (opts.log && (i / batch) % 50 === 0) {
          const s = (Date.now() - t0) / 1000;
          console.log(`${renderer}: ${Math.min(i + batch, mine.length)}/${mine.length}, ${writer.count} crops, ${(writer.count / s).toFixed(0)}/s`);
        }
      }
      await page.close();
    }
  } finally {
    writer.close();
    await browser.close();
    await server.close();
  }
  return writer.count;
}
