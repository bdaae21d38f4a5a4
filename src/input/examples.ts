/**
 * Built-in example equations (files in public/examples/, served at examples/<file>).
 * Plain data, importable anywhere (page, worker, Node tests). Reference LaTeX is in the
 * canonical token form of src/latex/tokens.ts, so scores against it are fair.
 *
 * Printed ones are rendered exactly like the training data: KaTeX in Chromium via
 * training/render/render.ts at 28 px, black on white, with 12/16 px of white added
 * (they are copies of the fixtures written by `npx tsx tests/fixtures/generate.ts`).
 * Handwritten ones are from the CROHME 2014 test set (../shared/data/crohme,
 * converted to 256×256 PNG by M. Jungo, MIT-licensed conversion; CROHME data is for
 * research use), with their ground truth from groundtruth_2014.tsv, normalised.
 */
export type ExampleKind = 'printed' | 'handwritten';

export interface Example {
  id: string;
  title: string;
  /** File name under public/examples/. */
  file: string;
  /** Reference LaTeX, canonical tokens. */
  latex: string;
  kind: ExampleKind;
  /** Where the image comes from (and its licence). */
  source: string;
  /** Set on the one example research mode uses for "a training-style image" / "a handwritten one". */
  preset?: ExampleKind;
}

const RENDERED = 'Rendered with KaTeX by the project’s training renderer (training/render/render.ts), black on white.';
const CROHME = (id: string) => `CROHME 2014 test set, image ${id} (handwritten; research use only; PNG conversion by M. Jungo, MIT).`;

export const EXAMPLES: readonly Example[] = [
  { id: 'pythagoras', title: 'Pythagoras', file: 'pythagoras.png', latex: 'a ^ { 2 } + b ^ { 2 } = c ^ { 2 }', kind: 'printed', source: RENDERED, preset: 'printed' },
  { id: 'fraction', title: 'Fraction', file: 'fraction.png', latex: '\\frac { x + 1 } { y - 2 }', kind: 'printed', source: RENDERED },
  { id: 'sum', title: 'Sum of 1 to n', file: 'sum.png', latex: '\\sum _ { i = 1 } ^ { n } i = \\frac { n ( n + 1 ) } { 2 }', kind: 'printed', source: RENDERED },
  { id: 'integral', title: 'Integral', file: 'integral.png', latex: '\\int _ { 0 } ^ { 1 } x ^ { 2 } d x', kind: 'printed', source: RENDERED },
  {
    id: 'crohme-510_em_107',
    title: 'Square roots (handwritten)',
    file: 'crohme-2014-510_em_107.png',
    latex: '\\sqrt { a b } = \\sqrt { a } \\sqrt { b }',
    kind: 'handwritten',
    source: CROHME('510_em_107'),
    preset: 'handwritten',
  },
  {
    id: 'crohme-RIT_2014_251',
    title: 'Fraction of roots (handwritten)',
    file: 'crohme-2014-RIT_2014_251.png',
    latex: '\\frac { \\sqrt { 6 } + \\sqrt { 2 } } { 4 }',
    kind: 'handwritten',
    source: CROHME('RIT_2014_251'),
  },
];

export function exampleById(id: string): Example | undefined {
  return EXAMPLES.find((e) => e.id === id);
}

/** The example research mode starts from for a kind ("a training-style image", "a handwritten one"). */
export function presetExample(kind: ExampleKind): Example {
  const e = EXAMPLES.find((x) => x.preset === kind);
  if (!e) throw new Error(`no ${kind} preset example`);
  return e;
}
