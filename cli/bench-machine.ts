/** What the bench records about its machine, and the sentence its report says about it. */

/**
 * The CPU in words, from Linux's /proc/cpuinfo text: its name, its x86 family and model, and the
 * vector instructions that decide onnxruntime's and torch's speed here (AVX-512, VNNI, bf16).
 * Machines lent to this project share a name ("AMD EPYC") while one is a Zen 1 with AVX2 only
 * and another a Zen 5 with AVX-512 and bf16, about 3x apart on these models, so the name alone
 * cannot tell two benches' numbers apart. Null where the text has no "model name" line.
 */
export function describeCpu(cpuinfo: string): string | null {
  const first = cpuinfo.split(/\n\s*\n/)[0];
  const field = (key: string) => new RegExp(`^${key}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1].trim();
  const name = field('model name');
  if (!name) return null;
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const family = field('cpu family');
  const model = field('model');
  const isa = flags.has('avx512f')
    ? ['AVX-512', flags.has('avx512_vnni') ? 'VNNI' : null, flags.has('avx512_bf16') ? 'bf16' : 'no bf16'].filter(Boolean).join(', ')
    : flags.has('avx2') ? 'AVX2, no AVX-512' : flags.size > 1 ? 'no AVX2' : null;
  const detail = [family && model ? `x86 family ${family} model ${model}` : null, isa].filter(Boolean).join('; ');
  return detail ? `${name} (${detail})` : name;
}

/** The machine a bench ran on. cpu, chromium and loadavg are absent in results written before they were recorded. */
export interface BenchMachine {
  cpus: number;
  node: string;
  cpu?: string;
  chromium?: string | null;
  /** The 1-minute load average as the measurements began and as they ended: training or tests on the same cores slow every row. */
  loadavg?: [number, number];
}

/**
 * Which CPU and browser, and how busy the machine was. The judgement uses the load as the bench
 * began, before its own work (the 1-minute average then is the other processes: training, tests);
 * by the end the bench's own threads are in it.
 */
export function machineLine(m: BenchMachine): string {
  const parts = [m.cpu ? `CPU: ${m.cpu}` : null, m.chromium ? `Chromium ${m.chromium}` : null].filter(Boolean);
  const load = m.loadavg
    ? ` The 1-minute load average was ${m.loadavg[0]} as the bench began${m.loadavg[0] >= m.cpus * 0.5 ? ` (**a busy machine**: something else was running on these ${m.cpus} cores, and every row is slower than on a quiet one)` : ' (a quiet machine)'} and ${m.loadavg[1]} as it ended, its own work included.`
    : ' The load average was not recorded for this run.';
  return `${parts.length ? parts.join('; ') + '.' : ''}${load}\n`;
}
