/** The portal's mails, one function per kind: what they say and the one secret each carries. */
import { composeContent, type MailContent } from './templates.ts';

const NOT_YOU = 'If you did not ask for this, ignore this mail: nothing changes until the link is used.';

export function passwordResetMail(portal: string, link: string, minutes: number): MailContent {
  return composeContent({
    portal,
    subject: 'Reset your password',
    intro: [`Someone asked to reset the password of your ${portal} account. Use the button below to choose a new one.`],
    link: { url: link, label: 'Choose a new password' },
    outro: [`The link works once, for ${minutes} minutes, in any browser.`, NOT_YOU],
  });
}

export function verificationMail(portal: string, code: string, link: string): MailContent {
  return composeContent({
    portal,
    subject: 'Verify your email',
    intro: [`Enter this code on the ${portal} sign-in screen to confirm that this email is yours, or use the button below.`],
    code,
    link: { url: link, label: 'Verify my email' },
    outro: ['The code and the link work once, for 24 hours.', NOT_YOU],
  });
}

/** `link` null: the code alone (an app that asked through the WorkOS API shows its own code screen). */
export function signInCodeMail(portal: string, code: string, link: string | null, minutes: number): MailContent {
  return composeContent({
    portal,
    subject: 'Your sign-in code',
    intro: [
      link
        ? `Enter this code on the ${portal} sign-in screen, or use the button below in the same browser.`
        : `Enter this code where you asked to sign in to ${portal}.`,
    ],
    code,
    ...(link ? { link: { url: link, label: 'Sign in' } } : {}),
    outro: [`The code works once, for ${minutes} minutes.`, 'If you did not try to sign in, ignore this mail: nobody can use the code without it.'],
  });
}

export function invitationMail(portal: string, link: string, days: number): MailContent {
  return composeContent({
    portal,
    subject: 'You are invited',
    intro: [`You have been invited to ${portal}. Choose a password to finish setting up your account.`],
    link: { url: link, label: 'Set your password' },
    outro: [`The link works once, for ${days} days.`, 'If you did not expect this invitation, ignore this mail.'],
  });
}
