/**
 * clientAddress() (security.ts), the client address of a request Express never
 * sees (the gateway, WebSocket upgrades), on real sockets and Express's own
 * compiled `trust proxy` functions, without the app, so that mutation testing
 * (docs/mutation.md) kills its mutants in a second: a trusted peer gives the
 * nearest untrusted X-Forwarded-For entry (or itself without the header), an
 * untrusted peer is the answer whatever the header says, and a socket with no
 * peer address any more gives null.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { clientAddress, type TrustProxy } from './security.ts';

/** Express's own compiled `trust proxy` function for a setting, as the app hands it to clientAddress(). */
function trustFn(setting: unknown): TrustProxy {
  const app = express();
  app.set('trust proxy', setting);
  return app.get('trust proxy fn') as TrustProxy;
}

describe('clientAddress, on real sockets without the app', () => {
  /** Sends one request with `forwarded` as X-Forwarded-For and returns what `probe` made of it on the server. */
  async function probe(forwarded: string | null, look: (req: IncomingMessage) => unknown): Promise<unknown> {
    let seen: unknown;
    const server = createServer((req, res) => {
      seen = look(req);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      // A probe that destroys the socket makes the request fail: what the server saw is the answer.
      await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers: forwarded === null ? {} : { 'x-forwarded-for': forwarded } }).catch(
        () => undefined,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
    return seen;
  }

  it('a trusted peer: the nearest untrusted address of X-Forwarded-For, or the peer without one', { timeout: 20000 }, async () => {
    assert.equal(await probe('198.51.100.7, 203.0.113.9', (req) => clientAddress(req, trustFn('loopback'))), '203.0.113.9');
    assert.equal(await probe('198.51.100.7, 203.0.113.9', (req) => clientAddress(req, trustFn(2))), '198.51.100.7');
    assert.equal(await probe(null, (req) => clientAddress(req, trustFn(true))), '127.0.0.1');
  });

  it('an untrusted peer is the address, whatever X-Forwarded-For says', { timeout: 20000 }, async () => {
    assert.equal(await probe('203.0.113.9', (req) => clientAddress(req, trustFn(false))), '127.0.0.1');
    assert.equal(await probe('203.0.113.9', (req) => clientAddress(req, trustFn('10.0.0.0/8'))), '127.0.0.1');
  });

  it('null when the socket has no peer address any more', { timeout: 20000 }, async () => {
    const seen = await probe('203.0.113.9', (req) => {
      req.socket.destroy();
      return [req.socket.remoteAddress, clientAddress(req, trustFn(true))];
    });
    assert.deepEqual(seen, [undefined, null]);
  });
});
