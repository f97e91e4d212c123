// The slice of autocannon's API the benchmark uses (it ships no types).
declare module 'autocannon' {
  interface RequestSpec {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    setupRequest?: (req: RequestSpec, context: Record<string, unknown>) => RequestSpec | null | undefined;
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
  }
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    amount?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    requests?: RequestSpec[];
  }
  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
    p99_9: number;
    total: number;
  }
  interface Result {
    latency: Histogram;
    requests: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  interface Instance {
    on(event: 'start', fn: () => void): void;
    on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
    on(event: 'done', fn: (r: Result) => void): void;
    stop(): void;
  }
  function autocannon(opts: Options, cb: (err: Error | null, result: Result) => void): Instance;
  export default autocannon;
}

// oidc-provider's own in-memory adapter and its LRU (deep imports; the peer sizes the LRU up).
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  import type { Adapter } from 'oidc-provider';
  const MemoryAdapter: new (model: string, storage: unknown, clockTolerance: number) => Adapter;
  export default MemoryAdapter;
}
declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(opts: { maxSize: number });
  }
}
