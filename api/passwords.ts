/**
 * Password rules both sides state: the BFF enforces them (bff/accounts/passwords.ts),
 * the SPA's forms say them before anything is sent. Plain constants: this file
 * is in the sign-in chunk and must stay free of libraries.
 */

/** Fewest characters a password may have. */
export const PASSWORD_MIN = 12;
/** Most characters a password may have (argon2 input stays bounded). */
export const PASSWORD_MAX = 1024;
