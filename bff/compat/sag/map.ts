/**
 * The SaG response envelope, `AuthCodeResponse {Header, Body}`, written the
 * way each format's published sample shows it: JSON with StatusCode as the
 * enum's number (0), XML with the enum's name ("Ok"), data-contract element
 * order (alphabetical) and `i:nil` for null.
 */
import { escapeXml } from './xml.ts';

export const REQUEST_NS = 'http://schemas.datacontract.org/2004/07/SaG.OTC.API.Models.Requests';
export const RESPONSE_NS = 'http://schemas.datacontract.org/2004/07/SaG.OTC.API.Models.Responses';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/**
 * ResponseStatus. The seed shows only Ok (0); every failure is Error (1),
 * told apart by the stable ErrorId and the HTTP status.
 */
export const RESPONSE_STATUS = { Ok: 0, Error: 1 } as const;
export type ResponseStatus = keyof typeof RESPONSE_STATUS;

export interface Envelope {
  message: string;
  status: ResponseStatus;
  errorId: string | null;
  authCode: string | null;
}

export function ok(authCode: string): Envelope {
  return { message: '', status: 'Ok', errorId: null, authCode };
}

export function failure(errorId: string, message: string): Envelope {
  return { message, status: 'Error', errorId, authCode: null };
}

export function toJson(e: Envelope): string {
  return JSON.stringify({
    Header: { Message: e.message, StatusCode: RESPONSE_STATUS[e.status], Status: e.status, ErrorId: e.errorId },
    Body: { AuthCode: e.authCode },
  });
}

const element = (name: string, value: string | null) => (value === null ? `<${name} i:nil="true" />` : `<${name}>${escapeXml(value)}</${name}>`);

export function toXml(e: Envelope): string {
  return (
    `<AuthCodeResponse xmlns:i="${XSI}" xmlns="${RESPONSE_NS}">` +
    `<Body>${element('AuthCode', e.authCode)}</Body>` +
    `<Header>${element('ErrorId', e.errorId)}${element('Message', e.message)}${element('Status', e.status)}${element('StatusCode', e.status)}</Header>` +
    `</AuthCodeResponse>`
  );
}
