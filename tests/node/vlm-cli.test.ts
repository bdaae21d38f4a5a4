/**
 * The CLIs with a vision-language model folder (issue 13): `npm run predict -- --model
 * tests/fixtures/tiny-vlm --instruction "…" <image>` prints one JSON line with the extracted
 * LaTeX, the raw answer, the instruction and the repairs; `npm run stress` adds raw and
 * instruction columns; --instruction with an image-to-text model is a usage error. The
 * fixture's weights are random: the answer is gibberish, so only the structure is checked.
 */
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { ROOT } from '../../cli/common.ts';
import { extract } from '../../src/latex/extract.ts';
import { parseCsv } from '../../src/research/export.ts';
import { FIXTURE_DIR } from '../fixtures/generate.ts';

const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const TINY_VLM = path.join('tests', 'fixtures', 'tiny-vlm');
const IMAGE = path.relative(ROOT, path.join(FIXTURE_DIR, 'pythagoras.png'));
const INSTRUCTION = 'Convert this image to LaTeX notation.';

function cli(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [path.join('cli', script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

describe('npm run predict with a vision-language model', () => {
  it('prints latex, raw, instruction and repairs on one JSON line', async () => {
    const r = await cli('predict.ts', ['--model', TINY_VLM, '--instruction', INSTRUCTION, IMAGE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(Object.keys(out)).toEqual(['file', 'latex', 'raw', 'instruction', 'repairs', 'ms']);
    expect(out.file).toBe(IMAGE);
    expect(out.instruction).toBe(INSTRUCTION);
    expect(typeof out.raw).toBe('string');
    expect(out.raw.length).toBeGreaterThan(0);
    // the LaTeX is what the extraction makes of the raw answer, and the repairs say how
    expect({ latex: out.latex, repairs: out.repairs }).toEqual(extract(out.raw));
    expect(out.ms).toBeGreaterThan(0);
  }, 120_000);

  it('refuses --instruction for an image-to-text model, before loading it', async () => {
    const r = await cli('predict.ts', ['--model', 'augmented', '--instruction', INSTRUCTION, IMAGE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--instruction: "augmented" is an image-to-text model, which takes no instruction/);
  });
});

describe('npm run stress with a vision-language model', () => {
  it('adds the raw answer and the instruction to its rows', async () => {
    const r = await cli('stress.ts', ['--model', TINY_VLM, '--vary', 'blur', '--steps', '2', '--instruction', 'Transcribe.', IMAGE]);
    expect(r.code).toBe(0);
    const [header, ...rows] = parseCsv(r.stdout);
    expect(header.slice(-2)).toEqual(['raw', 'instruction']);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const rec = Object.fromEntries(header.map((h, i) => [h, row[i]]));
      expect(rec.instruction).toBe('Transcribe.');
      expect(rec.latex.replace(/^'/, '')).toBe(extract(rec.raw.replace(/^'/, '')).latex);
    }
  }, 120_000);
});
