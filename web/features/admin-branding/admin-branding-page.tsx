import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { AdminPage } from '../session/components/admin-page.tsx';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { TextField } from '../../components/ui/field.tsx';
import { SuccessNotice } from '../../components/ui/success-notice.tsx';
import { useFocusFirstError } from '../../lib/use-focus-first-error.ts';
// The server's own checks, so the preview and the save never disagree.
import { isHexColour, primaryContrast, shade, tint } from '../../../api/colour.ts';
import { useAdminQueryGate } from '../session/components/use-admin-query-gate.tsx';
import { LOGO_MAX_KB, useBranding, useSaveBranding, useUploadLogo, type Branding } from './api/branding.ts';

const RETURN_TO = '/admin/branding';

function Preview({ values }: { values: Branding }) {
  const colour = isHexColour(values.primaryColour.toLowerCase()) ? values.primaryColour.toLowerCase() : null;
  const checks = colour ? primaryContrast(colour) : [];
  const passes = checks.length > 0 && checks.every((c) => c.ok);
  // A colour that fails is not painted: the preview would itself be unreadable (and fail the page's own contrast).
  const style =
    colour && passes ? ({ '--primary': colour, '--primary-hover': shade(colour, 0.8), '--primary-soft': tint(colour, 0.1) } as React.CSSProperties) : undefined;
  return (
    <section className="card card--wide stack" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <div className="brand-preview stack" style={style}>
        <p className="brand-preview__bar">
          {values.logoUrl ? <img className="topbar__logo" src={values.logoUrl} alt="" /> : null}
          {values.portalName || 'Portal'}
        </p>
        <p>
          <a href="#preview-title">A link in the new colour</a>
        </p>
        <div className="actions">
          <span className="button button--primary" aria-hidden="true">
            Sign in
          </span>
        </div>
        {values.supportEmail ? <p>Help: {values.supportEmail}</p> : null}
      </div>
      {colour ? (
        <ul aria-label="Contrast checks" aria-live="polite">
          {passes ? null : <li>This colour is not shown above until it passes.</li>}
          {checks.map((c) => (
            <li key={c.label}>
              {c.label}: {c.ratio}:1 {c.ok ? '(passes AA)' : '(too low: AA needs 4.5:1)'}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Type a colour like #2446c7 to check its contrast.</p>
      )}
    </section>
  );
}

/** Uploads at once and fills the logo address; the logo changes only when the branding is saved. */
function LogoUpload({ onUploaded }: { onUploaded: (url: string) => void }) {
  const upload = useUploadLogo();
  const id = useId();
  const [tooBig, setTooBig] = useState(false);
  const error = tooBig ? `The file is larger than ${LOGO_MAX_KB} KB.` : (upload.error?.message ?? null);
  return (
    <div className={['field', error ? 'field--invalid' : ''].filter(Boolean).join(' ')}>
      <label className="field__label" htmlFor={id}>
        Upload a logo
      </label>
      <p className="field__hint" id={`${id}-hint`}>
        PNG, JPEG or WebP, up to {LOGO_MAX_KB} KB (SVG is not accepted: export it as PNG).
      </p>
      <input
        id={id}
        type="file"
        name="logo"
        className="field__input"
        accept="image/png,image/jpeg,image/webp"
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        aria-invalid={error ? true : undefined}
        onChange={(e) => {
          const file = e.target.files?.[0];
          upload.reset();
          setTooBig(false);
          if (!file) return;
          if (file.size > LOGO_MAX_KB * 1024) {
            setTooBig(true);
            return;
          }
          upload.mutate(file, { onSuccess: ({ logoUrl }) => onUploaded(logoUrl) });
        }}
      />
      {upload.isPending ? <p role="status">Uploading…</p> : null}
      {upload.isSuccess ? <p role="status">Uploaded. Save the branding to use it.</p> : null}
      {error ? (
        <p className="field__error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function BrandingForm({ stored, onSaved }: { stored: Branding; onSaved: () => void }) {
  const save = useSaveBranding();
  const [values, setValues] = useState<Branding>(stored);
  const { formRef, failed } = useFocusFirstError<HTMLFormElement>();
  const set = (k: keyof Branding) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [k]: e.target.value }));
  const fields = save.error?.fields ?? {};

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    save.mutate(
      { ...values, logoUrl: values.logoUrl?.trim() || null, supportEmail: values.supportEmail?.trim() || null, updatedAt: stored.updatedAt },
      { onSuccess: onSaved, onError: failed },
    );
  }

  return (
    <>
      <section className="card card--wide" aria-labelledby="branding-form-title">
        <h2 id="branding-form-title">Branding</h2>
        <form className="stack" onSubmit={submit} noValidate ref={formRef}>
          {save.error && Object.keys(fields).length === 0 ? <Alert tone="error">{save.error.message}</Alert> : null}
          <TextField label="Portal name" name="portalName" maxLength={60} value={values.portalName} onChange={set('portalName')} error={fields.portalName} />
          <TextField
            label="Logo address"
            name="logoUrl"
            type="url"
            hint="An https:// address of an image, or upload one below."
            value={values.logoUrl ?? ''}
            onChange={set('logoUrl')}
            error={fields.logoUrl}
          />
          <LogoUpload onUploaded={(logoUrl) => setValues((v) => ({ ...v, logoUrl }))} />
          <TextField
            label="Primary colour"
            name="primaryColour"
            hint="# and six hex digits. It must reach 4.5:1 contrast with white."
            value={values.primaryColour}
            onChange={set('primaryColour')}
            error={fields.primaryColour}
          />
          <TextField
            label="Support email"
            name="supportEmail"
            type="email"
            value={values.supportEmail ?? ''}
            onChange={set('supportEmail')}
            error={fields.supportEmail}
          />
          <div className="actions">
            <Button type="submit" pending={save.isPending}>
              Save branding
            </Button>
          </div>
        </form>
      </section>
      <Preview values={values} />
    </>
  );
}

function BrandingAdmin() {
  const query = useBranding();
  const [saved, setSaved] = useState(false);
  const gate = useAdminQueryGate(query, RETURN_TO, 'branding');
  if (gate || !query.data) return gate;
  // Keyed by version: after a save (or another admin's, seen on a 409) the form starts from what is stored.
  return (
    <>
      {saved ? (
        <SuccessNotice title="Branding saved" onDismiss={() => setSaved(false)}>
          <p>Every screen shows it from its next page load.</p>
        </SuccessNotice>
      ) : null}
      <BrandingForm key={query.data.branding.updatedAt} stored={query.data.branding} onSaved={() => setSaved(true)} />
    </>
  );
}

export function AdminBrandingPage() {
  return (
    <AdminPage title="Branding" returnTo={RETURN_TO} what="branding">
      <BrandingAdmin />
    </AdminPage>
  );
}
