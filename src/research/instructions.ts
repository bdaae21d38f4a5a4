/**
 * Sweeping the instruction (vision-language models, issue 13): the same image, one wording
 * at a time, like any other sweep variable (src/perturb/variables.ts 'instruction'). The
 * wordings are typed one per line; each step's value is its line's index, and the step carries
 * the wording itself (src/research/sweep.ts planSweep). Offered only when every swept model is
 * a VLM: an image-to-text model takes no instruction.
 */
import type { ModelEntry } from '../app/state.ts';
import { DEFAULT_INSTRUCTION, MAX_INSTRUCTION_CHARS, MAX_SWEEP_INSTRUCTIONS } from '../schema/limits.ts';

/** The wordings offered until the visitor types their own: the default one and two rephrasings. */
export const DEFAULT_SWEEP_INSTRUCTIONS = [DEFAULT_INSTRUCTION, 'Write the formula in this image in LaTeX.', 'Transcribe the equation.'].join('\n');

/** The longest list text kept (a permalink's, the field's): every wording at its limit, one line each. */
export const MAX_INSTRUCTION_LIST_CHARS = MAX_SWEEP_INSTRUCTIONS * (MAX_INSTRUCTION_CHARS + 1);

/** The sweep variable's id. */
export const INSTRUCTION_VARIABLE = 'instruction';

/** The wordings of a list typed one per line (blank lines skipped, surrounding spaces kept out), and what is wrong with it, if anything. */
export function parseInstructionList(text: string): { instructions: string[]; problem: string | null } {
  const instructions = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const problem = !instructions.length
    ? 'Give at least one instruction (one per line).'
    : instructions.length > MAX_SWEEP_INSTRUCTIONS
      ? `At most ${MAX_SWEEP_INSTRUCTIONS} instructions (one per line); there are ${instructions.length}.`
      : instructions.some((i) => i.length > MAX_INSTRUCTION_CHARS)
        ? `An instruction may be at most ${MAX_INSTRUCTION_CHARS} characters.`
        : null;
  return { instructions, problem };
}

/** Whether the instruction can be swept with these models: at least one, and every one a vision-language model. */
export function canSweepInstruction(models: readonly (ModelEntry | undefined)[]): boolean {
  return models.length > 0 && models.every((m) => !!m?.vlm);
}
