/**
 * A deliberately small XML reader for one flat data-contract element
 * (`<Root xmlns="ns"><Field>text</Field>…</Root>`), on saxes: a strict,
 * namespace-aware, non-validating parser that never reads a DTD, never
 * expands a declared entity and never fetches anything. On top of that any
 * DOCTYPE or ENTITY declaration is refused before parsing (XXE, billion
 * laughs), the depth is capped, and fields land in a Map, so `__proto__`
 * is just an unknown name.
 */
import { SaxesParser } from 'saxes';
import { badRequest, AppError } from '../../http/errors.ts';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
/** Root (1) and its fields (2); nothing in this contract nests deeper. */
const MAX_DEPTH = 2;
const DTD = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

export interface FlatElement {
  root: string;
  namespace: string;
}

/**
 * Reads the child elements of the expected root into a Map of field → text
 * (null for `i:nil="true"`). Duplicated fields, wrong root or namespace,
 * nesting, DTDs and malformed XML are 400 `invalid_request`; an encoding
 * other than UTF-8 is 415.
 */
export function readFlatXml(text: string, expected: FlatElement): Map<string, string | null> {
  if (DTD.test(text)) throw badRequest('invalid_request', 'XML with a DOCTYPE or entity declaration is not accepted.');
  const fields = new Map<string, string | null>();
  const parser = new SaxesParser({ xmlns: true, position: false });
  let depth = 0;
  let field: { name: string; text: string; nil: boolean } | null = null;
  let sawRoot = false;

  parser.on('xmldecl', (decl) => {
    if (decl.encoding && !/^utf-?8$/i.test(decl.encoding)) {
      throw new AppError('charset_unsupported', 'The XML must be encoded in UTF-8.', { status: 415 });
    }
  });
  parser.on('doctype', () => {
    throw badRequest('invalid_request', 'XML with a DOCTYPE or entity declaration is not accepted.');
  });
  parser.on('opentag', (tag) => {
    depth++;
    if (depth > MAX_DEPTH) throw badRequest('invalid_request', `<${tag.local}> is nested too deeply: ${expected.root} fields hold text only.`);
    if (depth === 1) {
      if (tag.local !== expected.root || tag.uri !== expected.namespace) {
        throw badRequest('invalid_request', `The XML root must be <${expected.root} xmlns="${expected.namespace}">.`);
      }
      sawRoot = true;
      return;
    }
    const nil = Object.values(tag.attributes).some((a) => a.uri === XSI && a.local === 'nil' && a.value.trim() === 'true');
    field = tag.uri === expected.namespace ? { name: tag.local, text: '', nil } : null;
  });
  const onText = (t: string) => {
    if (field && depth === 2) field.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    if (depth === 2 && field) {
      if (fields.has(field.name)) throw badRequest('invalid_request', `${field.name} appears more than once.`, { [field.name]: 'Duplicated field.' });
      fields.set(field.name, field.nil ? null : field.text);
      field = null;
    }
    depth--;
  });
  parser.on('error', (err) => {
    throw badRequest('invalid_request', `The XML is not well-formed: ${err.message.split('\n')[0]!.slice(0, 200)}`);
  });

  parser.write(text).close();
  if (!sawRoot) throw badRequest('invalid_request', `The XML must contain <${expected.root}>.`);
  return fields;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
