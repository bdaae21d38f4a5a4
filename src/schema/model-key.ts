/**
 * Model keys ("builtin:augmented", "user:<folder>", "hub:<owner>/<name>") and Hugging
 * Face model ids: the one definition, used by the model panel's "add a hub model" field
 * and by everything that reads a key from outside (permalinks, history). A segment
 * starts with a letter or digit and never holds "..": an id can never climb out of the
 * hub's (or the app's) model folder when it becomes a URL path.
 */

const SEGMENT = '[A-Za-z0-9](?:[A-Za-z0-9_-]|\\.(?!\\.)){0,95}';

/** "owner/name" (or a bare name), as on the Hugging Face hub. */
export const HUB_ID_RE = new RegExp(`^${SEGMENT}(?:/${SEGMENT})?$`);

/** A key as a permalink may carry it: built-in and folder models are one segment, hub models a hub id. */
export const MODEL_KEY_RE = new RegExp(`^(?:(?:builtin|user):${SEGMENT}|hub:${SEGMENT}(?:/${SEGMENT})?)$`);

export const isModelKey = (key: string): boolean => MODEL_KEY_RE.test(key);

/** The hub id of a "hub:" key, or null. */
export function hubIdOf(key: string): string | null {
  if (!key.startsWith('hub:')) return null;
  const id = key.slice(4);
  return HUB_ID_RE.test(id) ? id : null;
}
