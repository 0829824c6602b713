// A student's JupyterLab session, opened the way a student opens it: Connect on the
// dashboard, JupyterLab in a new tab, a Python kernel evaluating 6*7 over the
// WebSocket. Anyone else is refused; after the end the URL says "ended" and the
// container is gone.
//
// Two setups run this same file:
//   - the embedded default (`make run`: one controller process, its local agent on
//     the real Docker engine, the session reached directly with its secret), when
//     SESSION_E2E_BASE_URL is unset;
//   - the compose stack through Traefik (tests/deploy/smoke.sh sets
//     SESSION_E2E_BASE_URL and the admin's credentials; the owner check is Traefik's
//     forwardAuth to the controller).
// Every request goes to 127.0.0.1 (the harness's browser aborts anything else).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN,
  apiClient,
  fetchKeptAlive,
  freePort,
  missingPrerequisite,
  openBrowser,
  screenshot,
  signIn,
  startController,
} from './harness.mjs';

const CI = process.env.CI === 'true';
const STACK_BASE = process.env.SESSION_E2E_BASE_URL || '';
const MODE = STACK_BASE ? 'stack' : 'embedded';
const IMAGE = 'lab/jupyterlab:latest';
const LEAD_MS = 25_000; // the booking starts this long after it is made
const SESSION_MS = 150_000; // and lasts this long (JupyterLab answers ~7 s after the start here)
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const admin = STACK_BASE
  ? {
      username: process.env.SESSION_E2E_ADMIN_USER,
      password: process.env.SESSION_E2E_ADMIN_PASSWORD,
    }
  : ADMIN;

function docker(...args) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** What this test lacks on this machine, or null. */
function missing() {
  const base = missingPrerequisite();
  if (base) return base;
  try {
    docker('info', '--format', '{{.ServerVersion}}');
  } catch {
    return 'no Docker engine answers';
  }
  try {
    docker('image', 'inspect', IMAGE);
  } catch {
    return `${IMAGE} is not built (make image-jupyterlab)`;
  }
  return null;
}

const lacking = missing();
if (lacking && CI) {
  test(`JupyterLab session prerequisites are present (${MODE})`, () => assert.fail(lacking));
}

const credentials = ({ username, password }) => ({ username, password });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** In a JupyterLab page: open a Python console, evaluate 6*7, wait for 42. */
async function runSixTimesSeven(lab) {
  await lab.locator('.jp-LauncherCard[data-category="Console"]').first().click();
  const input = lab.locator('.jp-CodeConsole-input .cm-content').first();
  await input.waitFor();
  // The kernel is up (its WebSocket connected) when the status bar says idle.
  await lab
    .getByText(/Python 3 \(ipykernel\) \| Idle/)
    .first()
    .waitFor();
  await input.click();
  await lab.keyboard.type('6*7');
  await lab.keyboard.press('Shift+Enter');
  await lab
    .locator('.jp-CodeConsole-content .jp-OutputArea-output')
    .filter({ hasText: /^\s*42\s*$/ })
    .first()
    .waitFor();
}

