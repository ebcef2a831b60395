import { describe, expect, it } from 'vitest';
import { type Mailbox, tokenFromLink } from '../../server/test/support/mailbox.js';
import {
  type Browser,
  expectHeading,
  inBrowser,
  type Page,
  person,
  serverAndBrowserForFile,
  signIn,
  type TestServer,
  textsOf,
  visible,
  WAIT_MS,
} from './harness.js';

// Issue 17's story in a real browser against the real server, whose mail goes to a real SMTP
// server in the test process: sign up → the verification mail arrives → its link, opened in
// the browser, verifies the address → forgot password → the reset mail's link sets a new
// password → only the new one signs in. Then the account page: change the password (other
// sessions end) and the email (confirmed through the new address's mail).

let server: TestServer;
let browser: Browser;
serverAndBrowserForFile((started, launched) => {
  server = started;
  browser = launched;
});

function mailbox(): Mailbox {
  if (!server.mailbox) throw new Error('the test server has no mailbox');
  return server.mailbox;
}

/** The link to `page` (`/verify-email`, …) in the first mail to `to` whose subject has
 * `subject`, once it has arrived; it must point at this server. */
async function linkFromMail(to: string, subject: string, page: string, nth = 0) {
  const mail = await mailbox().waitFor({ to, subject, nth }, WAIT_MS);
  const link = mail.links.find((candidate) => new URL(candidate).pathname === page);
  if (!link) throw new Error(`No ${page} link in "${mail.subject}": ${mail.text}`);
  expect(new URL(link).origin).toBe(server.url);
  expect(tokenFromLink(link)).toMatch(/^tr[vpe]_/);
  return link;
}

/** The notice every signed-in page shows while the email is unverified. */
function verifyNotice(page: Page) {
  return page.getByRole('region', { name: 'Email verification' });
}

/** A form section of the account page, by its heading. */
function section(page: Page, heading: string) {
  return page.getByRole('region', { name: heading, exact: true });
}

/** What the page's live status messages say now. */
function statuses(page: Page) {
  return textsOf(page.getByRole('status'));
}

/** The page's address has no token left in it (the page removed the fragment). */
function expectNoToken(page: Page) {
  expect(page.url()).not.toContain('token');
  expect(new URL(page.url()).hash).toBe('');
}

