import { ApiError } from '@/lib/api-client';

/**
 * Answer the stubbed client's calls from a table: {'GET /student/options': data,
 * 'POST /student/book': ({body}) => data}. A handler may throw an ApiError.
 */
export function routeApi(api, handlers) {
  for (const method of ['get', 'post', 'patch', 'put', 'delete']) {
    if (!api[method]) continue;
    api[method].mockImplementation(async (url, bodyOrConfig, maybeConfig) => {
      const key = `${method.toUpperCase()} ${url}`;
      const handler = handlers[key];
      if (handler === undefined) {
        throw new ApiError({ status: 404, code: 'not_found', message: `No stub for ${key}` });
      }
      const noBody = method === 'get' || method === 'delete';
      const body = noBody ? undefined : bodyOrConfig;
      const config = noBody ? bodyOrConfig : maybeConfig;
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

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
const HOUR = 3_600_000;

// What the API answers in `actions` for each status (controller/services/workflow.py); a
// test that needs another answer passes `actions` itself.
const ACTIONS = {
  admin: {
    pending: ['approve', 'reject', 'cancel'],
    approved: ['extend', 'cancel'],
    active: ['extend', 'cancel'],
  },
  student: { pending: ['cancel'], approved: ['extend', 'cancel'], active: ['extend'] },
};

/** A booking as the API shows it to `role`, two hours from now unless `extra` says else. */
export function bookingFixture(id, status, { role = 'admin', ...extra } = {}) {
  const now = Date.now();
  return {
    id,
    status,
    actions: ACTIONS[role][status] || [],
    start_time: iso(now + 2 * HOUR + 30_000),
    end_time: iso(now + 4 * HOUR),
    cpu_cores: 2,
    memory_gb: 4,
    gpu_count: 0,
    image: 'jupyter/base-notebook:latest',
    purpose: null,
    agent_id: null,
    agent_name: null,
    rejection_reason: null,
    failure_reason: null,
    access_host: null,
    access_port: null,
    at_risk: false,
    pending_extension: null,
    ...(role === 'admin'
      ? { user_id: 10 + id, username: `student${id}`, created_at: iso(now - HOUR) }
      : {}),
    ...extra,
  };
}

/** GET /student/options as the API answers it, with every limit it enforces. */
export const optionsFixture = {
  images: [
    { name: 'jupyter/base-notebook:latest', port: 8888, available: true },
    { name: 'lab/ssh:latest', port: 22, available: true },
  ],
  default_image: 'jupyter/base-notebook:latest',
  limits: {
    min_cpu_cores: 1,
    max_cpu_cores: 16,
    min_memory_gb: 0.5,
    max_memory_gb: 64,
    max_gpu_count: 2,
    min_duration_minutes: 15,
    max_duration_hours: 72,
    horizon_days: 30,
  },
  presets: [
    { name: 'Small', cpu_cores: 2, memory_gb: 4, gpu_count: 0 },
    { name: 'GPU', cpu_cores: 4, memory_gb: 16, gpu_count: 1 },
  ],
};
