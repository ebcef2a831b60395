import { describe, expect, it } from 'vitest';
import {
  confirmEmailChangeMail,
  emailChangeNoticeMail,
  mailLink,
  resetPasswordMail,
  verifyEmailMail,
} from './messages.js';

// The mails' two parts say the same thing, carry the same links, and never let a person's
// name (which they choose) become markup.

const publicUrl = 'https://trellis.example';
const token = 'trv_abc';

describe('mail messages', () => {
  it('put the token in the fragment of a link on the public URL', () => {
    expect(mailLink(publicUrl, '/verify-email', token)).toBe(
      'https://trellis.example/verify-email#token=trv_abc',
    );
    expect(mailLink('http://localhost:3000', '/reset-password', 'trp_x')).toBe(
      'http://localhost:3000/reset-password#token=trp_x',
    );
  });

  it('carry each link in the text and as the href of the HTML, and list it', () => {
    const mails = [
      verifyEmailMail({ publicUrl, to: 'ada@example.com', token }),
      resetPasswordMail({ publicUrl, to: 'ada@example.com', name: 'Ada', token: 'trp_abc' }),
      confirmEmailChangeMail({
        publicUrl,
        to: 'new@example.com',
        oldEmail: 'ada@example.com',
        token,
      }),
    ];
    for (const mail of mails) {
      expect(mail.links).toHaveLength(1);
      const [link] = mail.links;
      expect(link?.startsWith(`${publicUrl}/`)).toBe(true);
      expect(mail.text).toContain(link);
      expect(mail.html).toContain(`href="${link}"`);
    }
    const notice = emailChangeNoticeMail({
      publicUrl,
      to: 'ada@example.com',
      name: 'Ada',
      newEmail: 'new@example.com',
    });
    expect(notice.links).toEqual(['https://trellis.example/']);
    expect(notice.text).toContain('new@example.com');
  });

  it('escape the name in HTML and keep it as written in the text', () => {
    const name = '<img src=x onerror=alert(1)> & "Co"';
    const mail = resetPasswordMail({ publicUrl, to: 'ada@example.com', name, token: 'trp_x' });
    expect(mail.text).toContain(`Hello ${name},`);
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Co&quot;');
    // Nothing a person typed reaches the subject (a header).
    expect(mail.subject).toBe('Reset your Trellis password');
  });

  it('greet without a name where it was chosen by whoever claims an unproven address', () => {
    expect(verifyEmailMail({ publicUrl, to: 'ada@example.com', token }).text).toMatch(/^Hello,\n/);
    const unverifiedReset = resetPasswordMail({ publicUrl, to: 'ada@example.com', token });
    expect(unverifiedReset.text).toMatch(/^Hello,\n/);
  });
});
