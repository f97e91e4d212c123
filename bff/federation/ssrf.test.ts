/**
 * An admin cannot make the server reach internal addresses through a
 * connection's issuer URL: loopback, private, link-local, unspecified and
 * IPv4-mapped forms, names that resolve to them, and numeric spellings are all
 * refused with one text, and that text is the same for an open port, a closed
 * port, and a port that does not speak OpenID, so nobody maps the network.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { startTestApp, type TestApp } from '../testing/test-app.ts';
import { Agent, signedInAgent } from '../testing/agent.ts';
import { createAccount } from '../accounts/accounts.ts';
import { startUpstreamOp, type UpstreamOp } from '../testing/upstream-op.ts';
import { isRefusedAddress } from './egress.ts';
import { clientSecretSealer } from './crypto.ts';
import { portalInteraction } from './test-helpers.ts';

const PASSWORD = 'correct horse battery staple';

const failureText = (issuer: string) =>
  `The issuer did not answer OpenID discovery at ${issuer.replace(/\/$/, '')}/.well-known/openid-configuration. Check the issuer URL, and that the portal can reach it.`;

/** A port that accepts TCP and closes at once (open, but no HTTP), and a port nobody listens on. */
async function ports(): Promise<{ rude: Server; rudePort: number; closedPort: number }> {
  const rude = createServer((s) => s.destroy());
  await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return { rude, rudePort: (rude.address() as { port: number }).port, closedPort };
}

async function adminOf(app: TestApp): Promise<Agent> {
  await createAccount(app.store, { email: 'admin@example.com', password: PASSWORD, role: 'admin' }, Date.now());
  return signedInAgent(app.url, 'admin@example.com', PASSWORD);
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`federation egress (${db})`, () => {
    let app: TestApp;
    let dev: TestApp;
    let admin: Agent;
    let devAdmin: Agent;
    let up: UpstreamOp;
    let net: Awaited<ReturnType<typeof ports>>;

    before(async () => {
      app = await startTestApp({ db });
      dev = await startTestApp({ db, env: { FEDERATION_ALLOW_PRIVATE: '1' } });
      admin = await adminOf(app);
      devAdmin = await adminOf(dev);
      up = await startUpstreamOp({ redirectUris: [`${app.url}/bff/federation/callback`] });
      net = await ports();
    });
    after(async () => {
      await new Promise<void>((r) => net?.rude.close(() => r()));
      await up?.close();
      await dev?.close();
      await app?.close();
    });

    const attempt = async (agent: Agent, issuer: string) => {
      const res = await agent.api('POST', '/bff/admin/connections', { name: 'Probe', issuer, clientId: up.clientId, clientSecret: up.clientSecret });
      return { status: res.status, body: (await res.json()) as { error: string; message: string; fields?: Record<string, string> } };
    };

    it('refuses internal addresses in every spelling, with one text', async () => {
      const upPort = new URL(up.issuer).port;
      const issuers = [
        up.issuer, // a real, working OpenID Provider on 127.0.0.1
        `http://localhost:${upPort}`,
        `http://[::1]:${upPort}`,
        'https://169.254.169.254',
        'https://10.0.0.8',
        'https://192.168.1.1',
        'https://0.0.0.0',
        'https://[::ffff:127.0.0.1]',
        'https://[::ffff:10.0.0.8]',
        `http://2130706433:${upPort}`, // 127.0.0.1, spelt as one decimal number
        'https://0x7f.1',
        'https://[fd00::1]',
        'https://[fe80::1]',
        `http://127.0.0.1:${net.closedPort}`,
        `http://127.0.0.1:${net.rudePort}`,
      ];
      let refused = 0;
      for (const issuer of issuers) {
        const { status, body } = await attempt(admin, issuer);
        assert.equal(status, 400, issuer);
        assert.deepEqual(
          { error: body.error, message: body.message, fields: body.fields },
          { error: 'discovery_failed', message: failureText(issuer), fields: { issuer: 'OpenID discovery failed for this issuer.' } },
          issuer,
        );
        refused++;
      }
      assert.equal(refused, issuers.length);
      assert.equal((await app.store.federation.listConnections()).length, 0);
    });

    it('with FEDERATION_ALLOW_PRIVATE, reaches a local provider, and gives a closed, a silent and a non-OpenID port one text', async () => {
      const texts = new Set<string>();
      for (const issuer of [`http://127.0.0.1:${net.closedPort}`, `http://127.0.0.1:${net.rudePort}`, dev.url]) {
        const { status, body } = await attempt(devAdmin, issuer);
        assert.equal(status, 400, issuer);
        assert.equal(body.error, 'discovery_failed');
        texts.add(body.message.replace(issuer, '<issuer>'));
      }
      assert.deepEqual([...texts], [failureText('<issuer>')]);
      const ok = await attempt(devAdmin, up.issuer);
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
    });
  });
}

/** An HTTP server on loopback that counts the requests it gets. */
async function countingServer() {
  let hits = 0;
  const server = createHttpServer((_req, res) => {
    hits++;
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    hits: () => hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

for (const db of ['sqlite', 'postgres'] as const)
  describe(`federation sign-in to a stored connection with an internal issuer (${db})`, () => {
    it('never reaches it without FEDERATION_ALLOW_PRIVATE, and shows the provider as unavailable', async () => {
      const target = await countingServer();
      const reached: number[] = [];
      for (const allow of [false, true]) {
        const app = await startTestApp({ db, env: allow ? { FEDERATION_ALLOW_PRIVATE: '1' } : {} });
        try {
          // Stored as an earlier version (or a development setting) would have let it be created.
          const id = `conn_internal_${allow}`;
          await app.store.federation.createConnection({
            id,
            name: `Internal ${allow}`,
            issuer: target.url,
            clientId: 'x',
            clientSecret: clientSecretSealer(app.config.cookieSecrets).seal('s', id),
            scopes: ['openid'],
            orgId: null,
            domains: [],
            createdAt: Date.now(),
            updatedAt: Date.now(),
          });
          const agent = new Agent(app.url);
          const uid = await portalInteraction(app, agent);
          const before = target.hits();
          const res = await agent.get(`/bff/federation/${id}/start?uid=${uid}`);
          assert.equal(res.status, 303);
          const to = new URL(res.headers.get('location')!, app.url);
          assert.deepEqual([to.pathname, to.searchParams.get('reason')], ['/federation/error', 'provider_unavailable']);
          reached.push(target.hits() - before);
        } finally {
          await app.close();
        }
      }
      // Refused at connect time without the flag; with it, discovery really went out (and got a 404).
      assert.deepEqual(reached, [0, 1]);
      await target.close();
    });
  });

describe('isRefusedAddress', () => {
  it('sorts addresses into internal and public', () => {
    const internal = [
      '127.0.0.1',
      '127.255.0.9',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '100.64.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::127.0.0.1',
      '::',
      '64:ff9b::a00:1',
      '2002:7f00:1::1',
      'not an address',
    ];
    const external = ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'];
    assert.deepEqual(
      internal.filter((a) => !isRefusedAddress(a)),
      [],
    );
    assert.deepEqual(
      external.filter((a) => isRefusedAddress(a)),
      [],
    );
  });
});
