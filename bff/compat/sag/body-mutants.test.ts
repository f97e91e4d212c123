/**
 * SaG's request normaliser, answer envelope and data contract, pinned without
 * booting the portal so that mutation testing (docs/mutation.md) kills their
 * mutants in a second: the Content-Type table and its charset parameter, the
 * UTF-8 decoding (BOM, invalid bytes), case-insensitive JSON and form names,
 * duplicates in each format (read from the JSON text itself, at the top level
 * only, through nested values, arrays and escaped strings), the form parameter
 * cap, each refusal's status, code, sentence and field; the envelope exactly as
 * the seed's samples show it in JSON and XML; and each contract field's limits
 * and messages. The HTTP envelope around them is sag.test.ts's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatOf, MAX_BODY, parseBody } from './body.ts';
import { failure, ok, REQUEST_NS, RESPONSE_NS, RESPONSE_STATUS, toJson, toXml } from './map.ts';
import { AUTH_CODE_REQUEST_XML, authCodeRequest, FIELDS, PATH } from './schema.ts';
import { zodProblems } from '../../http/validate.ts';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

const parse = (body: string | Buffer, contentType: string | undefined) =>
  parseBody(typeof body === 'string' ? Buffer.from(body) : body, contentType, FIELDS, AUTH_CODE_REQUEST_XML);

/** What parseBody read, as a plain object, with its format. */
const read = (body: string | Buffer, contentType: string | undefined) => {
  const r = parse(body, contentType);
  return { format: r.format, fields: Object.fromEntries(r.fields) };
};

function refused(body: string | Buffer, contentType: string | undefined, status: number, code: string, message: string, fields?: Record<string, string>) {
  assert.throws(
    () => parse(body, contentType),
    (e: { status?: number; code?: string; message?: string; fields?: Record<string, string> }) => {
      assert.deepEqual(
        { status: e.status, code: e.code, message: e.message, fields: e.fields },
        { status, code, message, fields },
        `${contentType} ${String(body)}`,
      );
      return true;
    },
  );
}

const UNSUPPORTED = 'Send the request as application/json, application/xml (or text/xml) or application/x-www-form-urlencoded.';

describe('SaG body: the Content-Type', () => {
  it('names each supported type, in any case and with spaces, and nothing else', () => {
    const cases: Array<[string | undefined, string | null]> = [
      ['application/json', 'json'],
      ['text/json', 'json'],
      ['application/xml', 'xml'],
      ['text/xml', 'xml'],
      ['application/x-www-form-urlencoded', 'form'],
      [' Application/JSON ', 'json'],
      ['TEXT/XML; charset=utf-8', 'xml'],
      ['text/plain', null],
      ['application/json-patch+json', null],
      ['', null],
      [undefined, null],
      ['constructor', null],
      ['__proto__', null],
      ['toString', null],
    ];
    for (const [type, format] of cases) assert.equal(formatOf(type).format, format, String(type));
  });

  it('reads the charset parameter: quoted or not, any case, spaces around, the last one wins', () => {
    const cases: Array<[string | undefined, string | null]> = [
      ['application/json', null],
      [undefined, null],
      ['application/json; charset=UTF-8', 'utf-8'],
      ['application/json;charset="Latin1"', 'latin1'],
      ['application/json;  CHARSET  =  utf8  ', 'utf8'],
      ['application/json; charset=', ''],
      ['application/json; charset=a; charset=b', 'b'],
      ['application/json; xcharset=latin1', null],
      ['application/json; charset=utf-8 x', null],
      ['application/json; charset=utf-8; q=1', 'utf-8'],
      ['application/json; boundary=x', null],
    ];
    for (const [type, charset] of cases) assert.deepEqual(formatOf(type).charset, charset, String(type));
  });

  it('refuses an unsupported type with a 415 naming the three formats', () => {
    refused('{}', 'text/plain', 415, 'unsupported_media_type', UNSUPPORTED);
    refused('{}', undefined, 415, 'unsupported_media_type', UNSUPPORTED);
    // Names of Object's own members are not types (the table was once an object literal, and these parsed as JSON).
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) refused('{}', type, 415, 'unsupported_media_type', UNSUPPORTED);
  });

  it('accepts UTF-8 and US-ASCII, and refuses any other charset with a 415', () => {
    for (const cs of ['utf-8', 'UTF8', 'us-ascii']) {
      assert.deepEqual(read('{"Username":"u"}', `application/json; charset=${cs}`), { format: 'json', fields: { Username: 'u' } }, cs);
    }
    for (const cs of ['latin1', 'utf-16', '""']) {
      refused('{"Username":"u"}', `application/json; charset=${cs}`, 415, 'charset_unsupported', 'The request body must be encoded in UTF-8.');
    }
  });

  it('keeps the request body limit at 16 KiB', () => {
    assert.equal(MAX_BODY, 16384);
  });
});

