import { render, screen } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { ApiError } from '@/lib/api-client';
import { FormError } from './field';

describe('form error', () => {
  test('a policy refusal shows its sentence, not its facts', () => {
    const error = new ApiError({
      status: 409,
      code: 'policy_limit',
      message: '6.0 of 10 GPU-hours used this week; this booking needs 8.',
      details: {
        rule: 'max_gpu_hours_per_week',
        policy: 'default',
        limit: 10,
        used: 6,
        needed: 8,
        left: 4,
      },
    });
    render(<FormError error={error} />);
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('6.0 of 10 GPU-hours used this week; this booking needs 8.');
    expect(alert).not.toHaveTextContent('max_gpu_hours_per_week');
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
  });

  test('field messages not shown by a field are listed, the whole-request ones without a key', () => {
    const error = new ApiError({
      status: 422,
      code: 'validation_error',
      message: 'The request has invalid fields.',
      details: { cpu_cores: ['Too many.'], tags: ['Unknown tag.'], _schema: ['No single node.'] },
    });
    render(<FormError error={error} fields={['cpu_cores']} />);
    const items = screen.getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toEqual(['tags: Unknown tag.', 'No single node.']);
  });
});
