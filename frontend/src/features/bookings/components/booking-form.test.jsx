import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { api } from '@/lib/api-client';
import { apiError, optionsFixture, routeApi } from '@/test/mock-api';
import { renderWithProviders, student } from '@/test/utils';
import { BookingForm } from './booking-form';
import { toBookingRequest, validateBooking } from './booking-rules';

vi.mock('@/lib/api-client', async (importOriginal) => ({
  ...(await importOriginal()),
  api: { get: vi.fn(), post: vi.fn(), patch: vi.fn() },
}));

// vitest runs with TZ=Europe/Berlin (see vite.config.js): UTC+1 in winter, UTC+2 in summer.
const NOW = new Date('2026-11-27T08:00:00Z').getTime();

const options = optionsFixture;
const withLimits = (changes) => ({ ...options, limits: { ...options.limits, ...changes } });

function setup(handlers = {}, answer = options) {
  const availability = vi.fn(() => ({ available: true, nodes_fitting: 2 }));
  const book = vi.fn(({ body }) => ({ id: 41, status: 'pending', ...body }));
  routeApi(api, {
    'GET /student/options': answer,
    'POST /student/availability': availability,
    'POST /student/book': book,
    ...handlers,
  });
  const utils = renderWithProviders(<BookingForm now={NOW} />, { user: student });
  return { ...utils, availability, book };
}

async function fillWindow(date = '2026-11-28', time = '10:00', hours = '2') {
  fireEvent.change(await screen.findByLabelText(/^Date/), { target: { value: date } });
  fireEvent.change(screen.getByLabelText(/^Start time/), { target: { value: time } });
  fireEvent.change(screen.getByLabelText(/^Duration/), { target: { value: hours } });
}

const values = (change = {}) => ({
  date: '2026-11-28',
  time: '10:00',
  hours: '2',
  cpu: '2',
  memory: '4',
  gpu: '0',
  purpose: '',
  ...change,
});

describe('booking rules', () => {
  test('local times become UTC ISO strings with an offset', () => {
    expect(
      toBookingRequest({
        date: '2026-11-28',
        time: '10:00',
        hours: '2',
        cpu: '4',
        memory: '16',
        gpu: '1',
      }),
    ).toEqual({
      start_time: '2026-11-28T09:00:00+00:00',
      end_time: '2026-11-28T11:00:00+00:00',
      cpu_cores: 4,
      memory_gb: 16,
      gpu_count: 1,
    });
    // Summer time in Berlin is UTC+2; a 90-minute booking across midnight.
    expect(
      toBookingRequest({
        date: '2026-07-01',
        time: '23:30',
        hours: '1.5',
        cpu: '1',
        memory: '2',
        gpu: '0',
      }),
    ).toMatchObject({
      start_time: '2026-07-01T21:30:00+00:00',
      end_time: '2026-07-01T23:00:00+00:00',
    });
  });

  test.each([
    [{ cpu: '17' }, 'cpu', 'The lab allows at most 16 CPU cores.'],
    [{ cpu: '0' }, 'cpu', 'At least 1 CPU cores.'],
    [{ cpu: '1.5' }, 'cpu', 'Use a whole number of CPU cores.'],
    [{ memory: '65' }, 'memory', 'The lab allows at most 64 GB of memory.'],
    [{ gpu: '3' }, 'gpu', 'The lab allows at most 2 GPUs.'],
    [{ hours: '73' }, 'hours', 'At most 72 hours per booking.'],
    [{ time: '08:00', date: '2026-11-27' }, 'time', 'The start must be in the future.'],
    [{ date: '2027-01-30' }, 'date', 'Bookings open at most 30 days ahead.'],
    [{ memory: '0.4' }, 'memory', 'At least 0.5 GB of memory.'],
    [{ hours: String(10 / 60) }, 'hours', 'At least 15 minutes.'],
  ])('%o is refused with a clear message', (change, field, message) => {
    expect(validateBooking(values(change), options.limits, new Date(NOW))[field]).toBe(message);
  });

  test("the minimum length and memory are the API's, not the form's", () => {
    const short = values({ hours: String(10 / 60), memory: '0.4' });
    const looser = { ...options.limits, min_duration_minutes: 5, min_memory_gb: 0.25 };
    expect(validateBooking(short, looser, new Date(NOW))).toEqual({});
    expect(toBookingRequest(short)).toMatchObject({
      start_time: '2026-11-28T09:00:00+00:00',
      end_time: '2026-11-28T09:10:00+00:00',
      memory_gb: 0.4,
    });
  });

  test('the horizon bounds the end of a booking, not its start', () => {
    // NOW + 30 days is 27 Dec 08:00 UTC, 09:00 in Berlin.
    const late = (hours) => values({ date: '2026-12-27', time: '07:00', hours });
    const check = (v) => validateBooking(v, options.limits, new Date(NOW));
    expect(check(late('2'))).toEqual({});
    expect(check(late('2.5')).hours).toMatch(/^A booking must end within 30 days: by /);
    expect(check(late('2.5')).date).toBeUndefined();
    expect(check(values({ date: '2026-12-27', time: '09:30', hours: '1' })).date).toBe(
      'Bookings open at most 30 days ahead.',
    );
  });
});

