// Starts the real controller on a fresh Postgres database and drives Debian's Chromium.
// Traffic goes only to 127.0.0.1: the browser aborts every other request.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(FRONTEND, '..');
export const SCREENSHOTS = join(REPO, 'test-artifacts', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PYTHON = join(REPO, '.venv', 'bin', 'python');
// One database per run (runs may overlap on a shared machine); dropped at stop.
const DB_NAME = process.env.E2E_DB_NAME || `booking_e2e_${process.pid}`;
export const ADMIN = { username: 'admin', password: 'e2e-admin-pass-123' };

/** What is missing for the end-to-end run, or null. */
export function missingPrerequisite() {
  if (!existsSync(CHROMIUM)) return `Chromium not found at ${CHROMIUM}`;
  if (!existsSync(join(REPO, 'controller', 'app.py')))
    return 'controller/app.py does not exist yet';
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist (run make venv)`;
  return null;
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

function psql(...commands) {
  const args = ['-h', '127.0.0.1', '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q'];
  for (const c of commands) args.push('-c', c);
  execFileSync('psql', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function waitForHealth(base, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`controller exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('controller did not become healthy in time');
}

/** Sign in through the login page at `base` (the caller waits for where it lands). */
export async function signIn(page, base, { username, password }) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * `fetch`, sent again once when it went out on a kept-alive connection the
 * server had just closed as idle (undici's "other side closed",
 * UND_ERR_SOCKET): gunicorn closes an idle connection after 2 s, Node's fetch
 * keeps one for 4 s, and a request sent in between never reached the app.
 */
export async function fetchKeptAlive(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (error.cause?.code !== 'UND_ERR_SOCKET') throw error;
    return fetch(url, init);
  }
}

/** A JSON client of the API at `base` that throws on any answer but 2xx. */
export function apiClient(base) {
  return async (method, path, { token, body } = {}) => {
    const res = await fetchKeptAlive(`${base}/api${path}`, {
      method,
      headers: {
        'Content-Type': 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(data)}`);
    return data;
  };
}

/** Start the controller; returns {base, stop, api}. `env` overrides the
 * defaults (e.g. the embedded default's local agent and scheduler). */
export async function startController({ env = {} } = {}) {
  if (!existsSync(join(FRONTEND, 'dist', 'index.html'))) {
    execFileSync('npm', ['run', 'build'], { cwd: FRONTEND, stdio: 'inherit' });
  }
  psql(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`, `CREATE DATABASE ${DB_NAME}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  mkdirSync(join(REPO, 'test-artifacts'), { recursive: true });
  const log = createWriteStream(join(REPO, 'test-artifacts', `e2e-controller-${process.pid}.log`));
  const child = spawn(PYTHON, ['-m', 'controller.app'], {
    cwd: REPO,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/${DB_NAME}`,
      JWT_SECRET_KEY: randomBytes(32).toString('hex'),
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      ADMIN_EMAIL: 'admin@lab.example',
      RATELIMIT_ENABLED: 'false',
      SCHEDULER_ENABLED: 'false',
      FRONTEND_DIST: join(FRONTEND, 'dist'),
      LOG_JSON: 'false',
      REDIS_URL: '',
      LOCAL_AGENT: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    try {
      psql(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    } catch {
      // left for the next run's DROP
    }
  };
  try {
    await waitForHealth(base, child);
  } catch (error) {
    await stop();
    throw error;
  }

  const api = apiClient(base);
  return { base, stop, api };
}

/** A browser context with a fresh profile that can only talk to 127.0.0.1. */
export async function openBrowser({ viewport = { width: 1280, height: 800 }, timezoneId } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'booking-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    timezoneId,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  await context.route('**/*', (route) => {
    const { hostname, protocol } = new URL(route.request().url());
    if (protocol === 'data:' || protocol === 'blob:' || hostname === '127.0.0.1')
      return route.continue();
    return route.abort();
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(15_000);
  // Script errors and Content-Security-Policy violations seen by this browser.
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text()))
      problems.push(`CSP: ${message.text()}`);
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, close, problems };
}

export { freePort };

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.mouse.move(0, 0); // no hover tooltips in the picture
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(400); // let transitions settle
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
