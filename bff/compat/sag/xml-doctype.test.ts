/**
 * SaG XML refuses every DOCTYPE, not only those that declare or use an entity:
 * an entity-free DOCTYPE (bare, with an empty or entity-free internal subset,
 * or naming an external DTD) around otherwise valid credentials is a 400
 * `invalid_request` envelope, and no code is issued.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../../testing/test-app.ts';
import { createAccount } from '../../accounts/accounts.ts';
import { registerClient } from '../../oauth/clients.ts';
import { REQUEST_NS } from './map.ts';
import { readFlatXml } from './xml.ts';
import { AUTH_CODE_REQUEST_XML } from './schema.ts';

const PASSWORD = 'correct horse battery staple';

const DOCTYPES = [
  '<!DOCTYPE AuthCodeRequest>',
  '<!DOCTYPE AuthCodeRequest []>',
  '<!DOCTYPE AuthCodeRequest [<!ELEMENT AuthCodeRequest ANY>]>',
  '<!DOCTYPE AuthCodeRequest [<!ATTLIST AuthCodeRequest xmlns CDATA #FIXED "x"><!-- nothing to expand -->]>',
  '<!DOCTYPE AuthCodeRequest SYSTEM "AuthCodeRequest.dtd">',
];

const request = (doctype: string, f: Record<string, string>) =>
  `<?xml version="1.0" encoding="utf-8"?>${doctype}<AuthCodeRequest xmlns="${REQUEST_NS}">${Object.entries(f)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('')}</AuthCodeRequest>`;

describe('SaG XML reader: DOCTYPE without entities', () => {
  const fields = { ClientId: 'c', ClientSecret: 's', Username: 'u@example.com', Password: 'p' };
  it('reads the request without a DOCTYPE', () => {
    assert.deepEqual(Object.fromEntries(readFlatXml(request('', fields), AUTH_CODE_REQUEST_XML)), fields);
  });
  for (const doctype of DOCTYPES) {
    it(`refuses ${doctype}`, () => {
      assert.throws(
        () => readFlatXml(request(doctype, fields), AUTH_CODE_REQUEST_XML),
        (e: { code?: string; status?: number }) => e.code === 'invalid_request' && e.status === 400,
      );
    });
  }
});

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`SaG refuses entity-free DOCTYPEs over HTTP (${db})`, () => {
    let app: TestApp;
    let creds: Record<string, string>;
    before(async () => {
      app = await startTestApp({ db });
      await createAccount(app.store, { email: 'op@example.com', password: PASSWORD }, Date.now());
      const { client, secret } = await registerClient(app.store, { name: 'SaG', redirectUris: ['https://partner.example/cb'], isPublic: false }, Date.now());
      creds = { ClientId: client.clientId, ClientSecret: secret!, Username: 'op@example.com', Password: PASSWORD };
    });
    after(() => app.close());

    const post = (body: string) => fetch(`${app.url}/admin/login/auth_code`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body });

    it('the same credentials without a DOCTYPE get a code', async () => {
      const res = await post(request('', creds));
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<AuthCode>[^<]+<\/AuthCode>/);
    });

    it('each entity-free DOCTYPE is a 400 invalid_request envelope and issues no code', async () => {
      const signInsBefore = (await app.store.audit.list({ kind: 'sign_in' })).length;
      for (const doctype of DOCTYPES) {
        const res = await post(request(doctype, creds));
        assert.equal(res.status, 400, doctype);
        const text = await res.text();
        assert.match(text, /<ErrorId>invalid_request<\/ErrorId>/, doctype);
        assert.match(text, /<AuthCode i:nil="true" \/>/, doctype);
      }
      assert.equal((await app.store.audit.list({ kind: 'sign_in' })).length, signInsBefore);
    });
  });
}
