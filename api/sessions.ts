/** The shapes of GET /bff/account/sessions (and the admin user page's sessions), shared by the BFF and the SPA. */

/** One signed-in browser. */
export interface DeviceSession {
  /** Stands for the session in URLs; not the session id (which the cookie seals and never leaves the server). */
  handle: string;
  browser: string;
  os: string;
  ip: string | null;
  createdAt: number;
  lastActiveAt: number;
  /** The browser asking. */
  current: boolean;
}

export interface DeviceSessionsWire {
  sessions: DeviceSession[];
}
