/**
 * Size limits on state that comes from outside (a permalink, a history file, stored
 * history records): every string, list and count has one, so nothing from outside can
 * make the page hang or fill its memory. The one copy; the inputs that edit the same
 * values (the reference field) use the same numbers.
 */

/** The reference LaTeX (the input field's maxLength too). */
export const MAX_REFERENCE_LENGTH = 2000;
/** A recognised formula or an error message kept with a history entry. */
export const MAX_TEXT_LENGTH = 20_000;
/** Names and labels (an input's file name, a model's label). */
export const MAX_NAME_LENGTH = 300;
/** Panes in a restored state. */
export const MAX_PANES = 8;
/** Strokes, and points over all strokes, of one drawing. */
export const MAX_STROKES = 1000;
export const MAX_POINTS = 100_000;
/** A drawing's coordinates stay within this distance of its 800×300 space. */
export const MAX_COORDINATE = 100_000;
/** Ids (entry ids, example ids). */
export const MAX_ID_LENGTH = 200;
/** A history entry's image: width, height (the decoder's own limit is lower). */
export const MAX_IMAGE_SIDE = 65_536;
/** Images in an imported history file larger than this are refused. */
export const MAX_IMPORT_IMAGE_BYTES = 20 * 1024 * 1024;
/**
 * The instruction a vision-language model is given when neither the pane nor its folder says
 * otherwise (the one the project's VLM fine-tunes use; src/model/vlm.ts). Here, not in vlm.ts,
 * so the page shows it without loading the model code.
 */
export const DEFAULT_INSTRUCTION = 'Convert this image to LaTeX notation.';
/** A vision-language model's instruction (a pane's, a link's, a model folder's latex_ocr_instruction; src/model/vlm.ts), in UTF-16 units. */
export const MAX_INSTRUCTION_CHARS = 2000;
/** Instructions in one research sweep over wordings (src/research/instructions.ts). */
export const MAX_SWEEP_INSTRUCTIONS = 10;
