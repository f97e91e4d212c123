import { pino, type Logger } from 'pino';

/**
 * pino with redaction: tokens, secrets, passwords and cookies never reach a
 * log line, whatever object a caller passes.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'password', '*.password', 'newPassword', '*.newPassword', 'currentPassword',
        'client_secret', '*.client_secret', 'clientSecret', '*.clientSecret', 'secret', '*.secret',
        'access_token', '*.access_token', 'refresh_token', '*.refresh_token', 'id_token', '*.id_token',
        'code', '*.code', 'code_verifier', '*.code_verifier', 'token', '*.token', 'tokens', '*.tokens',
        'req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', 'headers.cookie', 'headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
