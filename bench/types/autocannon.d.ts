// autocannon ships no type declarations, and @types/autocannon (written for 7) gives the 'response'
// event no client argument, which 8 passes first: this declares the part load.ts uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    setupRequest?: (request: Request) => Request;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    overallRate?: number;
    requests?: Request[];
  }
  interface Result {
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }

  /** Without a callback: the run's events, and its result when awaited. */
  function autocannon(options: Options): EventEmitter & PromiseLike<Result>;
  export = autocannon;
}