describe('SaG body: decoding', () => {
  it('drops a UTF-8 byte order mark and refuses bytes that are not UTF-8', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"Username":"ü"}')]);
    assert.deepEqual(read(bom, 'application/json'), { format: 'json', fields: { Username: 'ü' } });
    refused(Buffer.from([0x7b, 0xff, 0x7d]), 'application/json', 400, 'invalid_request', 'The request body is not valid UTF-8.');
    refused(Buffer.from([0x55, 0x3d, 0xc3]), 'application/x-www-form-urlencoded', 400, 'invalid_request', 'The request body is not valid UTF-8.');
  });

  it('hands XML to the XML reader', () => {
    const xml = `<AuthCodeRequest xmlns:i="${XSI}" xmlns="${REQUEST_NS}"><Username>u</Username><Scope i:nil="true"/></AuthCodeRequest>`;
    assert.deepEqual(read(xml, 'text/xml'), { format: 'xml', fields: { Username: 'u', Scope: null } });
    refused(`<AuthCodeRequest xmlns="urn:x"/>`, 'application/xml', 400, 'invalid_request', `The XML root must be <AuthCodeRequest xmlns="${REQUEST_NS}">.`);
  });
});

describe('SaG body: form', () => {
  it('matches names case-insensitively, keeps the contract spelling, decodes values and ignores unknown names', () => {
    assert.deepEqual(read('clientid=c&CLIENTSECRET=a+b%2B&username=&x=1&Password=p%26q', 'application/x-www-form-urlencoded'), {
      format: 'form',
      fields: { ClientId: 'c', ClientSecret: 'a b+', Username: '', Password: 'p&q' },
    });
    assert.deepEqual(read('', 'application/x-www-form-urlencoded'), { format: 'form', fields: {} });
  });

  it('refuses a duplicated field in any case, naming it', () => {
    refused('Username=a&Password=p&USERNAME=b', 'application/x-www-form-urlencoded', 400, 'invalid_request', 'Username appears more than once.', {
      Username: 'Duplicated field.',
    });
  });

  it('takes at most 100 parameters (unknown names count)', () => {
    const params = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');
    assert.deepEqual(read(`${params(99)}&Username=u`, 'application/x-www-form-urlencoded'), { format: 'form', fields: { Username: 'u' } });
    refused(`${params(100)}&Username=u`, 'application/x-www-form-urlencoded', 413, 'too_many_parameters', 'The request has too many parameters.');
  });
});

