// The few parts of autocannon's programmatic API the bench uses (the package ships no types).
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      /** Seconds, checked every `sampleInt` ms. */
      duration?: number;
      /** Sampling interval in ms (default 1000, which also rounds `duration` up to whole seconds). */
      sampleInt?: number;
      /** Sent with every request. */
      headers?: Record<string, string>;
      requests?: {
        path?: string;
        method?: string;
        setupRequest?: (request: { path: string }) => { path: string };
      }[];
      pipelining?: number;
    }
    interface Histogram {
      average: number;
      p50: number;
      p99: number;
      max: number;
      total: number;
    }
    interface Result {
      /** Seconds, rounded to the sampling interval. */
      duration: number;
      start: Date;
      finish: Date;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
      /** Milliseconds, 1 ms resolution. */
      latency: Histogram;
      requests: Histogram & { sent: number };
    }
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export = autocannon;
}
