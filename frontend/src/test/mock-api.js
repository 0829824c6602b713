import { ApiError } from '@/lib/api-client';

/**
 * Answer the stubbed client's calls from a table: {'GET /student/options': data,
 * 'POST /student/book': ({body}) => data}. A handler may throw an ApiError.
 */
export function routeApi(api, handlers) {
  for (const method of ['get', 'post', 'patch']) {
    api[method].mockImplementation(async (url, bodyOrConfig, maybeConfig) => {
      const key = `${method.toUpperCase()} ${url}`;
      const handler = handlers[key];
      if (handler === undefined) {
        throw new ApiError({ status: 404, code: 'not_found', message: `No stub for ${key}` });
      }
      const body = method === 'get' ? undefined : bodyOrConfig;
      const config = method === 'get' ? bodyOrConfig : maybeConfig;
      const data =
        typeof handler === 'function'
          ? await handler({ body, params: config?.params || {} })
          : handler;
      return { data };
    });
  }
}

export const apiError = (status, code, message, details = {}) =>
  new ApiError({ status, code, message, details });
