// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../test/http-server.ts';
import type { TestServer } from '../test/http-server.ts';
import { ApiError, apiDelete, apiGet, apiPost, hasCode, isClientError } from './api-client.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer((request) => {
    const path = request.url.split('?')[0];
    switch (path) {
      case '/ok':
        return { body: { hello: 'world' } };
      case '/echo':
        return { body: { received: request.json } };
      case '/no-content':
        return { status: 204 };
      case '/unauthorized':
        return { status: 401, body: { error: 'invalid_credentials', message: 'That email and password do not match.' } };
      case '/validation':
        return {
          status: 400,
          body: {
            error: 'invalid_redirect_uri',
            message: 'One of the redirect URIs is not allowed.',
            fields: { 'redirectUris.0': 'Use https.', name: 'Enter a name.', ignored: 42 },
          },
        };
      case '/throttled':
        return { status: 429, body: { error: 'too_many_attempts', message: 'Too many attempts.', retryAfter: 30 } };
      case '/throttled-header':
        return { status: 429, headers: { 'Retry-After': '17' }, body: { error: 'too_many_attempts', message: 'Slow down.' } };
      case '/gateway':
        return { status: 502, raw: '<html><body>Bad gateway</body></html>' };
      case '/not-json':
        return { status: 200, raw: '<html>oops</html>' };
      case '/gone':
        return { status: 410, body: { error: 'setup_token_invalid', message: 'This setup link was already used.' } };
      default:
        return { status: 404, body: { error: 'not_found', message: 'Nothing here.' } };
    }
  });
});

afterAll(async () => {
  await server.close();
});

const url = (path: string) => `${server.origin}${path}`;
const last = () => {
  const request = server.requests.at(-1);
  if (!request) throw new Error('no request reached the server');
  return request;
};

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw new Error(`expected an ApiError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail');
}

describe('api-client requests', () => {
  it('GET asks for JSON, sends no CSRF header and no body, and returns the parsed answer', async () => {
    await expect(apiGet(url('/ok'))).resolves.toEqual({ hello: 'world' });
    const request = last();
    expect(request.method).toBe('GET');
    expect(request.headers.accept).toBe('application/json');
    expect(request.headers['x-portal-csrf']).toBeUndefined();
    expect(request.rawBody).toBe('');
  });

  it('POST sends the CSRF header and a JSON body', async () => {
    await expect(apiPost(url('/echo'), { email: 'a@example.com', password: 'pw' })).resolves.toEqual({
      received: { email: 'a@example.com', password: 'pw' },
    });
    const request = last();
    expect(request.method).toBe('POST');
    expect(request.headers['x-portal-csrf']).toBe('1');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.accept).toBe('application/json');
  });

  it('POST without a body still sends a JSON body ({})', async () => {
    await apiPost(url('/echo'));
    expect(last().rawBody).toBe('{}');
    expect(last().headers['content-type']).toBe('application/json');
  });

  it('DELETE sends the CSRF header and a JSON body', async () => {
    await apiDelete(url('/echo'));
    const request = last();
    expect(request.method).toBe('DELETE');
    expect(request.headers['x-portal-csrf']).toBe('1');
    expect(request.rawBody).toBe('{}');
  });

  it('returns undefined for an empty success (204)', async () => {
    await expect(apiGet(url('/no-content'))).resolves.toBeUndefined();
  });
});

describe('api-client errors', () => {
  it('types a 401 with the server code and message', async () => {
    const error = await caught(apiPost(url('/unauthorized'), {}));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(401);
    expect(error.code).toBe('invalid_credentials');
    expect(error.message).toBe('That email and password do not match.');
    expect(error.fields).toBeUndefined();
    expect(error.retryAfter).toBeUndefined();
    expect(isClientError(error)).toBe(true);
    expect(hasCode(error, 'invalid_credentials')).toBe(true);
    expect(hasCode(error, 'weak_password', 'invalid_credentials')).toBe(true);
    expect(hasCode(error, 'weak_password')).toBe(false);
    expect(hasCode(new Error('invalid_credentials'), 'invalid_credentials')).toBe(false);
    expect(hasCode(null, 'invalid_credentials')).toBe(false);
  });

  it('keeps per-field messages (strings only)', async () => {
    const error = await caught(apiPost(url('/validation'), {}));
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_redirect_uri');
    expect(error.fields).toEqual({ 'redirectUris.0': 'Use https.', name: 'Enter a name.' });
  });

  it('reads retryAfter from the body of a 429', async () => {
    const error = await caught(apiPost(url('/throttled'), {}));
    expect(error.status).toBe(429);
    expect(error.code).toBe('too_many_attempts');
    expect(error.retryAfter).toBe(30);
  });

  it('falls back to the Retry-After header', async () => {
    const error = await caught(apiPost(url('/throttled-header'), {}));
    expect(error.retryAfter).toBe(17);
    expect(error.message).toBe('Slow down.');
  });

  it('types 404 and 410 answers', async () => {
    const missing = await caught(apiGet(url('/nowhere')));
    expect([missing.status, missing.code]).toEqual([404, 'not_found']);
    const gone = await caught(apiGet(url('/gone')));
    expect([gone.status, gone.code]).toEqual([410, 'setup_token_invalid']);
  });

  it('turns a non-JSON 5xx into server_error with a readable message', async () => {
    const error = await caught(apiGet(url('/gateway')));
    expect(error.status).toBe(502);
    expect(error.code).toBe('server_error');
    expect(error.message).not.toContain('<html>');
    expect(error.message.length).toBeGreaterThan(10);
    expect(isClientError(error)).toBe(false);
  });

  it('rejects a 200 that is not JSON as invalid_response', async () => {
    const error = await caught(apiGet(url('/not-json')));
    expect(error.status).toBe(200);
    expect(error.code).toBe('invalid_response');
  });

  it('reports an unreachable server as network_error with status 0', async () => {
    const closed = await startServer(() => ({ body: {} }));
    const deadUrl = `${closed.origin}/ok`;
    await closed.close();
    const error = await caught(apiGet(deadUrl));
    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
  });
});
