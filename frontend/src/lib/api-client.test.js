import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  api,
  ApiError,
  fieldErrors,
  onSessionEnd,
  SESSION_EXPIRED_MESSAGE,
  tokens,
} from './api-client';

// The real client with axios' transport replaced: every request goes to `server`.
let server;
const calls = [];
const original = api.defaults.adapter;

function reply(config, status, data) {
  const response = { data, status, statusText: String(status), headers: {}, config, request: {} };
  if (status >= 400) {
    const error = new Error(`Request failed with status code ${status}`);
    error.config = config;
    error.response = response;
    error.isAxiosError = true;
    return Promise.reject(error);
  }
  return Promise.resolve(response);
}

beforeEach(() => {
  calls.length = 0;
  api.defaults.adapter = (config) => {
    const auth = config.headers.Authorization || config.headers.get?.('Authorization');
    calls.push({ method: config.method, url: config.url, auth });
    return server(config, auth);
  };
  tokens.save({
    access_token: 'old-access',
    refresh_token: 'the-refresh',
    user: { id: 1, role: 'student' },
  });
});

afterEach(() => {
  api.defaults.adapter = original;
});

const expired = (config) =>
  reply(config, 401, { error: 'token_expired', message: 'Token has expired', details: {} });

describe('api client token handling', () => {
  test('sends the access token as a bearer header', async () => {
    server = (config) => reply(config, 200, { ok: true });
    await api.get('/auth/me');
    expect(calls[0].auth).toBe('Bearer old-access');
  });

  test('refreshes once on token_expired and retries with the new token', async () => {
    server = (config, auth) => {
      if (config.url === '/auth/refresh') return reply(config, 200, { access_token: 'new-access' });
      return auth === 'Bearer new-access' ? reply(config, 200, { items: [] }) : expired(config);
    };
    const { data } = await api.get('/student/bookings');
    expect(data).toEqual({ items: [] });
    expect(calls.map((c) => `${c.url} ${c.auth}`)).toEqual([
      '/student/bookings Bearer old-access',
      '/auth/refresh Bearer the-refresh',
      '/student/bookings Bearer new-access',
    ]);
    expect(tokens.access).toBe('new-access');
  });

  test('concurrent expired requests share a single refresh', async () => {
    server = (config, auth) => {
      if (config.url === '/auth/refresh') return reply(config, 200, { access_token: 'new-access' });
      return auth === 'Bearer new-access' ? reply(config, 200, config.url) : expired(config);
    };
    const answers = await Promise.all([api.get('/a'), api.get('/b'), api.get('/c')]);
    expect(answers.map((r) => r.data)).toEqual(['/a', '/b', '/c']);
    expect(calls.filter((c) => c.url === '/auth/refresh')).toHaveLength(1);
  });

  test('a failed refresh ends the session with "Your session expired"', async () => {
    const ended = vi.fn();
    const unsubscribe = onSessionEnd(ended);
    server = (config) =>
      config.url === '/auth/refresh'
        ? reply(config, 401, { error: 'token_revoked', message: 'Token has been revoked' })
        : expired(config);
    await expect(api.get('/student/bookings')).rejects.toMatchObject({
      status: 401,
      code: 'token_expired',
    });
    expect(ended).toHaveBeenCalledWith(SESSION_EXPIRED_MESSAGE);
    expect(tokens.access).toBeNull();
    expect(tokens.refresh).toBeNull();
    unsubscribe();
  });

  test("a disabled account ends the session with the server's message, without a refresh", async () => {
    const ended = vi.fn();
    const unsubscribe = onSessionEnd(ended);
    const message = 'This account is disabled or no longer exists.';
    server = (config) => reply(config, 401, { error: 'account_disabled', message, details: {} });
    await expect(api.get('/student/bookings')).rejects.toMatchObject({
      status: 401,
      code: 'account_disabled',
    });
    expect(calls.filter((c) => c.url === '/auth/refresh')).toHaveLength(0);
    expect(ended).toHaveBeenCalledWith(message);
    expect(tokens.access).toBeNull();
    unsubscribe();
  });

  test('a refresh refused because the account was disabled says so', async () => {
    const ended = vi.fn();
    const unsubscribe = onSessionEnd(ended);
    const message = 'This account is disabled or no longer exists.';
    server = (config) =>
      config.url === '/auth/refresh'
        ? reply(config, 401, { error: 'account_disabled', message, details: {} })
        : expired(config);
    await expect(api.get('/student/bookings')).rejects.toBeInstanceOf(ApiError);
    expect(ended).toHaveBeenCalledWith(message);
    unsubscribe();
  });

  test('a request answered after signing out does not end the session a second time', async () => {
    let release;
    server = (config) =>
      new Promise((resolve) => {
        release = () =>
          resolve(reply(config, 401, { error: 'token_revoked', message: 'Revoked', details: {} }));
      });
    const ended = vi.fn();
    const stop = onSessionEnd(ended);
    const inFlight = api.get('/student/bookings');
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    tokens.clear(); // signed out while the request was on its way
    release();
    await expect(inFlight).rejects.toMatchObject({ status: 401, code: 'token_revoked' });
    stop();
    expect(ended).not.toHaveBeenCalled();
    expect(calls.filter((c) => c.url === '/auth/refresh')).toEqual([]);
  });

  test('does not refresh twice when the retried request expires again', async () => {
    const ended = vi.fn();
    const unsubscribe = onSessionEnd(ended);
    server = (config) =>
      config.url === '/auth/refresh'
        ? reply(config, 200, { access_token: 'new-access' })
        : expired(config);
    await expect(api.get('/x')).rejects.toBeInstanceOf(ApiError);
    expect(calls.filter((c) => c.url === '/auth/refresh')).toHaveLength(1);
    expect(ended).toHaveBeenCalledOnce();
    unsubscribe();
  });

  test('wrong credentials at login do not end a session or refresh', async () => {
    const ended = vi.fn();
    const unsubscribe = onSessionEnd(ended);
    tokens.clear();
    server = (config) =>
      reply(config, 401, { error: 'invalid_credentials', message: 'Wrong username or password.' });
    await expect(
      api.post('/auth/login', {}, { _anonymous: true, _skipAuthRetry: true }),
    ).rejects.toMatchObject({
      code: 'invalid_credentials',
      message: 'Wrong username or password.',
    });
    expect(ended).not.toHaveBeenCalled();
    expect(calls).toHaveLength(1);
    unsubscribe();
  });
});

describe('api errors', () => {
  test('422 answers become ApiErrors with per-field details', async () => {
    server = (config) =>
      reply(config, 422, {
        error: 'validation_error',
        message: 'The request has invalid fields.',
        details: {
          email: ['Not a valid email address.'],
          password: ['Use at least 8 characters.'],
        },
      });
    const error = await api.post('/auth/register', {}).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      code: 'validation_error',
      message: 'The request has invalid fields.',
    });
    expect(fieldErrors(error)).toEqual({
      email: 'Not a valid email address.',
      password: 'Use at least 8 characters.',
    });
  });

  test('a 429 without a body still gets a readable message', async () => {
    server = (config) => reply(config, 429, '');
    await expect(api.post('/auth/login', {})).rejects.toMatchObject({
      status: 429,
      message: expect.stringMatching(/too many/i),
    });
  });

  test('a network failure is reported as such', async () => {
    server = () =>
      Promise.reject(Object.assign(new Error('Network Error'), { code: 'ERR_NETWORK' }));
    await expect(api.get('/health')).rejects.toMatchObject({ code: 'network_error' });
  });
});
