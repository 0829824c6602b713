// The earliest-slot finder in a real browser against the real controller: the form
// offers the nearest windows after a full one and the earliest overall; one click
// fills the window in, and the student books the suggested earliest slot.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN,
  missingPrerequisite,
  openBrowser,
  screenshot,
  signIn,
  startController,
} from './harness.mjs';

const missing = missingPrerequisite();
const CI = process.env.CI === 'true';
const TZ = 'Europe/Berlin';
const HOUR = 3_600_000;

/** "YYYY-MM-DD" and "HH:MM" of `date` in Berlin. */
const localDate = (date) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: TZ,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(date);
const localTime = (date) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: TZ,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);

if (missing && CI) {
  test('end-to-end prerequisites are present', () => assert.fail(missing));
}

describe('earliest slot in Chromium', { skip: missing ? missing : false }, () => {
  let controller;
  let blockStart;
  let blockEnd;
  const browsers = [];
  const url = (path) => `${controller.base}${path}`;
  const student = { username: `slotter_${Date.now() % 100000}`, password: 'correct-horse-9' };

  const signInStudent = async (page) => {
    await signIn(page, controller.base, student);
    await page.waitForURL(url('/'));
  };

  /** Ask for a Large (8-core) booking of 2 h starting when the node is full. */
  const chooseFullWindow = async (page) => {
    await page.getByLabel('Date').fill(localDate(blockStart));
    await page.getByLabel('Start time').fill(localTime(blockStart));
    await page.getByLabel(/^Duration/).fill('2');
    await page.getByRole('button', { name: /^Large/ }).click();
    await page
      .getByTestId('availability')
      .getByText(/No node has room/)
      .waitFor();
    await page.getByText('Nearest that fit:').waitFor();
  };

  before(async () => {
    controller = await startController();
    const { access_token: adminToken } = await controller.api('POST', '/auth/login', {
      body: ADMIN,
    });
    const node = await controller.api('POST', '/admin/agents', {
      token: adminToken,
      body: { name: 'node-a', url: 'http://127.0.0.1:9', cpu_cores: 8, memory_gb: 32 },
    });
    // Another student fills the only node for 4 hours tomorrow; pinned (approved onto it).
    const other = {
      username: `blocker_${Date.now() % 100000}`,
      email: 'b@uni.example',
      password: 'correct-horse-9',
    };
    await controller.api('POST', '/auth/register', { body: other });
    const { access_token: otherToken } = await controller.api('POST', '/auth/login', {
      body: { username: other.username, password: other.password },
    });
    blockStart = new Date(Math.ceil((Date.now() + 26 * HOUR) / HOUR) * HOUR);
    blockEnd = new Date(blockStart.getTime() + 4 * HOUR);
    const blocker = await controller.api('POST', '/student/book', {
      token: otherToken,
      body: {
        start_time: blockStart.toISOString(),
        end_time: blockEnd.toISOString(),
        cpu_cores: 8,
        memory_gb: 16,
      },
    });
    await controller.api('POST', `/admin/approve/${blocker.id}`, {
      token: adminToken,
      body: { agent_id: node.id },
    });
    await controller.api('POST', '/auth/register', {
      body: { ...student, email: 's@uni.example' },
    });
  });

  after(async () => {
    for (const b of browsers) await b.close();
    await controller?.stop();
  });

  test('a full window offers the nearest one after it, and one click takes it', async () => {
    const b = await openBrowser({ viewport: { width: 1280, height: 900 }, timezoneId: TZ });
    browsers.push(b);
    const { page } = b;
    await signInStudent(page);
    await chooseFullWindow(page);
    await screenshot(page, 'earliest-slot-desktop');
    const nearest = page.getByText('Nearest that fit:').locator('..');
    await nearest.getByRole('button').first().click();
    assert.equal(await page.getByLabel('Start time').inputValue(), localTime(blockEnd));
    assert.equal(await page.getByLabel('Date').inputValue(), localDate(blockEnd));
    await page
      .getByTestId('availability')
      .getByText(/could fit/)
      .waitFor();
    assert.deepEqual(b.problems, []);
  });

  test('the student books the suggested earliest slot', async () => {
    const { page } = browsers[0];
    const before = Date.now();
    await page
      .getByTestId('earliest-slot')
      .getByText('Earliest:')
      .locator('..')
      .getByRole('button')
      .click();
    await page
      .getByTestId('availability')
      .getByText(/could fit/)
      .waitFor();
    await page.getByRole('button', { name: 'Request booking' }).click();
    await page.getByText(/Booking #\d+ requested/).waitFor();
    const token = await page.evaluate(() => localStorage.getItem('booking.access_token'));
    const { items } = await controller.api('GET', '/student/bookings', { token });
    assert.equal(items.length, 1);
    const start = new Date(items[0].start_time).getTime();
    // The lab is free now: the earliest window starts within the next few minutes.
    assert.ok(start > before - 60_000 && start < before + 10 * 60_000, items[0].start_time);
    assert.equal(items[0].cpu_cores, 8);
  });

  test('the offer fits a 390 px phone', async () => {
    const b = await openBrowser({ viewport: { width: 390, height: 844 }, timezoneId: TZ });
    browsers.push(b);
    await signInStudent(b.page);
    await chooseFullWindow(b.page);
    const overflow = await b.page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await screenshot(b.page, 'earliest-slot-phone');
  });
});
