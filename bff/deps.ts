import type Provider from 'oidc-provider';
import type { Config } from './config/config.ts';
import type { Store } from './store/store.ts';
import type { Logger } from './http/logger.ts';
import type { Audit } from './audit/audit.ts';

/** What every router is built from: the composition root (`createApp`) assembles it once. */
export interface Deps {
  config: Config;
  store: Store;
  provider: Provider;
  audit: Audit;
  logger: Logger;
  /** Injected clock (ms), so expiry is testable. */
  now: () => number;
  /** Where this process listens (http://127.0.0.1:port), once it does; null before. */
  selfOrigin: () => string | null;
}
