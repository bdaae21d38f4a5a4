/**
 * The research sweep form, filled the way a user fills it: shared by the e2e specs and the
 * README screenshots (cli/screenshots.ts), so both drive the same controls by their names.
 */
import type { Locator, Page } from 'playwright-core';

/** A model in the First/Second model lists: its option label (`{ label }`) or its value ('' = none). */
export type ModelChoice = { label: string } | string;

export interface SweepForm {
  device?: 'wasm' | 'webgpu';
  first?: ModelChoice;
  second?: ModelChoice;
  variable?: string;
  from?: number;
  to?: number;
  steps?: number;
}

/** The Research region, opened from the toolbar if it is not showing. */
export async function research(page: Page): Promise<Locator> {
  const r = page.getByRole('region', { name: 'Research' });
  if (!(await r.isVisible())) await page.getByRole('button', { name: 'Research', exact: true }).click();
  return r;
}

/** Fills the sweep form (fields left out keep their values); returns the Research region. */
export async function fillSweep(page: Page, f: SweepForm): Promise<Locator> {
  const r = await research(page);
  if (f.device) await r.getByRole('combobox', { name: 'Sweep device' }).selectOption(f.device);
  if (f.first !== undefined) await r.getByRole('combobox', { name: 'First model' }).selectOption(f.first);
  if (f.second !== undefined) await r.getByRole('combobox', { name: 'Second model' }).selectOption(f.second);
  if (f.variable) await r.getByRole('combobox', { name: 'Variable' }).selectOption(f.variable);
  if (f.from !== undefined) await r.getByRole('spinbutton', { name: 'From', exact: true }).fill(String(f.from));
  if (f.to !== undefined) await r.getByRole('spinbutton', { name: 'To', exact: true }).fill(String(f.to));
  if (f.steps !== undefined) await r.getByRole('spinbutton', { name: 'Steps' }).fill(String(f.steps));
  return r;
}

/** Fills the form and presses "Run sweep"; the caller waits for the status it expects. */
export async function runSweep(page: Page, f: SweepForm): Promise<Locator> {
  const r = await fillSweep(page, f);
  await r.getByRole('button', { name: 'Run sweep' }).click();
  return r;
}
