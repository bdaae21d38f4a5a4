/**
 * npm run predict -- --model <built-in id or folder> [--device cpu] [--dtype fp32|q8|fp16] [--beams N] <image or folder>...
 *
 * Prints one JSON object per image and line: {"file","latex","ms"} where ms is the
 * recognition time of that image alone (the model is loaded first). With --beams N
 * (beam width, src/model/beam.ts) the line also has "beams", the width used, and "note"
 * when the model cannot be beam-searched and was decoded greedily. A file that
 * fails prints {"file","error"} and the rest still run; the exit code is 1 if any failed.
 */
import { beamsFlag, openModel, readImage, expandInputs, parseArgs, tjs } from './common.ts';
import { recognize } from '../src/model/engine.ts';
import { MAX_BEAMS, MIN_BEAMS } from '../src/model/beam.ts';
import type { Device, Dtype } from '../src/worker-api/ocr.ts';

async function main() {
  const { flags, positional } = parseArgs(process.argv.slice(2));
  const usage = `usage: npm run predict -- --model <id|folder> [--device cpu] [--dtype fp32|q8|fp16] [--beams ${MIN_BEAMS}-${MAX_BEAMS}] <image or folder>...`;
  if (!flags.model || positional.length === 0) {
    console.error(usage);
    process.exit(2);
  }
  const numBeams = beamsFlag(flags.beams, usage);
  const model = await openModel(String(flags.model), (flags.device as Device) ?? 'cpu', flags.dtype as Dtype | undefined);
  let failed = 0;
  for (const file of expandInputs(positional)) {
    try {
      const image = await readImage(file);
      const p = await recognize(tjs, model, image, { numBeams });
      const beams = flags.beams !== undefined ? { beams: p.decoding?.numBeams, ...(p.decoding?.fellBackReason ? { note: p.decoding.fellBackReason } : {}) } : {};
      console.log(JSON.stringify({ file, latex: p.latex, ms: Math.round(p.ms * 10) / 10, ...beams }));
    } catch (e) {
      failed++;
      console.log(JSON.stringify({ file, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
