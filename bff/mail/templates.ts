/**
 * Mail bodies: every message has a plain-text and an HTML part, names the
 * portal, and carries no secret but the one link or code it exists for.
 * Nothing a user typed goes into a header (see transport.ts for the addresses).
 */

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export interface MailParts {
  /** The portal's name, shown in the subject and the greeting. */
  portal: string;
  subject: string;
  /** Paragraphs of plain text, before the code and the link. */
  intro: string[];
  /** A one-time code, shown large. */
  code?: string;
  link?: { url: string; label: string };
  /** Paragraphs after the link (why they got it, what to do if it was not them). */
  outro: string[];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** Control characters (CR, LF, …) never reach a header or a line of the body. */
export const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();

export function composeContent(p: MailParts): MailContent {
  const subject = oneLine(`${p.subject} · ${p.portal}`);
  const text = [
    ...p.intro,
    ...(p.code ? [`Your code: ${p.code}`] : []),
    ...(p.link ? [`${p.link.label}: ${p.link.url}`] : []),
    ...p.outro,
    `— ${p.portal}`,
  ].join('\n\n');
  const para = (s: string) => `<p style="margin:0 0 16px">${escapeHtml(s)}</p>`;
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1a1a1a;max-width:560px;margin:0 auto;padding:24px">',
    `<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(p.portal)}</h1>`,
    ...p.intro.map(para),
    p.code ? `<p style="font-size:28px;letter-spacing:6px;font-weight:bold;margin:0 0 16px">${escapeHtml(p.code)}</p>` : '',
    p.link
      ? `<p style="margin:0 0 16px"><a href="${escapeHtml(p.link.url)}" style="background:#1f4fd1;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(p.link.label)}</a></p>` +
        `<p style="margin:0 0 16px;font-size:13px;color:#555">Or open this address: ${escapeHtml(p.link.url)}</p>`
      : '',
    ...p.outro.map(para),
    '</body></html>',
  ].join('');
  return { subject, text, html };
}

/** The portal's name: MAIL_FROM's display name ("Acme Login <no-reply@…>"), else "Portal". */
export function portalName(from: string): string {
  const m = /^\s*"?([^"<]*?)"?\s*</.exec(from);
  return oneLine(m?.[1] ?? '') || 'Portal';
}
