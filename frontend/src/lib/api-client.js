import axios from 'axios';

/**
 * The one HTTP client. It owns the tokens: it stores them in localStorage, adds the
 * bearer header, refreshes an expired access token once (shared by concurrent
 * requests) and retries, and ends the session when the refresh fails.
 */

const ACCESS_KEY = 'booking.access_token';
const REFRESH_KEY = 'booking.refresh_token';
const USER_KEY = 'booking.user';

export const SESSION_EXPIRED_MESSAGE = 'Your session expired';

export class ApiError extends Error {
  constructor({ status = 0, code = 'network_error', message, details = {} }) {
    super(message || 'Something went wrong');
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export const tokens = {
  get access() {
    return localStorage.getItem(ACCESS_KEY);
  },
  get refresh() {
    return localStorage.getItem(REFRESH_KEY);
  },
  get user() {
    try {
      return JSON.parse(localStorage.getItem(USER_KEY) || 'null');
    } catch {
      return null;
    }
  },
  save({ access_token, refresh_token, user }) {
    if (access_token) localStorage.setItem(ACCESS_KEY, access_token);
    if (refresh_token) localStorage.setItem(REFRESH_KEY, refresh_token);
    if (user) localStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() {
    localStorage.removeItem(ACCESS_KEY);
    localStorage.removeItem(REFRESH_KEY);
    localStorage.removeItem(USER_KEY);
  },
};

const listeners = new Set();

/** Subscribe to the end of a session (refresh failed or token revoked). Returns unsubscribe. */
export function onSessionEnd(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function endSession(message) {
  tokens.clear();
  listeners.forEach((listener) => listener(message));
}

export const api = axios.create({
  baseURL: '/api',
  headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  timeout: 20000,
});

api.interceptors.request.use((config) => {
  const token = tokens.access;
  if (token && !config._anonymous && !config.headers.Authorization) {
    config.headers.Authorization = `Bearer ${token}`;
  }
  return config;
});

let refreshing = null;

/** One refresh at a time: concurrent 401s wait for the same promise. */
function refreshAccessToken() {
  if (!refreshing) {
    const refreshToken = tokens.refresh;
    refreshing = (
      refreshToken
        ? api.post('/auth/refresh', null, {
            headers: { Authorization: `Bearer ${refreshToken}` },
            _skipAuthRetry: true,
          })
        : Promise.reject(new ApiError({ status: 401, code: 'unauthorized' }))
    )
      .then((response) => {
        tokens.save({ access_token: response.data.access_token });
        return response.data.access_token;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** "Too many attempts. Try again in 42 seconds (at 09:03)." from a Retry-After header. */
export function tooManyMessage(retryAfter, now = Date.now()) {
  const seconds = Number.parseInt(retryAfter, 10);
  if (!Number.isFinite(seconds) || seconds <= 0)
    return 'Too many attempts. Wait a minute and try again.';
  const at = new Date(now + seconds * 1000).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
  });
  const wait = seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
  return `Too many attempts. Try again in ${wait} (at ${at}).`;
}

export function toApiError(error) {
  if (error instanceof ApiError) return error;
  const response = error?.response;
  if (!response) {
    return new ApiError({
      code: 'network_error',
      message: 'Cannot reach the server. Check your connection and try again.',
    });
  }
  const body = response.data && typeof response.data === 'object' ? response.data : {};
  if (response.status === 429) {
    return new ApiError({
      status: 429,
      code: body.error || 'rate_limited',
      message: tooManyMessage(response.headers?.['retry-after']),
      details: body.details,
    });
  }
  const fallback =
    response.status === 429
      ? 'Too many attempts. Wait a minute and try again.'
      : response.status >= 500
        ? 'The server had a problem. Try again in a moment.'
        : `Request failed (${response.status})`;
  return new ApiError({
    status: response.status,
    code: body.error || `http_${response.status}`,
    message: body.message || fallback,
    details: body.details,
  });
}

api.interceptors.response.use(
  (response) => response,
  async (error) => {
    const config = error.config || {};
    const apiError = toApiError(error);
    const hadToken = Boolean(config.headers?.Authorization);

    if (apiError.status === 401 && !config._skipAuthRetry && hadToken) {
      const current = tokens.access;
      if (config.headers.Authorization !== `Bearer ${current}`) {
        // Sent with a token that is no longer this browser's: the user signed out
        // meanwhile (this session's end is already told), or another request
        // renewed it (retry once with the new one).
        if (!current || config._retried) throw apiError;
        return api({
          ...config,
          _retried: true,
          headers: { ...config.headers, Authorization: `Bearer ${current}` },
        });
      }
      if (apiError.code === 'account_disabled') {
        // An admin disabled the account: say so rather than "expired".
        endSession(apiError.message);
        throw apiError;
      }
      if (apiError.code === 'token_expired' && !config._retried) {
        try {
          const access = await refreshAccessToken();
          return api({
            ...config,
            _retried: true,
            headers: { ...config.headers, Authorization: `Bearer ${access}` },
          });
        } catch (refreshError) {
          endSession(
            refreshError?.code === 'account_disabled'
              ? refreshError.message
              : SESSION_EXPIRED_MESSAGE,
          );
          throw apiError;
        }
      }
      // Revoked, invalid or still expired after a refresh: this session is over.
      endSession(SESSION_EXPIRED_MESSAGE);
    }
    throw apiError;
  },
);

/** Per-field messages from a 422 `details` object as {field: "first message"}. */
export function fieldErrors(error) {
  const details = error?.details;
  if (!details || typeof details !== 'object') return {};
  return Object.fromEntries(
    Object.entries(details).map(([field, messages]) => [
      field,
      Array.isArray(messages) ? messages.join(' ') : String(messages),
    ]),
  );
}
