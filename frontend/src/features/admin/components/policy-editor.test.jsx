import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { apiError, routeApi } from '@/test/mock-api';
import { admin, renderWithProviders } from '@/test/utils';
import { PolicyEditor, toPayload } from './policy-editor';
import { UserPolicySelect } from './user-policy-select';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn(), put: vi.fn(), delete: vi.fn() },
}));

const NO_LIMITS = {
  description: null,
  max_hours_per_week: null,
  max_gpu_hours_per_week: null,
  max_open_bookings: null,
  max_cpu_cores: null,
  max_memory_gb: null,
  max_gpu_count: null,
  max_duration_hours: null,
  auto_approve: false,
  auto_max_cpu_cores: null,
  auto_max_memory_gb: null,
  auto_max_gpu_count: null,
  auto_max_duration_hours: null,
};
const DEFAULT = {
  id: 1,
  name: 'default',
  is_default: true,
  user_count: 180,
  ...NO_LIMITS,
  max_hours_per_week: 10,
};
const THESIS = {
  id: 2,
  name: 'Thesis group',
  is_default: false,
  user_count: 20,
  ...NO_LIMITS,
  auto_approve: true,
};

function setup(handlers = {}) {
  routeApi(api, {
    'GET /admin/policies': { items: [DEFAULT, THESIS] },
    'GET /admin/auto-approval': { enabled: true },
    ...handlers,
  });
  return renderWithProviders(<PolicyEditor />, { user: admin });
}

describe('policy editor', () => {
  test('lists the policies with their users and edits the default first', async () => {
    setup();
    const list = await screen.findByRole('list', { name: 'Policies' });
    expect(within(list).getByRole('button', { name: /default/ })).toHaveTextContent('180 students');
    expect(within(list).getByRole('button', { name: /Thesis group/ })).toHaveTextContent(
      '20 students · auto-approves',
    );
    const form = screen.getByRole('form', { name: 'Edit policy default' });
    expect(within(form).getByLabelText('Booked hours per week')).toHaveValue(10);
    expect(within(form).getAllByLabelText('CPU cores')[0]).toHaveValue(null);
    expect(within(form).queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
  });

  test('saves the limits, an empty box as no limit', async () => {
    const patch = vi.fn(({ body }) => ({ ...DEFAULT, ...body }));
    const { user } = setup({ 'PATCH /admin/policies/1': patch });
    const form = await screen.findByRole('form', { name: 'Edit policy default' });
    await user.clear(within(form).getByLabelText('Booked hours per week'));
    await user.type(within(form).getByLabelText('GPU-hours per week'), '10');
    await user.type(within(form).getByLabelText('Open bookings at once'), '2');
    await user.click(within(form).getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(patch).toHaveBeenCalled());
    expect(patch.mock.calls[0][0].body).toMatchObject({
      name: 'default',
      max_hours_per_week: null,
      max_gpu_hours_per_week: 10,
      max_open_bookings: 2,
      auto_approve: false,
    });
  });

  test("shows the API's refusal of an absurd bound next to its box", async () => {
    const { user } = setup({
      'POST /admin/policies': () => {
        throw apiError(422, 'validation_error', 'The request has invalid fields.', {
          max_hours_per_week: ['Must be greater than or equal to 0 and less than or equal to 168.'],
        });
      },
    });
    await user.click(await screen.findByRole('button', { name: 'New policy' }));
    const form = screen.getByRole('form', { name: 'New policy' });
    await user.type(within(form).getByLabelText(/^Name/), 'Night owls');
    await user.type(within(form).getByLabelText('Booked hours per week'), '500');
    await user.click(within(form).getByRole('button', { name: 'Create policy' }));
    expect(await within(form).findByText(/less than or equal to 168/)).toBeInTheDocument();
    expect(within(form).getByLabelText('Booked hours per week')).toHaveAttribute(
      'aria-invalid',
      'true',
    );
  });

  test('auto-approval bounds are editable only with auto-approval ticked', async () => {
    const { user } = setup();
    await user.click(await screen.findByRole('button', { name: /Thesis group/ }));
    const form = screen.getByRole('form', { name: 'Edit policy Thesis group' });
    const autoBox = within(form).getByRole('checkbox');
    expect(autoBox).toBeChecked();
    const autoDuration = within(form).getAllByLabelText('Duration (hours)')[1];
    expect(autoDuration).toBeEnabled();
    await user.click(autoBox);
    expect(autoDuration).toBeDisabled();
  });

  test('the lab-wide switch turns auto-approval off', async () => {
    const put = vi.fn(({ body }) => body);
    const { user } = setup({ 'PUT /admin/auto-approval': put });
    const toggle = await screen.findByRole('switch', { name: 'Auto-approval' });
    await waitFor(() => expect(toggle).toHaveAttribute('aria-checked', 'true'));
    await user.click(toggle);
    await waitFor(() => expect(toggle).toHaveAttribute('aria-checked', 'false'));
    expect(put).toHaveBeenCalledWith(expect.objectContaining({ body: { enabled: false } }));
    expect(screen.getByText(/every booking and extension waits for an admin/)).toBeInTheDocument();
  });

  test('a named policy can be deleted after confirming', async () => {
    const remove = vi.fn(() => '');
    const { user } = setup({ 'DELETE /admin/policies/2': remove });
    await user.click(await screen.findByRole('button', { name: /Thesis group/ }));
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    await user.click(screen.getByRole('button', { name: 'Delete policy' }));
    await waitFor(() => expect(remove).toHaveBeenCalled());
  });
});

describe('payload', () => {
  test('numbers from the boxes, null for empty ones, a trimmed name', () => {
    expect(
      toPayload({
        name: ' Lab ',
        description: '',
        auto_approve: true,
        max_cpu_cores: '4',
        max_memory_gb: ' ',
      }),
    ).toMatchObject({
      name: 'Lab',
      description: null,
      auto_approve: true,
      max_cpu_cores: 4,
      max_memory_gb: null,
    });
  });
});

describe('user policy', () => {
  test('assigns a named policy to a student, or back to the default', async () => {
    const put = vi.fn(({ body }) => ({ id: 7, username: 'alice', policy_id: body.policy_id }));
    routeApi(api, {
      'GET /admin/policies': { items: [DEFAULT, THESIS] },
      'PUT /admin/users/7/policy': put,
    });
    const { user } = renderWithProviders(
      <UserPolicySelect user={{ id: 7, username: 'alice', policy_id: null }} />,
      { user: admin },
    );
    const select = await screen.findByRole('combobox', { name: 'Policy of alice' });
    await waitFor(() => expect(select).toBeEnabled());
    expect([...select.options].map((o) => o.text)).toEqual(['Default', 'Thesis group']);
    await user.selectOptions(select, '2');
    await waitFor(() =>
      expect(put).toHaveBeenCalledWith(expect.objectContaining({ body: { policy_id: 2 } })),
    );
  });
});
