/**
 * npm run predict -- --model <built-in id or folder> [--device cpu|webgpu] [--dtype fp32|q8|fp16] [--beams N] [--instruction "…"] <image or folder>...
 *
 * Prints one JSON object per image and line: {"file","latex","ms"} where ms is the
 * recognition time of that image alone (the model is loaded first). With --beams N
 * (beam width, src/model/beam.ts) the line also has "beams", the width used, and "note"
 * when the model cannot be beam-searched and was decoded greedily. A file that
 * fails prints {"file","error"} and the rest still run; the exit code is 1 if any failed.
 * A wrong command line (unknown option, bad value, unknown model, a folder without images)
 * exits 2 with why and the usage, before the model is loaded. Images are scaled down as the
 * app scales them (cli/common.ts readImage).
 *
 * A vision-language model folder (src/model/vlm.ts; its config.json says so) is prompted with
 * --instruction (default: its config.json's latex_ocr_instruction, else "Convert this image to
 * LaTeX notation."), and each line also has "raw" (the answer as generated, from which "latex"
 * was extracted), "instruction" and "repairs" (what the extraction changed). --instruction with
 * an image-to-text model is a usage error: it takes no instruction.
 */
import { beamsFlag, cliArgs, deviceFlag, dtypeFlag, expandInputs, isVlmModel, openPredictor, readImage, resolveModel, usageError } from './common.ts';
import { MAX_BEAMS, MIN_BEAMS } from '../src/model/beam.ts';
import { checkInstruction } from '../src/model/vlm.ts';

const USAGE = `usage: npm run predict -- --model <id|folder> [--device cpu|webgpu] [--dtype fp32|q8|fp16] [--beams ${MIN_BEAMS}-${MAX_BEAMS}] [--instruction "…" (vision-language models)] <image or folder>...`;

async function main() {
  const { values: flags, positionals } = cliArgs(USAGE, {
    model: { type: 'string' },
    device: { type: 'string' },
    dtype: { type: 'string' },
    beams: { type: 'string' },
    instruction: { type: 'string' },
  });
  if (!flags.model || positionals.length === 0) usageError(!flags.model ? '--model is required' : 'no image or folder given', USAGE);
  const device = deviceFlag(flags.device, USAGE);
  const dtype = dtypeFlag(flags.dtype, USAGE);
  const numBeams = beamsFlag(flags.beams, USAGE);
  // everything the command line names is checked before the model loads
  let files: string[];
  let vlm: boolean;
  try {
    resolveModel(flags.model);
    vlm = isVlmModel(flags.model);
    if (flags.instruction !== undefined) {
      if (!vlm) throw new Error(`--instruction: "${flags.model}" is an image-to-text model, which takes no instruction`);
      checkInstruction(flags.instruction, '--instruction');
    }
    files = expandInputs(positionals);
  } catch (e) {
    return usageError(e instanceof Error ? e.message : String(e), USAGE);
  }
  const model = await openPredictor(flags.model, device, dtype);
  let failed = 0;
  for (const file of files) {
    try {
      const image = await readImage(file);
      const p = await model.recognize(image, { numBeams, instruction: flags.instruction });
      const beams = flags.beams !== undefined ? { beams: p.decoding?.numBeams, ...(p.decoding?.fellBackReason ? { note: p.decoding.fellBackReason } : {}) } : {};
      const answer = vlm ? { raw: p.raw, instruction: p.instruction, repairs: p.repairs } : {};
      console.log(JSON.stringify({ file, latex: p.latex, ...answer, ms: Math.round(p.ms * 10) / 10, ...beams }));
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
