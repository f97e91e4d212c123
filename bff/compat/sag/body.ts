/**
 * One normaliser for the three request formats SaG accepts (JSON, XML, form):
 * each becomes the same Map of field → value, with the same rules, so the
 * same credentials get the same outcome whatever the format (parser parity).
 * Duplicated fields are refused in every format, instead of letting the
 * first or the last one win depending on the parser.
 */
import { AppError, badRequest } from '../../http/errors.ts';
import { readFlatXml, type FlatElement } from './xml.ts';

export type Format = 'json' | 'xml' | 'form';

export const MAX_BODY = 16 * 1024;
const MAX_FORM_PARAMS = 100;

export interface ParsedBody {
  format: Format;
  /** Field values by the contract's own spelling; null when sent as null / i:nil. */
  fields: Map<string, string | null>;
}

/** A Map, not an object literal: `constructor` or `__proto__` as a type must not find Object's own members. */
const TYPES = new Map<string, Format>([
  ['application/json', 'json'],
  ['text/json', 'json'],
  ['application/xml', 'xml'],
  ['text/xml', 'xml'],
  ['application/x-www-form-urlencoded', 'form'],
]);

/** The request format named by a Content-Type header, or null when unsupported. */
export function formatOf(contentType: string | undefined): { format: Format | null; charset: string | null } {
  const [type = '', ...params] = (contentType ?? '').split(';');
  let charset: string | null = null;
  for (const p of params) {
    const m = /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(p);
    if (m) charset = m[1]!.toLowerCase();
  }
  return { format: TYPES.get(type.trim().toLowerCase()) ?? null, charset };
}

const unsupported = () =>
  new AppError('unsupported_media_type', 'Send the request as application/json, application/xml (or text/xml) or application/x-www-form-urlencoded.', {
    status: 415,
  });

/**
 * Decodes and parses a raw body. `names` is the contract's field list: JSON
 * and form names match it case-insensitively (as ASP.NET model binding
 * does), XML names exactly (as the DataContractSerializer does).
 */
export function parseBody(raw: Buffer, contentType: string | undefined, names: readonly string[], xml: FlatElement): ParsedBody {
  const { format, charset } = formatOf(contentType);
  if (!format) throw unsupported();
  if (charset !== null && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
    throw new AppError('charset_unsupported', 'The request body must be encoded in UTF-8.', { status: 415 });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    throw badRequest('invalid_request', 'The request body is not valid UTF-8.');
  }
  if (format === 'xml') return { format, fields: readFlatXml(text, xml) };
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  const fields = new Map<string, string | null>();
  const put = (key: string, value: string | null) => {
    const name = byLower.get(key.toLowerCase());
    if (!name) return;
    if (fields.has(name)) throw badRequest('invalid_request', `${name} appears more than once.`, { [name]: 'Duplicated field.' });
    fields.set(name, value);
  };
  if (format === 'form') {
    const params = new URLSearchParams(text);
    if ([...params.keys()].length > MAX_FORM_PARAMS) throw new AppError('too_many_parameters', 'The request has too many parameters.', { status: 413 });
    for (const [k, v] of params) put(k, v);
    return { format, fields };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('invalid_request', 'The request body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('invalid_request', 'The request body must be a JSON object.');
  const obj = value as Record<string, unknown>;
  // JSON.parse keeps only the last of duplicated keys: look at the text itself.
  for (const key of topLevelKeys(text)) {
    const name = byLower.get(key.toLowerCase());
    if (!name) continue;
    if (fields.has(name)) throw badRequest('invalid_request', `${name} appears more than once.`, { [name]: 'Duplicated field.' });
    const v = obj[key];
    if (v !== null && typeof v !== 'string') throw badRequest('invalid_request', `${name} must be a string.`, { [name]: 'Must be a string.' });
    fields.set(name, v);
  }
  return { format, fields };
}

/** The keys of the top-level object of already-validated JSON text, duplicates included, in order. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        keys.push(JSON.parse(text.slice(i, j + 1)) as string);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
