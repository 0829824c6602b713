import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { apiError, routeApi } from '@/test/mock-api';
import { admin, renderWithProviders } from '@/test/utils';
import { NodesPanel } from './nodes-panel';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

const agent = (id, name, extra = {}) => ({
  id,
  name,
  url: `http://10.0.0.${id}:9000`,
  cpu_cores: 16,
  memory_gb: 64,
  gpu_count: 2,
  tags: ['a100'],
  status: 'online',
  last_seen: new Date(Date.now() - 5 * 60_000).toISOString(),
  last_health: { status: 'ok', docker: 'ok' },
  usage_now: { cpu_cores: 6, memory_gb: 24, gpu_count: 1 },
  has_token: true,
  ...extra,
});

describe('nodes panel', () => {
  test('shows status, health, last seen and usage against totals', async () => {
    routeApi(api, {
      'GET /admin/agents': {
        items: [
          agent(1, 'gpu-01', { images: ['lab/jupyterlab:latest', 'lab/ssh:latest'] }),
          agent(2, 'cpu-02', {
            status: 'offline',
            last_health: null,
            last_seen: null,
            images: null,
          }),
        ],
      },
    });
    renderWithProviders(<NodesPanel />, { user: admin });
    const first = await screen.findByRole('listitem', { name: 'Node gpu-01' });
    expect(within(first).getByText('lab/jupyterlab:latest, lab/ssh:latest')).toBeInTheDocument();
    expect(within(first).getByText('online')).toBeInTheDocument();
    expect(within(first).getByText('Healthy')).toBeInTheDocument();
    expect(within(first).getByText('5 min ago')).toBeInTheDocument();
    expect(within(first).getByText('6 / 16 cores')).toBeInTheDocument();
    expect(within(first).getByRole('meter', { name: 'GPU in use' })).toHaveAttribute(
      'aria-valuenow',
      '1',
    );
    const second = screen.getByRole('listitem', { name: 'Node cpu-02' });
    expect(within(second).getByText('offline')).toBeInTheDocument();
    expect(within(second).getByText('No report yet')).toBeInTheDocument();
    expect(within(second).getByText('never')).toBeInTheDocument();
    expect(within(second).getByText('not reported yet')).toBeInTheDocument();
    expect(screen.getByText('1 of 2 online')).toBeInTheDocument();
  });

  test('the maintenance switch sets the status optimistically', async () => {
    let current = agent(1, 'gpu-01');
    let release;
    const gate = new Promise((r) => (release = r));
    const setStatus = vi.fn(async ({ body }) => {
      await gate; // hold the answer to see the optimistic state
      current = agent(1, 'gpu-01', { status: body.status });
      return current;
    });
    routeApi(api, {
      'GET /admin/agents': () => ({ items: [current] }),
      'POST /admin/agents/1/status': setStatus,
    });
    const { user } = renderWithProviders(<NodesPanel />, { user: admin });
    const toggle = await screen.findByRole('switch', { name: 'Maintenance' });
    expect(toggle).toHaveAttribute('aria-checked', 'false');
    await user.click(toggle);
    expect(screen.getByRole('switch', { name: 'Maintenance' })).toHaveAttribute(
      'aria-checked',
      'true',
    );
    expect(
      within(screen.getByRole('listitem', { name: 'Node gpu-01' })).getByText('maintenance'),
    ).toBeInTheDocument();
    release();
    await waitFor(() =>
      expect(setStatus).toHaveBeenCalledWith({ body: { status: 'maintenance' }, params: {} }),
    );
    expect(await screen.findByText('gpu-01 is in maintenance.')).toBeInTheDocument();
  });

  test('registers a node, validating fields and showing API details', async () => {
    const create = vi
      .fn()
      .mockImplementationOnce(() => {
        throw apiError(409, 'conflict', 'A node with that name exists.', {
          name: ['Already taken.'],
        });
      })
      .mockImplementationOnce(({ body }) => agent(3, body.name));
    routeApi(api, { 'GET /admin/agents': { items: [] }, 'POST /admin/agents': create });
    const { user } = renderWithProviders(<NodesPanel />, { user: admin });
    await user.click(await screen.findByRole('button', { name: 'Register the first node' }));
    const dialog = screen.getByRole('dialog', { name: 'Register a node' });
    await user.click(within(dialog).getByRole('button', { name: 'Register node' }));
    expect(within(dialog).getByText('Give the node a name.')).toBeInTheDocument();
    expect(within(dialog).getByText('Enter the number of CPU cores.')).toBeInTheDocument();
    expect(create).not.toHaveBeenCalled();

    await user.type(within(dialog).getByLabelText(/^Name/), 'gpu-03');
    await user.type(within(dialog).getByLabelText(/^Agent URL/), 'ftp://x');
    expect(within(dialog).getByText('Use an http:// or https:// URL.')).toBeInTheDocument();
    await user.clear(within(dialog).getByLabelText(/^Agent URL/));
    await user.type(within(dialog).getByLabelText(/^Agent URL/), 'http://10.0.0.3:9000');
    await user.type(within(dialog).getByLabelText(/^CPU cores/), '32');
    await user.type(within(dialog).getByLabelText(/^Memory/), '128');
    await user.type(within(dialog).getByLabelText('Tags'), 'a100, fast-disk');
    await user.type(within(dialog).getByLabelText('MAC address'), 'AA:BB:CC:DD:EE:FF');
    await user.click(within(dialog).getByRole('button', { name: 'Register node' }));
    expect(await within(dialog).findByText('Already taken.')).toBeInTheDocument();
    expect(within(dialog).getByRole('alert')).toHaveTextContent('A node with that name exists.');

    await user.type(within(dialog).getByLabelText(/^Name/), 'b');
    await user.click(within(dialog).getByRole('button', { name: 'Register node' }));
    await waitFor(() => expect(create).toHaveBeenCalledTimes(2));
    expect(create.mock.calls[1][0].body).toEqual({
      name: 'gpu-03b',
      url: 'http://10.0.0.3:9000',
      cpu_cores: 32,
      memory_gb: 128,
      gpu_count: 0,
      mac_address: 'AA:BB:CC:DD:EE:FF',
      tags: ['a100', 'fast-disk'],
    });
    expect(await screen.findByText('Node gpu-03b registered.')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });
});

test.each([
  ['name', '-bad', 'Start with a letter or digit; then letters, digits, _ . -'],
  ['token', 'short', 'Tokens have at least 8 characters.'],
  ['tags', 'ok, bad tag', '"bad tag" is not a valid tag (letters, digits, _ . : -).'],
  ['mac_address', 'zz:zz', 'Use the form aa:bb:cc:dd:ee:ff.'],
  ['wol_port', '70000', 'A port from 1 to 65535.'],
])('node form refuses %s = %j', async (field, value, message) => {
  const { validateNode } = await import('./register-node-form');
  const base = {
    name: 'n1',
    url: 'http://h:1',
    token: '',
    cpu_cores: '1',
    memory_gb: '1',
    gpu_count: '0',
    mac_address: '',
    broadcast_address: '',
    wol_port: '',
    tags: '',
  };
  expect(validateNode({ ...base, [field]: value })[field]).toBe(message);
});
