import { useState } from 'react';

export interface AppLogoProps {
  name: string;
  logoUrl: string | null | undefined;
  size?: 'small' | 'large';
}

/**
 * A partner app's logo. Without a logo (or if it fails to load, e.g. blocked
 * by the content security policy) it falls back to the app's initial.
 */
export function AppLogo({ name, logoUrl, size = 'small' }: AppLogoProps) {
  const [failed, setFailed] = useState(false);
  const classes = `app-logo app-logo--${size}`;
  if (logoUrl && !failed) {
    return <img className={classes} src={logoUrl} alt={`${name} logo`} onError={() => setFailed(true)} />;
  }
  const initial = name.trim().charAt(0).toUpperCase() || '?';
  return (
    <span className={`${classes} app-logo--fallback`} role="img" aria-label={`${name} logo`}>
      {initial}
    </span>
  );
}
