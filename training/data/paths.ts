import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (two levels above this file). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Read-only shared data beside the checkout (CI has the same copy). */
export const SHARED_DATA = process.env.SHARED_DATA ?? path.resolve(ROOT, '../shared/data');
/** Generated data: never committed. */
export const CACHE_DIR = process.env.CACHE_DIR ?? path.join(ROOT, '.cache');