describe('accounts in the dashboard', () => {
  it('verifies the email from the mail, and resets a forgotten password from the mail', () =>
    inBrowser(browser, server.url, 'verify and reset', async (session) => {
      const ada = person('Ada');
      const page = await session.newPage('ada');

      // Sign up in the browser: the account is made, and the notice asks to verify.
      await page.goto('/sign-up');
      await expectHeading(page, 'Create your Trellis account');
      await page.getByLabel('Name', { exact: true }).fill(ada.name);
      await page.getByLabel('Email', { exact: true }).fill(ada.email);
      await page.getByLabel('Password', { exact: true }).fill(ada.password);
      await page.getByRole('button', { name: 'Sign up', exact: true }).click();
      await expectHeading(page, 'Create your first workspace');
      const notice = await visible(verifyNotice(page));
      expect(await textsOf(notice.getByRole('paragraph'))).toEqual([
        `Verify your email address — we sent a link to ${ada.email}.`,
      ]);
      await session.shot(page, 'unverified');

      // The mail arrived at the SMTP server; its link opens the page that verifies.
      const verifyLink = await linkFromMail(ada.email, 'Verify your email', '/verify-email');
      await page.goto(verifyLink);
      await expectHeading(page, 'Email verified');
      await expect
        .poll(() => statuses(page))
        .toContain(`Thank you: ${ada.email} is confirmed as your account's email address.`);
      expectNoToken(page);
      await session.shot(page, 'verified');
      await page.getByRole('link', { name: 'Go to your dashboard' }).click();
      await expectHeading(page, 'Create your first workspace');
      expect(await verifyNotice(page).count()).toBe(0);

      // The same link a second time: refused, clearly, and the address is already verified.
      await page.goto(verifyLink);
      await expectHeading(page, 'This link did not work');
      await expect
        .poll(() => textsOf(page.getByRole('alert')))
        .toEqual(['This link has already been used; ask for a new one']);
      await visible(page.getByText(`Your address ${ada.email} is already verified.`));
      expectNoToken(page);

      // Signed out, the password is forgotten: "Forgot your password?" mails a link.
      await page.goto('/');
      await expectHeading(page, 'Create your first workspace');
      await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
      await expectHeading(page, 'Sign in to Trellis');
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await expectHeading(page, 'Reset your password');
      await page.getByLabel('Email', { exact: true }).fill(ada.email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await expectHeading(page, 'Check your email');
      await expect
        .poll(() => statuses(page))
        .toEqual([
          `If an account exists for ${ada.email}, we sent it a link to choose a new password. ` +
            'The link works for 1 hour.',
        ]);
      await session.shot(page, 'reset-requested');

      // An address without an account gets the very same answer (and no mail).
      const nobody = person('Nobody').email;
      await page.getByRole('button', { name: 'try another address' }).click();
      await page.getByLabel('Email', { exact: true }).fill(nobody);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await expect
        .poll(() => statuses(page))
        .toEqual([
          `If an account exists for ${nobody}, we sent it a link to choose a new password. ` +
            'The link works for 1 hour.',
        ]);

      // The reset mail's link: a new password, typed twice (a mismatch is caught first).
      const resetLink = await linkFromMail(
        ada.email,
        'Reset your Trellis password',
        '/reset-password',
      );
      await page.goto(resetLink);
      await expectHeading(page, 'Choose a new password');
      expectNoToken(page);
      const newPassword = 'a brand new passphrase';
      await page.getByLabel('New password', { exact: true }).fill(newPassword);
      await page.getByLabel('Confirm new password', { exact: true }).fill('a brand new typo');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await visible(page.getByText('The two passwords differ.'));
      await page.getByLabel('Confirm new password', { exact: true }).fill(newPassword);
      await session.shot(page, 'reset-form');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await expectHeading(page, 'Password changed');
      await session.shot(page, 'reset-done');

      // The old password no longer signs in; the new one does.
      await page.getByRole('link', { name: 'Sign in', exact: true }).click();
      await signIn(page, ada);
      await visible(page.getByRole('alert').filter({ hasText: 'Wrong email or password' }));
      await signIn(page, { email: ada.email, password: newPassword });
      await expectHeading(page, 'Create your first workspace');
      expect(await verifyNotice(page).count()).toBe(0);

      // The reset link was single use.
      await page.goto(resetLink);
      await page.getByLabel('New password', { exact: true }).fill('yet another passphrase');
      await page.getByLabel('Confirm new password', { exact: true }).fill('yet another passphrase');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await expect
        .poll(() => textsOf(page.getByRole('alert')))
        .toEqual(['This link has already been used; ask for a new one']);
      await visible(page.getByRole('link', { name: 'Ask for a new link' }));
      await session.shot(page, 'reset-used');
    }));

  it('changes the password and the email on the account page', () =>
    inBrowser(browser, server.url, 'account page', async (session) => {
      const lin = person('Lin');
      const page = await session.newPage('lin');
      await page.goto('/sign-up');
      await page.getByLabel('Name', { exact: true }).fill(lin.name);
      await page.getByLabel('Email', { exact: true }).fill(lin.email);
      await page.getByLabel('Password', { exact: true }).fill(lin.password);
      await page.getByRole('button', { name: 'Sign up', exact: true }).click();
      await expectHeading(page, 'Create your first workspace');
      // A second browser where Lin is signed in too: the password change ends its session.
      const other = await session.newPage('lin-elsewhere');
      await signIn(other, lin);
      await expectHeading(other, 'Create your first workspace');

      await page.getByRole('banner').getByRole('link', { name: 'Account' }).click();
      await expectHeading(page, 'Your account');
      const profile = section(page, 'Profile');
      await visible(profile.getByText(lin.email, { exact: true }));
      await visible(profile.getByText('not verified', { exact: true }));
      await visible(section(page, 'Where you are signed in').getByText('this browser'));

      // Change the password: a wrong current one names the field; the right one works.
      const password = section(page, 'Change password');
      const changed = 'correct horse battery changed';
      await password.getByLabel('Current password', { exact: true }).fill('not my password');
      await password.getByLabel('New password', { exact: true }).fill(changed);
      await password.getByLabel('Confirm new password', { exact: true }).fill(changed);
      await password.getByRole('button', { name: 'Change password' }).click();
      await visible(password.getByText('Wrong password', { exact: true }));
      await password.getByLabel('Current password', { exact: true }).fill(lin.password);
      await password.getByRole('button', { name: 'Change password' }).click();
      await expect
        .poll(() => textsOf(password.getByRole('status')))
        .toEqual(['Password changed. 1 other session was signed out.']);
      await session.shot(page, 'password-changed');
      // The other browser's session is over: its next request lands on the sign-in page.
      await other.reload();
      await expectHeading(other, 'Sign in to Trellis');
      await signIn(other, { email: lin.email, password: changed });
      await expectHeading(other, 'Create your first workspace');

      // Change the email: confirmed by the link mailed to the new address; the old address
      // is told.
      const newEmail = person('Lin New').email;
      const email = section(page, 'Change email');
      await email.getByLabel('New email', { exact: true }).fill(newEmail);
      await email.getByLabel('Current password', { exact: true }).fill(changed);
      await email.getByRole('button', { name: 'Change email' }).click();
      await expect
        .poll(() => textsOf(email.getByRole('status')))
        .toEqual([
          `We sent a confirmation link to ${newEmail}. Your email stays ${lin.email} until you open it.`,
        ]);
      await session.shot(page, 'email-change-sent');
      await mailbox().waitFor({ to: lin.email, subject: 'is being changed' }, WAIT_MS);
      const confirmLink = await linkFromMail(newEmail, 'Confirm your new email', '/verify-email');
      await page.goto(confirmLink);
      await expectHeading(page, 'Email verified');
      expectNoToken(page);
      await page.goto('/account');
      await expectHeading(page, 'Your account');
      await visible(section(page, 'Profile').getByText(newEmail, { exact: true }));
      await visible(section(page, 'Profile').getByText('verified', { exact: true }));
      expect(await verifyNotice(page).count()).toBe(0);
      await session.shot(page, 'account');
    }));

  it('resends the verification mail, and opens its link signed out in another browser', () =>
    inBrowser(browser, server.url, 'verify signed out', async (session) => {
      const kim = person('Kim');
      const page = await session.newPage('kim');
      await page.goto('/sign-up');
      await page.getByLabel('Name', { exact: true }).fill(kim.name);
      await page.getByLabel('Email', { exact: true }).fill(kim.email);
      await page.getByLabel('Password', { exact: true }).fill(kim.password);
      await page.getByRole('button', { name: 'Sign up', exact: true }).click();
      const notice = await visible(verifyNotice(page));

      // The first mail went astray: "Resend" sends another, whose link is the one to use.
      await linkFromMail(kim.email, 'Verify your email', '/verify-email');
      await notice.getByRole('button', { name: 'Resend' }).click();
      await expect
        .poll(() => textsOf(notice.getByRole('status')))
        .toEqual([`Sent. Check your inbox at ${kim.email} (and its spam folder).`]);
      await session.shot(page, 'resent');

      // The phone's mail app opens the link in a browser where nobody is signed in: the
      // page stays (no redirect to sign-in that would lose the token) and verifies.
      const link = await linkFromMail(kim.email, 'Verify your email', '/verify-email', 1);
      const phone = await session.newPage('kim-phone');
      await phone.goto(link);
      await expectHeading(phone, 'Email verified');
      expectNoToken(phone);
      await visible(phone.getByRole('link', { name: 'Sign in', exact: true }));
      await session.shot(phone, 'verified-signed-out');

      // The first browser's notice goes once it asks again (a reload).
      await page.reload();
      await expectHeading(page, 'Create your first workspace');
      await expect.poll(() => verifyNotice(page).count(), { timeout: WAIT_MS }).toBe(0);

      // A mangled link says so and offers a way to a new one.
      await phone.goto('/verify-email#token=trv_not-a-real-token');
      await expectHeading(phone, 'This link did not work');
      await expect
        .poll(() => textsOf(phone.getByRole('alert')))
        .toEqual(['This link is not valid; ask for a new one']);
      await visible(phone.getByRole('link', { name: 'Sign in', exact: true }));
    }));
});
