/**
 * What the portal answers on the Zenith socket: the Auth replies (Result
 * Success/Reject) and the error container (`Action: "Error"`, Data a
 * message), each echoing the request's TransactionID.
 */
import type { Echo } from './schema.ts';
import type { Identity } from './auth.ts';

export interface ZenithMessage {
  Controller?: string;
  Topic?: string;
  TransactionID?: number;
  Action?: string;
  Data?: unknown;
}

export const IDENTIFY = 'Identify';

/**
 * The Data of a successful Auth reply. The token is only handed back by AuthCode/AuthToken, never
 * by QueryIdentify, and never when it carries more than the reply's Scope.
 */
export function identityData(id: Identity, withToken: boolean): Record<string, unknown> {
  return {
    Result: 'Success',
    ...(withToken && !id.tokenWithheld ? { AccessToken: Buffer.from(id.token, 'latin1').toString('base64') } : {}),
    DisplayName: id.displayName,
    UserID: id.userId,
    ExpiryDate: new Date(id.exp * 1000).toISOString(),
    Scope: id.scope,
  };
}

export const REJECT = { Result: 'Reject' } as const;

export function authReply(topic: string, transactionId: number | undefined, data: unknown): ZenithMessage {
  return { Controller: 'Auth', Topic: topic, ...(transactionId !== undefined ? { TransactionID: transactionId } : {}), Data: data };
}

/** An error reply in the container's own shape: what the request named, `Action: "Error"`, a message in Data. */
export function errorReply(echo: Echo, message: string): ZenithMessage {
  return {
    ...(echo.Controller !== undefined ? { Controller: echo.Controller } : {}),
    ...(echo.Topic !== undefined ? { Topic: echo.Topic } : {}),
    ...(echo.TransactionID !== undefined ? { TransactionID: echo.TransactionID } : {}),
    Action: 'Error',
    Data: message,
  };
}

export const MESSAGES = {
  notJson: 'Malformed message: not a JSON object',
  binary: 'Binary frames are not supported; send ZenithJson text frames',
  notAuthenticated: 'Not authenticated: send Auth:AuthToken or Auth:AuthCode first',
  unknownTopic: 'Unknown Auth topic',
  unsupportedController: 'This server only provides the Auth controller',
  rateLimited: 'Too many messages: slow down',
  tooManyPending: 'Too many requests in progress: wait for the replies',
  throttled: (seconds: number) => `Too many failed authentication attempts: try again in ${seconds} seconds`,
  unavailable: 'The server cannot complete this request right now: try again shortly',
} as const;