describe('SaG body: JSON', () => {
  const JSON_TYPE = 'application/json';

  it('matches names case-insensitively, keeps null, ignores unknown names', () => {
    assert.deepEqual(read('{"clientID":"c","PASSWORD":"p","Scope":null,"Other":5,"__proto__":"x"}', JSON_TYPE), {
      format: 'json',
      fields: { ClientId: 'c', Password: 'p', Scope: null },
    });
  });

  it('reads keys written with escapes, and values holding quotes, backslashes, braces and commas', () => {
    assert.deepEqual(read('{"Client\\u0049d":"c","Username":"a\\"b,{[\\\\","Password":"}],\\"Username\\":"}', JSON_TYPE), {
      format: 'json',
      fields: { ClientId: 'c', Username: 'a"b,{[\\', Password: '}],"Username":' },
    });
  });

  it('reads only top-level keys: the same names inside objects and arrays are not fields and not duplicates', () => {
    const text =
      '{"x":{"Username":"in","a":[{"Password":"in"},"Username",{"y":{"Username":1}}]},"Username":"u","z":["Password",{"Password":2}],"Password":"p"}';
    assert.deepEqual(read(text, JSON_TYPE), { format: 'json', fields: { Username: 'u', Password: 'p' } });
    assert.deepEqual(read('{"a":[1,2],"b":{"c":1,"d":"Scope"},"Scope":"s"}', JSON_TYPE), { format: 'json', fields: { Scope: 's' } });
    // A top-level value that spells a field name is a value, not a key.
    assert.deepEqual(read('{"Other": "Username", "Username":"u"}', JSON_TYPE), { format: 'json', fields: { Username: 'u' } });
  });

  it('refuses a duplicated key (JSON.parse would keep the last), in any case, naming it', () => {
    refused('{"Username":"a","Password":"p","username":"b"}', JSON_TYPE, 400, 'invalid_request', 'Username appears more than once.', {
      Username: 'Duplicated field.',
    });
    refused('{"Scope":null,"Scope":"s"}', JSON_TYPE, 400, 'invalid_request', 'Scope appears more than once.', { Scope: 'Duplicated field.' });
  });

  it('refuses a field that is not a string or null, naming it', () => {
    for (const v of ['1', 'true', '{}', '["p"]']) {
      refused(`{"Username":"u","Password":${v}}`, JSON_TYPE, 400, 'invalid_request', 'Password must be a string.', { Password: 'Must be a string.' });
    }
  });

  it('refuses text that is not JSON, and JSON that is not an object', () => {
    refused('{"Username":', JSON_TYPE, 400, 'invalid_request', 'The request body is not valid JSON.');
    refused('', JSON_TYPE, 400, 'invalid_request', 'The request body is not valid JSON.');
    for (const v of ['null', '1', '"s"', 'true', '[]', '[{"Username":"u"}]']) {
      refused(v, JSON_TYPE, 400, 'invalid_request', 'The request body must be a JSON object.');
    }
  });

  it('reads the seed’s JSON sample', () => {
    const seed =
      '{\n"ClientId": "o7p7zumt2qa5xfybvhepeyexg26ijdua",\n"ClientSecret": "aWw2ZnJ4ZGR3YWN1MDdobzZyc2llbng2d3Ayc29nZTc=",\n"Username": "user",\n"Password": "password"\n}';
    assert.deepEqual(read(seed, 'text/json'), {
      format: 'json',
      fields: {
        ClientId: 'o7p7zumt2qa5xfybvhepeyexg26ijdua',
        ClientSecret: 'aWw2ZnJ4ZGR3YWN1MDdobzZyc2llbng2d3Ayc29nZTc=',
        Username: 'user',
        Password: 'password',
      },
    });
  });
});

