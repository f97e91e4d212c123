/**
 * The few HTML pages oidc-provider renders itself (errors that must not
 * redirect, the logout confirmation). Every reflected value is escaped.
 */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function shell(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Portal</title><link rel="stylesheet" href="/oauth-pages.css"></head><body><main class="card">${body}</main></body></html>`;
}

const FRIENDLY: Record<string, string> = {
  invalid_redirect_uri: 'The app that sent you here gave a return address that is not registered with the portal, so you were not sent back to it.',
  invalid_client: 'The app that sent you here is not registered with the portal.',
  invalid_request: 'The app that sent you here made a request the portal cannot accept.',
  access_denied: 'Access was denied.',
  login_required: 'You need to sign in first.',
  interaction_required: 'The sign-in could not be completed.',
  invalid_grant: 'This sign-in request has expired or was already used.',
  server_error: 'Something went wrong on our side. Please try again.',
  temporarily_unavailable: 'The portal cannot reach its database right now. Please try again in a moment.',
};

export function errorPage(code: string, description: string | undefined, publicUrl: string): string {
  const friendly = FRIENDLY[code] ?? 'The sign-in request could not be completed.';
  const detail = (description ?? '').replace(/[\r\n\t]/g, ' ');
  return shell('Sign-in error', `<h1>We could not continue</h1><p>${escapeHtml(friendly)}</p><p class="muted">Error: <code>${escapeHtml(code)}</code>${detail ? ` — ${escapeHtml(detail)}` : ''}</p><p><a href="${escapeHtml(publicUrl)}/">Go to the portal</a></p>`);
}

export function logoutPage(form: string, clientName: string | undefined): string {
  // `form` is oidc-provider's own hidden form (action + xsrf token); the buttons submit it.
  return shell('Sign out', `<h1>Sign out${clientName ? ` of ${escapeHtml(clientName)}` : ''}?</h1><p>Do you want to sign out of the portal?</p>${form}<div class="actions"><button type="submit" form="op.logoutForm" name="logout" value="yes" class="primary">Yes, sign me out</button><button type="submit" form="op.logoutForm">No, stay signed in</button></div>`);
}

export function loggedOutPage(publicUrl: string): string {
  return shell('Signed out', `<h1>You are signed out</h1><p><a href="${escapeHtml(publicUrl)}/">Back to the portal</a></p>`);
}

export const PAGES_CSS = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f3f4f6;color:#111827;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
.card{background:#fff;max-width:32rem;width:100%;padding:2rem;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}.muted{color:#4b5563;font-size:.9rem}code{background:#f3f4f6;padding:0 .25rem;border-radius:4px}
.actions{display:flex;gap:.75rem;margin-top:1rem}button{font:inherit;padding:.6rem 1rem;border-radius:8px;border:1px solid #d1d5db;background:#fff;cursor:pointer}
button.primary{background:#1d4ed8;color:#fff;border-color:#1d4ed8}a{color:#1d4ed8}`;