describe('booking form', () => {
  test('shows the lab limits, presets and images from the API', async () => {
    setup();
    expect(await screen.findByText('1–16')).toBeInTheDocument();
    expect(screen.getByLabelText('CPU cores')).toHaveAttribute('min', '1');
    expect(screen.getByText('0.5–64')).toBeInTheDocument();
    expect(screen.getByLabelText('Memory (GB)')).toHaveAttribute('min', '0.5');
    expect(screen.getByText('0–2')).toBeInTheDocument();
    expect(screen.getByLabelText(/^Duration/)).toHaveAccessibleDescription(/15 min – 72 h$/);
    expect(screen.getByRole('button', { name: /Small/ })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByLabelText('Image')).toHaveValue('jupyter/base-notebook:latest');
    expect(screen.getByText(/Europe\/Berlin/)).toBeInTheDocument();
  });

  test('a preset fills CPU, memory and GPU', async () => {
    const { user } = setup();
    await user.click(await screen.findByRole('button', { name: /^GPU/ }));
    expect(screen.getByLabelText('CPU cores')).toHaveValue(4);
    expect(screen.getByLabelText('Memory (GB)')).toHaveValue(16);
    expect(screen.getByLabelText('GPUs')).toHaveValue(1);
  });

  test('checks availability (debounced) with UTC times and says how many nodes fit', async () => {
    const { availability } = setup();
    await fillWindow('2026-11-28', '10:00', '3');
    expect(await screen.findByText(/2 nodes could fit/, {}, { timeout: 3000 })).toBeInTheDocument();
    expect(availability).toHaveBeenLastCalledWith({
      body: {
        start_time: '2026-11-28T09:00:00+00:00',
        end_time: '2026-11-28T12:00:00+00:00',
        cpu_cores: 2,
        memory_gb: 4,
        gpu_count: 0,
      },
      params: {},
    });
  });

  test('says when no node has room', async () => {
    setup({ 'POST /student/availability': { available: false, nodes_fitting: 0 } });
    await fillWindow();
    expect(await screen.findByText(/No node has room/, {}, { timeout: 3000 })).toBeInTheDocument();
  });

  test('an over-limit request shows the limit and is not checked or sent', async () => {
    const { user, availability, book } = setup();
    await fillWindow();
    const cpu = screen.getByLabelText('CPU cores');
    await user.clear(cpu);
    await user.type(cpu, '17');
    expect(screen.getByText('The lab allows at most 16 CPU cores.')).toBeInTheDocument();
    expect(screen.getByTestId('availability')).toHaveTextContent('Complete the form');
    await user.click(screen.getByRole('button', { name: 'Request booking' }));
    await new Promise((r) => setTimeout(r, 700));
    expect(availability).not.toHaveBeenCalledWith(
      expect.objectContaining({ body: expect.objectContaining({ cpu_cores: 17 }) }),
    );
    expect(book).not.toHaveBeenCalled();
  });

  test('submits the booking in UTC with image and purpose', async () => {
    const { user, book } = setup();
    await fillWindow('2026-12-01', '14:15', '1.5');
    await user.selectOptions(screen.getByLabelText('Image'), 'lab/ssh:latest');
    await user.type(screen.getByLabelText('Purpose'), 'Course project');
    await user.click(screen.getByRole('button', { name: 'Request booking' }));
    await waitFor(() => expect(book).toHaveBeenCalled());
    expect(book.mock.calls[0][0].body).toEqual({
      start_time: '2026-12-01T13:15:00+00:00',
      end_time: '2026-12-01T14:45:00+00:00',
      cpu_cores: 2,
      memory_gb: 4,
      gpu_count: 0,
      image: 'lab/ssh:latest',
      purpose: 'Course project',
    });
    expect(await screen.findByText(/Booking #41 requested/)).toBeInTheDocument();
  });

  test('shows a conflict from the API', async () => {
    const { user } = setup({
      'POST /student/book': () => {
        throw apiError(409, 'conflict', 'You already have a booking in that window.');
      },
    });
    await fillWindow();
    await user.click(screen.getByRole('button', { name: 'Request booking' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'You already have a booking in that window.',
    );
  });

  test('puts 422 details next to the matching fields', async () => {
    const { user } = setup({
      'POST /student/book': () => {
        throw apiError(422, 'validation_error', 'The request has invalid fields.', {
          cpu_cores: ['Must be less than or equal to 8.'],
          image: ['Not an allowed image.'],
          purpose: ['Longer than maximum length 500.'],
        });
      },
    });
    await fillWindow();
    // The form has no length limit of its own for the purpose: the API's refusal shows.
    fireEvent.change(screen.getByLabelText('Purpose'), { target: { value: 'x'.repeat(501) } });
    await user.click(screen.getByRole('button', { name: 'Request booking' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The request has invalid fields.');
    const cpu = screen.getByLabelText('CPU cores');
    expect(cpu).toHaveAccessibleDescription('Must be less than or equal to 8.');
    expect(screen.getByText('Not an allowed image.')).toBeInTheDocument();
    expect(screen.getByLabelText('Purpose')).toHaveAccessibleDescription(
      'Longer than maximum length 500.',
    );
    expect(within(alert).queryByText(/cpu_cores|purpose/)).not.toBeInTheDocument();
  });

  test.each([
    [15, false],
    [5, true],
  ])('a 10-minute booking when the API minimum is %i minutes: sent %s', async (minimum, sent) => {
    const { user, book } = setup({}, withLimits({ min_duration_minutes: minimum }));
    await fillWindow('2026-11-28', '10:00', '0.1667');
    await user.click(screen.getByRole('button', { name: 'Request booking' }));
    if (sent) {
      await waitFor(() => expect(book).toHaveBeenCalled());
      expect(book.mock.calls[0][0].body).toMatchObject({
        start_time: '2026-11-28T09:00:00+00:00',
        end_time: '2026-11-28T09:10:00+00:00',
      });
    } else {
      expect(screen.getByLabelText(/^Duration/)).toHaveAccessibleDescription(
        'At least 15 minutes.',
      );
      await new Promise((r) => setTimeout(r, 100));
      expect(book).not.toHaveBeenCalled();
    }
  });

  test('offers only the quick durations the API allows', async () => {
    setup({}, withLimits({ min_duration_minutes: 90, max_duration_hours: 8 }));
    const chips = await screen.findByRole('group', { name: 'Quick durations' });
    expect(
      within(chips)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['2 h', '4 h', '8 h']);
  });

  test('shows a refusal about the request as a whole', async () => {
    const { user } = setup({
      'POST /student/book': () => {
        throw apiError(
          422,
          'validation_error',
          'No single node has 2 cores, 4 GB and 0 GPUs at once; ask for less of one of them.',
          { _schema: ['No single node can hold the whole request.'] },
        );
      },
    });
    await fillWindow();
    await user.click(screen.getByRole('button', { name: 'Request booking' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No single node has 2 cores');
    expect(alert).toHaveTextContent('No single node can hold the whole request.');
    expect(alert).not.toHaveTextContent('_schema');
  });

  test('an image no node has cannot be chosen, and says why', async () => {
    setup(
      {},
      {
        ...options,
        images: [
          options.images[0],
          { name: 'lab/ssh:latest', available: false, unavailable_reason: 'on no node' },
        ],
      },
    );
    expect(
      await screen.findByRole('option', { name: 'lab/ssh:latest — on no node' }),
    ).toBeDisabled();
  });
});