describe('SaG answer envelope', () => {
  it('is the seed’s JSON sample: StatusCode as the enum number, ErrorId null', () => {
    assert.deepEqual(RESPONSE_STATUS, { Ok: 0, Error: 1 });
    assert.equal(
      toJson(ok('2j4ksda234kjsafdsaf14sfsdag1==')),
      '{"Header":{"Message":"","StatusCode":0,"Status":"Ok","ErrorId":null},"Body":{"AuthCode":"2j4ksda234kjsafdsaf14sfsdag1=="}}',
    );
    assert.equal(
      toJson(failure('invalid_client', 'No "such" client.')),
      '{"Header":{"Message":"No \\"such\\" client.","StatusCode":1,"Status":"Error","ErrorId":"invalid_client"},"Body":{"AuthCode":null}}',
    );
  });

  it('is the seed’s XML sample: alphabetical elements, the enum name, i:nil for null, escaped text', () => {
    assert.equal(
      REQUEST_NS + RESPONSE_NS,
      'http://schemas.datacontract.org/2004/07/SaG.OTC.API.Models.Requests' + 'http://schemas.datacontract.org/2004/07/SaG.OTC.API.Models.Responses',
    );
    assert.equal(
      toXml(ok('2j4k=')),
      `<AuthCodeResponse xmlns:i="${XSI}" xmlns="http://schemas.datacontract.org/2004/07/SaG.OTC.API.Models.Responses">` +
        '<Body><AuthCode>2j4k=</AuthCode></Body>' +
        '<Header><ErrorId i:nil="true" /><Message></Message><Status>Ok</Status><StatusCode>Ok</StatusCode></Header>' +
        '</AuthCodeResponse>',
    );
    assert.equal(
      toXml(failure('invalid_scope', 'a<b & "c"')),
      `<AuthCodeResponse xmlns:i="${XSI}" xmlns="${RESPONSE_NS}">` +
        '<Body><AuthCode i:nil="true" /></Body>' +
        '<Header><ErrorId>invalid_scope</ErrorId><Message>a&lt;b &amp; &quot;c&quot;</Message><Status>Error</Status><StatusCode>Error</StatusCode></Header>' +
        '</AuthCodeResponse>',
    );
  });
});

describe('SaG AuthCodeRequest contract', () => {
  const valid = { ClientId: 'c', ClientSecret: 's', Username: 'u', Password: 'p' };
  const problems = (input: Record<string, unknown>) => {
    const r = authCodeRequest.safeParse(input);
    return r.success ? [] : zodProblems(r.error);
  };

  it('is posted to /admin/login/auth_code as <AuthCodeRequest> in the requests namespace, with six fields', () => {
    assert.equal(PATH, '/admin/login/auth_code');
    assert.deepEqual(FIELDS, ['ClientId', 'ClientSecret', 'Username', 'Password', 'RedirectUri', 'Scope']);
    assert.deepEqual(AUTH_CODE_REQUEST_XML, { root: 'AuthCodeRequest', namespace: REQUEST_NS });
  });

  it('takes the four required strings, and RedirectUri and Scope absent, null or a string', () => {
    assert.deepEqual(authCodeRequest.parse(valid), valid);
    assert.deepEqual(authCodeRequest.parse({ ...valid, RedirectUri: null, Scope: null }), { ...valid, RedirectUri: null, Scope: null });
    assert.deepEqual(authCodeRequest.parse({ ...valid, RedirectUri: '', Scope: 'a b' }), { ...valid, RedirectUri: '', Scope: 'a b' });
    assert.deepEqual(authCodeRequest.parse({ ...valid, Password: 'pp', Extra: 'x' }), { ...valid, Password: 'pp' });
  });

  it('refuses each required field missing, null or empty with "is required."', () => {
    for (const name of ['ClientId', 'ClientSecret', 'Username', 'Password']) {
      for (const value of [undefined, null, '']) {
        assert.deepEqual(problems({ ...valid, [name]: value }), [{ field: name, message: 'is required.' }], `${name}=${value}`);
      }
    }
  });

  it('holds each field to its length, up to the limit itself', () => {
    const limits: Record<string, number> = { ClientId: 200, ClientSecret: 1024, Username: 320, Password: 4096, RedirectUri: 2000, Scope: 1000 };
    for (const [name, max] of Object.entries(limits)) {
      assert.deepEqual(problems({ ...valid, [name]: 'x'.repeat(max) }), [], `${name} at ${max}`);
      assert.deepEqual(problems({ ...valid, [name]: 'x'.repeat(max + 1) }), [{ field: name, message: 'is too long.' }], `${name} at ${max + 1}`);
    }
  });

  it('refuses a RedirectUri or Scope that is not a string with "must be a string."', () => {
    assert.deepEqual(problems({ ...valid, RedirectUri: 1 }), [{ field: 'RedirectUri', message: 'must be a string.' }]);
    assert.deepEqual(problems({ ...valid, Scope: ['a'] }), [{ field: 'Scope', message: 'must be a string.' }]);
  });
});
