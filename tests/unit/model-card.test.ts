import { describe, expect, it } from 'vitest';
import { precisionText } from '../../cli/model-card.ts';

describe('precisionText (the model card says what training really ran in)', () => {
  it('says the precision asked for when the run used it', () => {
    expect(precisionText({ precision: 'bf16', precision_used: 'bf16' })).toBe('bf16 autocast');
    expect(precisionText({ precision: 'bf16' })).toBe('bf16 autocast'); // runs before precision_used was recorded
    expect(precisionText({ precision: 'fp32', precision_used: 'fp32' })).toBe('fp32');
  });
  it('names the fallback and the CPU where the latest resume could not use bf16', () => {
    const text = precisionText({ precision: 'bf16', precision_used: 'fp32', cpu: 'AMD EPYC (family 23)' });
    expect(text).toBe('bf16 autocast where the CPU has bf16 instructions; the latest resume ran in fp32 on an AMD EPYC (family 23), which has none');
    expect(precisionText({ precision: 'bf16', precision_used: 'fp32' })).toMatch(/ran in fp32, which has none$/);
  });
});
