// The whole loop in a real browser against the real controller:
// a student registers and books, an admin approves and rejects, the student sees both.
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
const STUDENT = {
  username: `alice_${Date.now() % 100000}`,
  email: 'alice@uni.example',
  password: 'correct-horse-9',
};
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** "YYYY-MM-DD" of a day `offset` days from now in the browser's time zone. */
function dayInTz(offset) {
  const d = new Date(Date.now() + offset * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: TZ,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(d);
}

/** The student requests a Small booking `dayOffset` days ahead at `time`; returns its id. */
async function requestSmall(page, dayOffset, time) {
  await page.getByLabel('Date').fill(dayInTz(dayOffset));
  await page.getByLabel('Start time').fill(time);
  await page.getByRole('button', { name: /^Small/ }).click();
  await page.getByRole('button', { name: 'Request booking' }).click();
  const requested = await page
    .getByText(/Booking #\d+ requested/)
    .first()
    .textContent();
  return requested.match(/#(\d+)/)[1];
}

// Under CI a missing browser or controller is a failure, never a skip.
if (missing && CI) {
  test('end-to-end prerequisites are present', () => assert.fail(missing));
}

describe('booking flow in Chromium', { skip: missing ? missing : false }, () => {
  let controller;
  let student;
  let admin;
  let node;
  const url = (path) => `${controller.base}${path}`;

  before(async () => {
    controller = await startController();
    const { access_token } = await controller.api('POST', '/auth/login', { body: ADMIN });
    node = await controller.api('POST', '/admin/agents', {
      token: access_token,
      body: {
        name: 'node-a',
        url: 'http://127.0.0.1:9',
        cpu_cores: 16,
        memory_gb: 64,
        gpu_count: 1,
        tags: ['a100'],
      },
    });
    await controller.api('POST', '/admin/agents', {
      token: access_token,
      // Two GPUs on the smaller node: 16 cores and 2 GPUs are each within the limits,
      // but no single node holds both.
      body: {
        name: 'node-b',
        url: 'http://127.0.0.1:10',
        cpu_cores: 8,
        memory_gb: 32,
        gpu_count: 2,
      },
    });
    student = await openBrowser({ viewport: DESKTOP, timezoneId: TZ });
    admin = await openBrowser({ viewport: DESKTOP, timezoneId: TZ });
  });

  after(async () => {
    await student?.close();
    await admin?.close();
    await controller?.stop();
  });

  test('a student registers with validation as they type', async () => {
    const { page } = student;
    await page.goto(url('/'));
    await page.waitForURL('**/login');
    await screenshot(page, 'login-desktop');
    await page.getByRole('link', { name: /create a student account/i }).click();
    await page.getByLabel('Username').fill('al');
    await page.getByText('Usernames have at least 3 characters.').waitFor();
    await page.getByLabel('Username').fill(STUDENT.username);
    await page.getByLabel('University email').fill(STUDENT.email);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByText(/Passwords have at least 8 characters/).waitFor();
    await page.getByLabel('Password', { exact: true }).fill(STUDENT.password);
    await page.getByLabel('Repeat password').fill(STUDENT.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(url('/'));
    await page.getByRole('heading', { name: new RegExp(`Hi ${STUDENT.username}`) }).waitFor();
  });

  test('the student books in local time and sees availability first', async () => {
    const { page } = student;
    await page.getByLabel('Date').fill(dayInTz(1));
    await page.getByLabel('Start time').fill('10:00');
    // The shortest booking is the API's (BOOKING_MIN_MINUTES, 15 by default).
    const duration = page.getByLabel(/^Duration/);
    await duration.fill('0.1667');
    await page.getByRole('button', { name: 'Request booking' }).click();
    await page.getByText('At least 15 minutes.').waitFor();
    await duration.fill('2');
    await page.getByText(/15 min – 72 h/).waitFor();
    await page.getByRole('button', { name: /^Medium/ }).click();
    await page.getByLabel('Purpose').fill('Thesis experiments');
    await page
      .getByTestId('availability')
      .getByText(/nodes? could fit/)
      .waitFor();
    await page.getByRole('button', { name: 'Request booking' }).click();
    await page.getByText(/Booking #\d+ requested/).waitFor();
    const card = page.getByRole('listitem', { name: /Booking \d+/ }).first();
    await card.getByText('pending').waitFor();
    await card.getByText(/starts in/).waitFor();

    const token = await page.evaluate(() => localStorage.getItem('booking.access_token'));
    const { items } = await controller.api('GET', '/student/bookings', { token });
    assert.equal(items.length, 1);
    // 10:00 in Berlin in winter is 09:00 UTC (08:00 in summer).
    assert.match(items[0].start_time, /^\d{4}-\d\d-\d\dT0[89]:00:00\+00:00$/);
    assert.equal(items[0].cpu_cores, 4);
    assert.equal(items[0].purpose, 'Thesis experiments');
    await screenshot(page, 'student-desktop');
  });

  test("a request no single node can hold shows the API's reason", async () => {
    const { page } = student;
    await page.getByLabel('Date').fill(dayInTz(3));
    await page.getByLabel('Start time').fill('10:00');
    await page.getByLabel('CPU cores').fill('16');
    await page.getByLabel('GPUs').fill('2');
    await page.getByRole('button', { name: 'Request booking' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('No single node can hold the whole request.').waitFor();
    assert.equal(await alert.getByText('_schema').count(), 0);
    await screenshot(page, 'student-no-single-node-desktop');
  });

  test('a student cannot reach the admin pages', async () => {
    const { page } = student;
    for (const path of ['/admin', '/admin/bookings', '/admin/nodes']) {
      await page.goto(url(path));
      await page.waitForURL(url('/'));
      assert.equal(await page.getByRole('navigation', { name: 'Admin sections' }).count(), 0);
    }
  });

  test('an admin signs in, lands on /admin and approves onto a chosen node', async () => {
    const { page } = admin;
    await signIn(page, controller.base, ADMIN);
    await page.waitForURL(url('/admin'));
    await page.getByText('Waiting for approval').waitFor();
    await page
      .getByRole('grid', { name: 'Bookings per node this week' })
      .getByText('Unassigned')
      .waitFor();

    await page.getByRole('link', { name: 'Bookings' }).click();
    await page.getByRole('button', { name: /Approve booking \d+/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Node').selectOption(String(node.id));
    await screenshot(page, 'admin-approve-dialog-desktop');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/approved on node-a/).waitFor();
    await page.locator('tbody tr', { hasText: 'node-a' }).getByText('approved').waitFor();

    // The booking's history, from GET /api/admin/bookings/<id>.
    await page
      .getByRole('button', { name: /Details of booking \d+/ })
      .first()
      .click();
    const details = page.getByRole('dialog');
    await details.getByRole('heading', { name: 'History' }).waitFor();
    await details.getByText(/pending → approved/).waitFor();
    await details.getByRole('button', { name: /^Extend booking \d+$/ }).waitFor();
    await details.getByRole('button', { name: /^Cancel booking \d+$/ }).waitFor();
    assert.equal(await details.getByRole('button', { name: /^Approve booking/ }).count(), 0);
    await screenshot(page, 'admin-details-desktop');
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('button', { name: /booking \d+, approved/ }).waitFor();
    // The e2e controller runs with SCHEDULER_ENABLED=false: the panel says so.
    const scheduler = page.getByRole('region', { name: 'Scheduler' });
    await scheduler.getByText('The scheduler is off').waitFor();
    await scheduler.getByText('1 approved booking is waiting to start.').waitFor();
    assert.equal(await scheduler.getByRole('listitem', { name: /^Job / }).count(), 0);
    await screenshot(page, 'admin-overview-desktop');
  });

  test('the student sees the approval after a reload (session kept)', async () => {
    const { page } = student;
    await page.goto(url('/'));
    const card = page.getByRole('listitem', { name: /Booking \d+/ }).first();
    await card.getByText('approved').waitFor();
    await card.getByText(/on node-a/).waitFor();
  });

  test('a rejection shows its reason to the student', async () => {
    const { page } = student;
    await requestSmall(page, 2, '14:00');

    const a = admin.page;
    await a.goto(url('/admin/bookings'));
    await a.getByLabel('Status').selectOption('pending');
    await a.getByRole('button', { name: /Reject booking \d+/ }).click();
    const dialog = a.getByRole('dialog');
    await dialog
      .getByRole('textbox', { name: /^Reason/ })
      .fill('The lab is closed for a workshop that afternoon');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await a.getByText(/Booking #\d+ rejected/).waitFor();
    await a.getByLabel('Status').selectOption('');
    await screenshot(a, 'admin-bookings-desktop');

    await page.reload();
    await page.getByText('The lab is closed for a workshop that afternoon').waitFor();
    await page
      .getByRole('listitem', { name: /Booking \d+/ })
      .getByText('rejected', { exact: true })
      .waitFor();
    await screenshot(page, 'student-desktop-after');
  });

  test("the buttons follow each booking's actions: an admin cancels a pending booking", async () => {
    const { page } = student;
    const id = await requestSmall(page, 4, '11:00');

    const a = admin.page;
    await a.goto(url('/admin/bookings'));
    const row = a.getByRole('row', { name: new RegExp(`#${id}\\b`) });
    await row.getByRole('button', { name: `Approve booking ${id}` }).waitFor();
    const buttons = async (locator) =>
      locator.getByRole('button', { name: /^\w+ booking \d+$/ }).allTextContents();
    assert.deepEqual(await buttons(row), ['Approve', 'Reject', 'Cancel']);

    // Approved, rejected and pending: each action applies to part of the selection.
    await a.getByRole('checkbox', { name: 'Select all bookings on this page' }).check();
    const bar = a.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('3 selected').waitFor();
    assert.deepEqual(await bar.getByRole('button').allTextContents(), [
      'Approve 1 of 3',
      'Reject 1 of 3',
      'Extend 1 of 3',
      'Cancel 2 of 3',
      'Clear',
    ]);
    await screenshot(a, 'admin-bulk-desktop');
    await bar.getByRole('button', { name: 'Clear' }).click();

    await row.getByRole('button', { name: `Cancel booking ${id}` }).click();
    const dialog = a.getByRole('dialog', { name: `Cancel booking #${id}` });
    await dialog.getByLabel(/Note/).fill('Duplicate request');
    await screenshot(a, 'admin-cancel-dialog-desktop');
    await dialog.getByRole('button', { name: 'Cancel booking' }).click();
    await a.getByText(`Booking #${id} cancelled.`).waitFor();
    await row.getByText('cancelled').waitFor();
    assert.deepEqual(await buttons(row), []);

    await page.reload();
    const card = page.getByRole('listitem', { name: `Booking ${id}` });
    await card.getByText('cancelled').waitFor();
    assert.equal(await card.getByRole('button', { name: 'Cancel' }).count(), 0);
  });

  test('the admin sees nodes with usage and can toggle maintenance', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Nodes' }).click();
    const card = page.getByRole('listitem', { name: 'Node node-b' });
    await card.getByRole('switch', { name: 'Maintenance' }).click();
    await card.getByText('maintenance', { exact: true }).waitFor();
    await page.getByText('node-b is in maintenance.').waitFor();
    await screenshot(page, 'admin-nodes-desktop');
  });

  test('dashboards fit a 390 px phone', async () => {
    for (const [b, pages] of [
      [student, [['/', 'student-phone']]],
      [
        admin,
        [
          ['/admin', 'admin-overview-phone'],
          ['/admin/bookings', 'admin-bookings-phone'],
          ['/admin/nodes', 'admin-nodes-phone'],
          ['/admin/users', 'admin-users-phone'],
        ],
      ],
    ]) {
      await b.page.setViewportSize(PHONE);
      for (const [path, name] of pages) {
        await b.page.goto(url(path));
        await b.page.locator('main h1').first().waitFor();
        await b.page.waitForLoadState('networkidle');
        const overflow = await b.page.evaluate(
          () => document.documentElement.scrollWidth - window.innerWidth,
        );
        assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px on a phone`);
        await screenshot(b.page, name);
      }
    }
  });

  test('the booking dialogs and the bulk bar fit a phone', async () => {
    const { page } = admin;
    await page.setViewportSize(PHONE);
    await page.goto(url('/admin/bookings'));
    await page.getByRole('button', { name: 'Details of booking 1' }).click();
    const details = page.getByRole('dialog', { name: 'Booking #1' });
    await details.getByRole('heading', { name: 'History' }).waitFor();
    await screenshot(page, 'admin-details-phone');
    await details.getByRole('button', { name: 'Extend booking 1' }).click();
    const extend = page.getByRole('dialog', { name: 'Extend booking #1' });
    await extend.getByRole('button', { name: 'Extend by 60 min' }).waitFor();
    await screenshot(page, 'admin-extend-dialog-phone');
    await extend.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('checkbox', { name: 'Select all bookings on this page' }).check();
    await page.getByRole('region', { name: 'Bulk actions' }).getByText('3 selected').waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `the bulk bar scrolls sideways by ${overflow}px on a phone`);
    await screenshot(page, 'admin-bulk-phone');
    await page.setViewportSize(DESKTOP);
  });

  test('an admin disables a student, who is signed out at their next action; re-enabling lets them back', async () => {
    const a = admin.page;
    await a.setViewportSize(DESKTOP);
    await a.getByRole('link', { name: 'Users' }).click();
    await a.waitForURL(url('/admin/users'));
    const own = a.getByRole('row', { name: new RegExp(`^${ADMIN.username}`) });
    await own.getByText('you', { exact: true }).waitFor();
    assert.equal(await own.getByRole('button').count(), 0, 'no button on the own row');

    await a.getByLabel('Search by username or email').fill(STUDENT.username.slice(0, 8));
    await a.getByText('1 account match').waitFor();
    const row = a.getByRole('row', { name: new RegExp(`^${STUDENT.username}`) });
    await row.getByText('Active').waitFor();
    // Keyboard only: focus the action, open the dialog with Enter, confirm.
    await row.getByRole('button', { name: `Disable ${STUDENT.username}` }).focus();
    await a.keyboard.press('Enter');
    const dialog = a.getByRole('dialog', { name: `Disable ${STUDENT.username}?` });
    await dialog.getByText(/pending and approved bookings will be cancelled/).waitFor();
    await screenshot(a, 'admin-users-disable-dialog-desktop');
    await dialog.getByRole('button', { name: 'Disable account' }).click();
    await a.getByText(`${STUDENT.username} is disabled`, { exact: false }).waitFor();
    await row.getByText('Disabled').waitFor();
    await a.getByLabel('Search by username or email').fill('');
    await a.getByText('2 accounts in total').waitFor();
    await screenshot(a, 'admin-users-desktop');

    // Their approved booking was cancelled with the account.
    const { access_token } = await controller.api('POST', '/auth/login', { body: ADMIN });
    const { items } = await controller.api('GET', `/admin/bookings?q=${STUDENT.username}`, {
      token: access_token,
    });
    assert.deepEqual(items.map((b) => b.status).sort(), ['cancelled', 'cancelled', 'rejected']);

    // The student's next request ends the session, and signing in again is refused.
    const { page } = student;
    await page.getByLabel('Date').fill(dayInTz(3));
    await page.getByLabel('Start time').fill('09:00'); // the availability check is refused
    await page.waitForURL('**/login');
    await page.getByText('This account is disabled or no longer exists.').waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('booking.access_token')), null);
    await page.getByLabel('Username').fill(STUDENT.username);
    await page.getByLabel('Password', { exact: true }).fill(STUDENT.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This account is disabled; ask a lab administrator.').waitFor();

    await a.getByRole('button', { name: `Enable ${STUDENT.username}` }).click();
    await a.getByText(`${STUDENT.username} can sign in again.`).waitFor();
    await row.getByText('Active').waitFor();

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url('/'));
    await page.getByRole('heading', { name: new RegExp(`Hi ${STUDENT.username}`) }).waitFor();
  });

  test('no page threw or broke the content security policy', () => {
    assert.deepEqual([...student.problems, ...admin.problems], []);
  });

  test('signing out ends the session', async () => {
    const { page } = student;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    await page.getByText('You have signed out.').waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('booking.access_token')), null);
    await page.goto(url('/'));
    await page.waitForURL('**/login');
  });
});