describe(`a JupyterLab session in Chromium (${MODE})`, { skip: lacking || false }, () => {
  let controller; // embedded only
  let base;
  let api;
  let owner;
  let other;
  let anonymous;
  let booking;
  const students = ['owner', 'other'].map((role) => ({
    username: `${role}_${Date.now() % 1_000_000}`,
    email: `${role}@uni.example`,
    password: `pw-${role}-correct-9`,
  }));

  before(async () => {
    if (STACK_BASE) {
      base = STACK_BASE;
      api = apiClient(base);
    } else {
      controller = await startController({
        env: {
          LOCAL_AGENT: 'true',
          LOCAL_AGENT_PORT: String(await freePort()),
          SCHEDULER_ENABLED: 'true',
          BOOKING_MIN_MINUTES: '0',
          SESSION_PROXY: 'direct',
        },
      });
      ({ base, api } = controller);
    }
    for (const student of students) await api('POST', '/auth/register', { body: student });
    owner = await openBrowser({ viewport: DESKTOP });
    other = await openBrowser({ viewport: DESKTOP });
    anonymous = await openBrowser({ viewport: DESKTOP });
  });

  after(async () => {
    for (const browser of [owner, other, anonymous]) await browser?.close();
    await controller?.stop();
    if (booking?.containerName) {
      try {
        docker('rm', '-f', booking.containerName);
      } catch {
        // already gone, as it should be
      }
    }
  });

  test('the student books JupyterLab and an admin approves it onto a node that has the image', async () => {
    const { access_token: token } = await api('POST', '/auth/login', {
      body: credentials(students[0]),
    });
    const options = await api('GET', '/student/options', { token });
    const offered = options.images.find((image) => image.name === IMAGE);
    assert.ok(offered?.available, `the form offers ${IMAGE}: ${JSON.stringify(options.images)}`);
    const start = Date.now() + LEAD_MS;
    booking = await api('POST', '/student/book', {
      token,
      body: {
        start_time: iso(start),
        end_time: iso(start + SESSION_MS),
        cpu_cores: 1,
        memory_gb: 1,
        image: IMAGE,
        purpose: 'JupyterLab end to end',
      },
    });
    const { access_token: adminToken } = await api('POST', '/auth/login', { body: admin });
    const approved = await api('POST', `/admin/approve/${booking.id}`, {
      token: adminToken,
      body: {},
    });
    assert.equal(approved.status, 'approved');
    booking = { ...booking, startMs: Date.parse(approved.start_time) };
  });

  test('at the start the owner clicks Connect and a Python kernel in JupyterLab answers 6*7', async () => {
    const { page, context } = owner;
    let lab;
    let stepContext = () => '';
    const since = () => ((Date.now() - booking.startMs) / 1000).toFixed(1);
    // Each step is named in a failure, with the booking's state and the page it was on
    // (a failure in CI leaves only this output).
    const step = async (name, action) => {
      try {
        return await action();
      } catch (error) {
        const where = lab ?? page;
        const state = await bookingState().catch((e) => `unknown (${e.message})`);
        await screenshot(where, `session-jupyterlab-${MODE}-failure`).catch(() => {});
        const text = await where.evaluate(() => document.body?.innerText ?? '').catch(() => '');
        const why =
          `${name} (${since()} s after the start; booking ${state}; at ${where.url()}; ` +
          `the page says: ${JSON.stringify(text.replace(/\s+/g, ' ').slice(0, 160))}${stepContext()})`;
        // One line that CI's tail keeps (tests/deploy/smoke.sh says it again last).
        console.log(`# why: ${why}`);
        throw new Error(`${why}: ${error.message}`, { cause: error });
      }
    };
    const bookingState = async () => {
      const { access_token: token } = await api('POST', '/auth/login', {
        body: credentials(students[0]),
      });
      const mine = await api('GET', `/student/bookings/${booking.id}`, { token });
      const session = await api('GET', `/student/bookings/${booking.id}/session`, { token });
      return `${mine.status}, session ${session.state}`;
    };
    await step('signing in', async () => {
      await signIn(page, base, students[0]);
      await page.waitForURL(`${base}/`);
    });
    const card = page.getByRole('listitem', { name: new RegExp(`Booking ${booking.id}\\b`) });
    // On a slow machine the start may already have passed when the dashboard shows.
    await step('the card counting down', () =>
      card.getByText(/starts in|starting now|ends in/).waitFor({ timeout: LEAD_MS + 30_000 }),
    );
    // The dashboard refreshes by itself around the start: no reload.
    const connect = card.getByRole('link', { name: 'Connect' });
    await step('Connect shown', () => connect.waitFor({ timeout: LEAD_MS + 60_000 }));
    const connectedAfterStart = (Date.now() - booking.startMs) / 1000;
    // Its container's name (booking-<controller id>-<id>), for the last test and the clean-up.
    const { access_token: token } = await api('POST', '/auth/login', {
      body: credentials(students[0]),
    });
    booking.containerName = (
      await api('GET', `/student/bookings/${booking.id}`, { token })
    ).container_name;
    assert.match(booking.containerName, new RegExp(`^booking-[A-Za-z0-9]+-${booking.id}$`));
    // Ending within 30 minutes: the banner warns with no reload either (the
    // dashboard's own refresh is every 30 s; the banner follows the start at once).
    await step('the ending-soon banner', () =>
      page
        .getByText(new RegExp(`Your session #${booking.id} ends in`))
        .waitFor({ timeout: 20_000 }),
    );
    await screenshot(page, `session-connect-${MODE}-desktop`);
    await page.setViewportSize(PHONE);
    await screenshot(page, `session-connect-${MODE}-phone`);
    await page.setViewportSize(DESKTOP);

    // What the new tab met on its way to JupyterLab: each page load's status, and
    // any request of it that failed (said in a failure and after a pass).
    const seen = [];
    const fromDashboard = (request) => {
      try {
        return request.frame().page() === page;
      } catch {
        return false; // a service worker's request has no frame
      }
    };
    context.on('response', (response) => {
      const request = response.request();
      if (fromDashboard(request)) return;
      if (request.isNavigationRequest() || response.status() >= 400) {
        seen.push(`${since()} s ${response.status()} ${new URL(response.url()).pathname}`);
      }
    });
    context.on('requestfailed', (request) => {
      if (fromDashboard(request)) return;
      seen.push(
        `${since()} s failed ${new URL(request.url()).pathname}: ${request.failure()?.errorText}`,
      );
    });
    stepContext = () => `; the new tab met: ${seen.slice(-12).join(' | ') || 'nothing'}`;
    [lab] = await step('JupyterLab opening in a new tab', () =>
      Promise.all([context.waitForEvent('page'), connect.click()]),
    );
    lab.setDefaultTimeout(60_000);
    const launcherCard = lab.locator('.jp-LauncherCard[data-category="Console"]').first();
    await step("JupyterLab's launcher", () => launcherCard.waitFor());
    const answeringAfterStart = (Date.now() - booking.startMs) / 1000;
    assert.match(new URL(lab.url()).pathname, new RegExp(`^/sessions/${booking.id}/lab`));
    await step('a Python console evaluating 6*7', () => runSixTimesSeven(lab));
    console.log(
      `# ${MODE}: Connect shown ${connectedAfterStart.toFixed(1)} s after the start time; ` +
        `JupyterLab answered ${answeringAfterStart.toFixed(1)} s after it; ` +
        `the new tab met: ${seen.slice(0, 12).join(' | ')}`,
    );
    await screenshot(lab, `session-jupyterlab-${MODE}-desktop`);
    // On a phone: the same page at 390 px, the file browser folded away as a student would.
    await lab.setViewportSize(PHONE);
    await lab.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current').first().click();
    await screenshot(lab, `session-jupyterlab-${MODE}-phone`);
    await lab.close();
  });

  test('another student is refused with a clear page, and so is the anonymous browser', async () => {
    const sessionUrl = `${base}/sessions/${booking.id}/`;
    const { page } = other;
    await signIn(page, base, students[1]);
    await page.waitForURL(`${base}/`);
    const refused = await page.goto(sessionUrl);
    assert.equal(refused.status(), 403);
    await page.getByRole('heading', { name: 'Not your session' }).waitFor();
    assert.equal(await page.locator('.jp-LabShell').count(), 0);
    await screenshot(page, `session-refused-${MODE}-desktop`);
    await page.setViewportSize(PHONE);
    await screenshot(page, `session-refused-${MODE}-phone`);

    await anonymous.page.goto(sessionUrl);
    await anonymous.page.waitForURL(/\/login\?next=/);
    await anonymous.page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await anonymous.page.locator('.jp-LabShell').count(), 0);

    if (MODE === 'embedded') {
      // Direct mode: the node's port is reachable, but without the session's secret
      // Jupyter answers nothing useful.
      const { access_token: token } = await api('POST', '/auth/login', {
        body: credentials(students[0]),
      });
      const session = await api('GET', `/student/bookings/${booking.id}/session`, { token });
      const node = new URL(session.connect_url);
      const kernels = await fetch(`${node.origin}/sessions/${booking.id}/api/kernels`);
      assert.equal(kernels.status, 403);
      const { access_token: otherToken } = await api('POST', '/auth/login', {
        body: credentials(students[1]),
      });
      const res = await fetchKeptAlive(`${base}/api/student/bookings/${booking.id}/session`, {
        headers: { Authorization: `Bearer ${otherToken}` },
      });
      assert.equal(res.status, 404);
    }
  });

  test('after the end the URL says the session ended and its container is gone', async () => {
    const endMs = booking.startMs + SESSION_MS;
    await sleep(Math.max(0, endMs - Date.now()));
    const { page } = owner;
    const sessionUrl = `${base}/sessions/${booking.id}/`;
    const deadline = Date.now() + 60_000;
    let status = 0;
    while (Date.now() < deadline) {
      try {
        status = (await page.goto(sessionUrl)).status();
      } catch (error) {
        // Seen once on a loaded machine: a reset connection. Polling goes on; it is logged.
        console.log(`# ${MODE}: ${sessionUrl}: ${error.message.split('\n')[0]}`);
      }
      if (status === 410) break;
      await sleep(2_000);
    }
    assert.equal(status, 410);
    await page.getByRole('heading', { name: 'Ended' }).waitFor();
    let left = booking.containerName;
    while (Date.now() < deadline) {
      left = docker('ps', '-aq', '--filter', `name=^${booking.containerName}$`).trim();
      if (!left) break;
      await sleep(1_000);
    }
    assert.equal(left, '', `container ${booking.containerName} is gone`);
  });
});
