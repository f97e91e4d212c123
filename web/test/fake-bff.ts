import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startServer } from './http-server.ts';
import type { RecordedRequest, Reply, TestServer } from './http-server.ts';
import { pointDocumentAt } from './render-app.tsx';

export type Route = (request: RecordedRequest) => Reply;

export interface FakeBff {
  /** The answers for the current test, keyed by "METHOD /path"; emptied before each test. */
  readonly answers: Record<string, Route>;
  /** The real HTTP server behind it (set once the suite starts). */
  server: TestServer;
}

/**
 * A fake BFF on a real loopback HTTP server for a whole test file: started
 * before the tests, reset (answers, recorded requests) before each, and the
 * document pointed at it, so the SPA's fetches reach it as they would the BFF.
 */
export function useFakeBff(beforeEachTest?: () => void): FakeBff {
  const bff: FakeBff = { answers: {}, server: undefined as unknown as TestServer };
  beforeAll(async () => {
    bff.server = await startServer((request) => {
      const key = `${request.method} ${request.url.split('?')[0]}`;
      const route = bff.answers[key];
      return route ? route(request) : { status: 404, body: { error: 'not_found', message: `No route for ${key}` } };
    });
  });
  afterAll(() => bff.server.close());
  beforeEach(() => {
    for (const key of Object.keys(bff.answers)) delete bff.answers[key];
    bff.server.requests.length = 0;
    beforeEachTest?.();
    pointDocumentAt(bff.server.origin);
  });
  return bff;
}
