/**
 * Turning picked files into a model folder for the OCR worker: paths relative to
 * the folder that holds config.json (a directory pick), or the usual layout guessed
 * from file names (a multi-file pick: *.onnx go to onnx/).
 */

export interface PickedModel {
  /** Shown to the user: the folder's name. */
  name: string;
  /** A worker-safe id made from the name (no slashes). */
  id: string;
  files: { path: string; file: File }[];
  /** The model card (README.md), when the folder has one. */
  readme?: File;
}

const IGNORED = /(^|\/)(\.[^/]*|__MACOSX|Thumbs\.db)(\/|$)/;

export function modelId(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 60) || 'model'
  );
}

/** null when nothing usable was picked. */
export function pickedModel(list: FileList | File[]): PickedModel | null {
  const all = [...list].map((file) => ({ file, rel: (file.webkitRelativePath || file.name).replace(/\\/g, '/') })).filter((f) => !IGNORED.test(f.rel));
  if (all.length === 0) return null;
  const fromDirectory = all.some((f) => f.rel.includes('/'));
  let name: string;
  let files: { path: string; file: File }[];
  if (fromDirectory) {
    // the model folder is where config.json is (the shallowest one), else the picked folder itself
    const configs = all.filter((f) => f.rel === 'config.json' || f.rel.endsWith('/config.json')).map((f) => f.rel.slice(0, -'config.json'.length));
    configs.sort((a, b) => a.split('/').length - b.split('/').length);
    const root = configs[0] ?? `${all[0].rel.split('/')[0]}/`;
    name = root.replace(/\/$/, '').split('/').pop() || all[0].rel.split('/')[0];
    files = all.filter((f) => f.rel.startsWith(root)).map((f) => ({ path: f.rel.slice(root.length), file: f.file }));
  } else {
    name = 'picked files';
    files = all.map((f) => ({ path: f.rel.endsWith('.onnx') ? `onnx/${f.rel}` : f.rel, file: f.file }));
  }
  return { name, id: modelId(name), files, readme: files.find((f) => f.path.toLowerCase() === 'readme.md')?.file };
}
