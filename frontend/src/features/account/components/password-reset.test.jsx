import { describe, expect, test } from 'vitest';
import { tokenFromHash } from './password-reset';

describe('reset link', () => {
  test('takes the token from the fragment, never the query', () => {
    expect(tokenFromHash('#token=abc-DEF_1')).toBe('abc-DEF_1');
    expect(tokenFromHash('')).toBe('');
    expect(tokenFromHash('#other=1')).toBe('');
  });
});
