// The slice of proxy-addr's API the gateway uses (Express's own dependency; it ships no types).
declare module 'proxy-addr' {
  import type { IncomingMessage } from 'node:http';
  /** The address of the nearest hop not trusted as a proxy, as Express's req.ip. */
  function proxyAddr(req: IncomingMessage, trust: (addr: string, hop: number) => boolean): string;
  export default proxyAddr;
}
