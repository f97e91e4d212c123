/**
 * SaG's XML reader, where mutation testing (docs/mutation.md) found its edges
 * unchecked: every declaration the DTD guard names (in any case, with space
 * after `<!`), the encodings it accepts, the depth cap, nil fields, fields in
 * a foreign namespace, text split by CDATA and comments, duplicates, the
 * missing root, and each refusal's exact sentence. Then the answer's escaping.
 * The reader is a pure function on saxes; its HTTP envelope is sag.test.ts's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, readFlatXml } from './xml.ts';
import { AUTH_CODE_REQUEST_XML } from './schema.ts';
import { REQUEST_NS } from './map.ts';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const read = (xml: string) => Object.fromEntries(readFlatXml(xml, AUTH_CODE_REQUEST_XML));
const doc = (inner: string, decl = '<?xml version="1.0" encoding="utf-8"?>') =>
  `${decl}<AuthCodeRequest xmlns="${REQUEST_NS}" xmlns:i="${XSI}">${inner}</AuthCodeRequest>`;

function refused(xml: string, status: number, code: string, message: string | RegExp, fields?: Record<string, string>) {
  assert.throws(
    () => readFlatXml(xml, AUTH_CODE_REQUEST_XML),
    (e: { status?: number; code?: string; message?: string; fields?: Record<string, string> }) => {
      assert.equal(e.status, status, xml);
      assert.equal(e.code, code, xml);
      if (typeof message === 'string') assert.equal(e.message, message, xml);
      else assert.match(e.message!, message, xml);
      if (fields) assert.deepEqual(e.fields, fields, xml);
      return true;
    },
  );
}

const DTD_REFUSED = 'XML with a DOCTYPE or entity declaration is not accepted.';

describe('SaG XML reader: what it reads', () => {
  it('reads each field as text, in any order, with entities, character references, CDATA and comments', () => {
    assert.deepEqual(read(doc('<Username>a&amp;b&#x41;</Username><ClientId><![CDATA[<c>]]>-1<!-- no --></ClientId>')), { Username: 'a&bA', ClientId: '<c>-1' });
  });

  it('reads i:nil="true" (spaces allowed) as null, and any other nil as the text', () => {
    assert.deepEqual(
      read(
        doc(
          '<Scope i:nil="true" /><RedirectUri i:nil=" true ">x</RedirectUri><Username i:nil="false">u</Username><Password nil="true">p</Password><ClientId i:type="true">c</ClientId>',
        ),
      ),
      {
        Scope: null,
        RedirectUri: null,
        Username: 'u',
        Password: 'p',
        ClientId: 'c',
      },
    );
    const otherNs = `<?xml version="1.0"?><AuthCodeRequest xmlns="${REQUEST_NS}" xmlns:x="urn:other"><Scope x:nil="true">s</Scope></AuthCodeRequest>`;
    assert.deepEqual(read(otherNs), { Scope: 's' }, 'only the XML Schema instance namespace makes a nil');
  });

  it('ignores a field in another namespace, and reads the next one', () => {
    const xml = `<AuthCodeRequest xmlns="${REQUEST_NS}"><x:Password xmlns:x="urn:evil">p</x:Password><Username>u</Username></AuthCodeRequest>`;
    assert.deepEqual(read(xml), { Username: 'u' });
  });

  it('accepts UTF-8 spelled any way, and no declared encoding', () => {
    for (const decl of ['<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="utf8"?>', '<?xml version="1.0"?>', '']) {
      assert.deepEqual(read(doc('<Username>u</Username>', decl)), { Username: 'u' }, decl);
    }
  });
});

describe('SaG XML reader: what it refuses', () => {
  it('refuses every DTD declaration, in any case and with space after <!', () => {
    for (const decl of [
      '<!DOCTYPE r>',
      '<!doctype r>',
      '<! DOCTYPE r>',
      '<!ENTITY x "y">',
      '<!ELEMENT r ANY>',
      '<!ATTLIST r a CDATA #IMPLIED>',
      '<!NOTATION n SYSTEM "x">',
      '<!\tEntity x "y">',
    ]) {
      refused(doc(`<Username>${decl}</Username>`).replace(`<Username>${decl}`, `${decl}<Username>`), 400, 'invalid_request', DTD_REFUSED);
    }
  });

  it('refuses other encodings with a 415', () => {
    for (const encoding of ['ISO-8859-1', 'UTF-16', 'utf-88', 'xutf-8']) {
      refused(doc('<Username>u</Username>', `<?xml version="1.0" encoding="${encoding}"?>`), 415, 'charset_unsupported', 'The XML must be encoded in UTF-8.');
    }
  });

  it('refuses nesting below the fields', () => {
    refused(doc('<Username><b>u</b></Username>'), 400, 'invalid_request', '<b> is nested too deeply: AuthCodeRequest fields hold text only.');
  });

  it('refuses a wrong root or namespace, and a document with no root', () => {
    const wrongRoot = `<?xml version="1.0"?><Other xmlns="${REQUEST_NS}"><Username>u</Username></Other>`;
    const rootMessage = `The XML root must be <AuthCodeRequest xmlns="${REQUEST_NS}">.`;
    refused(wrongRoot, 400, 'invalid_request', rootMessage);
    refused('<AuthCodeRequest xmlns="urn:other"><Username>u</Username></AuthCodeRequest>', 400, 'invalid_request', rootMessage);
    refused('<AuthCodeRequest><Username>u</Username></AuthCodeRequest>', 400, 'invalid_request', rootMessage);
    refused('<?xml version="1.0"?>', 400, 'invalid_request', /^The XML (must contain <AuthCodeRequest>\.|is not well-formed: .+)$/);
    refused('', 400, 'invalid_request', /^The XML (must contain <AuthCodeRequest>\.|is not well-formed: .+)$/);
  });

  it('refuses a duplicated field, naming it', () => {
    refused(doc('<Username>a</Username><Password>p</Password><Username>b</Username>'), 400, 'invalid_request', 'Username appears more than once.', {
      Username: 'Duplicated field.',
    });
    refused(doc('<Scope i:nil="true"/><Scope>s</Scope>'), 400, 'invalid_request', 'Scope appears more than once.', { Scope: 'Duplicated field.' });
  });

  it('refuses malformed XML with the first line of the reason, at most 200 characters', () => {
    const attr = 'a'.repeat(300);
    const long = doc(`<Username ${attr}="1" ${attr}="2">u</Username>`);
    assert.throws(
      () => readFlatXml(long, AUTH_CODE_REQUEST_XML),
      (e: { status?: number; code?: string; message: string }) => {
        assert.deepEqual([e.status, e.code], [400, 'invalid_request']);
        assert.ok(e.message.startsWith('The XML is not well-formed: '), e.message);
        const reason = e.message.slice('The XML is not well-formed: '.length);
        assert.equal(reason, `duplicate attribute: ${attr}.`.slice(0, 200));
        assert.doesNotMatch(reason, /\n/);
        return true;
      },
    );
    refused(doc('<Username>u</Username'), 400, 'invalid_request', /^The XML is not well-formed: [^\n]+$/);
  });
});

describe('SaG XML answers: escaping', () => {
  it('escapes the five XML special characters and nothing else', () => {
    assert.equal(escapeXml(`a&b<c>d"e'f é`), 'a&amp;b&lt;c&gt;d&quot;e&apos;f é');
    assert.equal(escapeXml('&&'), '&amp;&amp;');
  });
});
