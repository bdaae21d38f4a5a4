/** What the bench records about its machine, and the sentence its report says about it. */

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
