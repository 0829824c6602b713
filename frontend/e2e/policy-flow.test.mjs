// Policies in a real browser against the real controller (issue 14): an admin
// lets the default policy approve small bookings; a student's booking is approved
// with no admin click; the student's request for more time beyond the policy
// waits in the admins' queue, an admin approves it, and the student sees it.
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
const STUDENT = { username: 'polly', email: 'polly@uni.example', password: 'correct-horse-9' };

/** "YYYY-MM-DD" of the day `offset` days from now, in UTC (the browsers here run in UTC). */
const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

if (missing && CI) {
  test('end-to-end prerequisites are present', () => assert.fail(missing));
}

describe('policies in Chromium', { skip: missing ? missing : false }, () => {
  let controller;
  let student;
  let admin;
  let adminToken;
  const url = (path) => `${controller.base}${path}`;

  const signInAs = (page, who) => signIn(page, controller.base, who);

  before(async () => {
    controller = await startController();
    adminToken = (await controller.api('POST', '/auth/login', { body: ADMIN })).access_token;
    await controller.api('POST', '/admin/agents', {
      token: adminToken,
      body: {
        name: 'node-a',
        url: 'http://127.0.0.1:9',
        cpu_cores: 16,
        memory_gb: 64,
        status: 'online',
      },
    });
    await controller.api('POST', '/auth/register', { body: STUDENT });
    student = await openBrowser({ timezoneId: 'UTC' });
    admin = await openBrowser({ timezoneId: 'UTC' });
  });

  after(async () => {
    await student?.close();
    await admin?.close();
    await controller?.stop();
  });

  test('an admin lets the default policy approve bookings of up to 4 cores and 4 hours', async () => {
    const { page } = admin;
    await signInAs(page, ADMIN);
    await page.waitForURL(url('/admin'));
    await page.getByRole('link', { name: 'Policies' }).first().click();
    const form = page.getByRole('form', { name: 'Edit policy default' });
    await form.getByLabel('Duration (hours)').first().fill('4');
    await form.getByRole('checkbox').check();
    await form.getByLabel('CPU cores').nth(1).fill('4');
    await form.getByLabel('Duration (hours)').nth(1).fill('4');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy default saved.').waitFor();
    await screenshot(page, 'admin-policies-desktop');
    const { items } = await controller.api('GET', '/admin/policies', { token: adminToken });
    assert.equal(items[0].auto_approve, true);
    assert.equal(items[0].auto_max_cpu_cores, 4);
    assert.equal(items[0].max_duration_hours, 4);
  });

  test('a small booking is approved at once, with no admin click', async () => {
    const { page } = student;
    await signInAs(page, STUDENT);
    await page.waitForURL(url('/'));
    const quota = page.getByRole('region', { name: 'Your quota' });
    await quota.getByText(/approved at once when a node has room/).waitFor();
    await page.getByLabel('Date').fill(day(1));
    await page.getByLabel('Start time').fill('10:00');
    await page.getByLabel(/^Duration/).fill('2');
    await page.getByRole('button', { name: /^Small/ }).click();
    await page.getByRole('button', { name: 'Request booking' }).click();
    const card = page.getByRole('listitem', { name: /Booking \d+/ }).first();
    await card.getByText('approved').waitFor();
    await card.getByText(/on node-a/).waitFor();
    const { items } = await controller.api('GET', '/admin/bookings', { token: adminToken });
    assert.equal(items.length, 1);
    assert.equal(items[0].status, 'approved');
    assert.equal(items[0].approved_by_policy, 'default');
    assert.equal(items[0].approved_by, null);
    await screenshot(page, 'student-auto-approved-desktop');
  });

  test('more time beyond the policy waits for an admin, who approves it; the student sees it', async () => {
    const { page } = student;
    const card = page.getByRole('listitem', { name: /Booking \d+/ }).first();
    await card.getByRole('button', { name: 'Request more time' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('How much longer').selectOption('240');
    await dialog.getByLabel('Why (optional)').fill('the last epochs');
    await dialog.getByRole('button', { name: 'Ask for 4 hours' }).click();
    await dialog
      .getByText(/Sent to the admins: .*at most 4 hours; this one would last 6/)
      .waitFor();
    // The answer stays open over the card, which now shows the waiting request.
    await page.getByRole('status', { name: 'Extension request' }).waitFor();
    await screenshot(page, 'extension-answer-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'extension-answer-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page
      .getByRole('listitem', { name: /Extension request \d+/ })
      .getByText('pending')
      .waitFor();
    await card.getByText(/10:00 AM – 12:00 PM/).waitFor();

    const adminPage = admin.page;
    await adminPage.getByRole('link', { name: 'Bookings' }).first().click();
    const request = adminPage.getByRole('listitem', { name: /Extension request \d+/ });
    await request.getByText(/the last epochs/).waitFor();
    await screenshot(adminPage, 'admin-extension-queue-desktop');
    await request.getByRole('button', { name: 'Approve' }).click();
    await adminPage.getByText(/now ends at 0?4:00 PM/).waitFor();
    await request.waitFor({ state: 'detached' });

    await page.reload();
    await page
      .getByRole('listitem', { name: /Extension request \d+/ })
      .getByText('approved')
      .waitFor();
    await page
      .getByRole('listitem', { name: /Booking \d+/ })
      .first()
      .getByText(/10:00 AM – 0?4:00 PM/)
      .waitFor();
  });

  test('no page threw or broke the content security policy', () => {
    assert.deepEqual([...student.problems, ...admin.problems], []);
  });
});
