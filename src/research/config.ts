/**
 * The settings of a research sweep (kept in the app state so a permalink can carry
 * them). Pure data; src/app/state.ts holds one of these.
 */
import type { DeviceChoice } from '../worker-api/ocr.ts';

export interface ResearchConfig {
  /** Id of a sweep variable (src/perturb/variables.ts). */
  variable: string;
  from: number;
  to: number;
  steps: number;
  /** One or two model keys (ModelEntry.key). */
  models: string[];
  device: DeviceChoice;
  /** The instruction variable's wordings, one per line as typed (src/research/instructions.ts); unset = the defaults. */
  instructions?: string;
}

export const MAX_SWEEP_STEPS = 50;
export const MAX_SWEEP_MODELS = 2;

export const DEFAULT_RESEARCH: Readonly<ResearchConfig> = {
  variable: 'colour',
  from: 0,
  to: 1,
  steps: 5,
  models: ['builtin:augmented', 'builtin:narrow'],
  device: 'auto',
};
