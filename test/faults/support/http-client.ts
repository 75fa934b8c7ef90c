import * as http from 'node:http';
import { now } from './clock';

/** How one request went. `status` 0 means no answer (timeout, refused, reset). */
export interface HttpResult {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
  /** Clock times (see `now()`) when the request was sent and when its answer was complete. */
  start: number;
  end: number;
  error?: string;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  /** Default 3 s: the load generator's per-request budget. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 3000;

/**
 * A keep-alive HTTP client for one app instance on loopback. It never throws: a request that gets
 * no answer within its timeout resolves with status 0.
 */
export class HttpClient {
  // An idle socket is closed here after 4 s, before the app's server closes it (Node's
  // keepAliveTimeout, 5 s): a request sent on a socket the server is closing at that moment gets
  // a reset, which would count as "no answer". A fault opens many sockets (answers slow down,
  // the load is open loop) that then sit idle until a server closes them.
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 600, timeout: 4000 });

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: http.OutgoingHttpHeaders = {};
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const start = now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: Omit<HttpResult, 'start' | 'end'>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, start, end: now() });
      };
      const req = http.request(
        { host: this.host, port: this.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let body: unknown = text;
            if (/json/.test(String(res.headers['content-type']))) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            finish({ status: res.statusCode ?? 0, body, headers: res.headers });
          });
          res.on('error', (error) =>
            finish({ status: 0, body: undefined, headers: {}, error: error.message }),
          );
        },
      );
      const timer = setTimeout(() => {
        finish({ status: 0, body: undefined, headers: {}, error: 'timeout' });
        req.destroy();
      }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      req.on('error', (error) =>
        finish({ status: 0, body: undefined, headers: {}, error: error.message }),
      );
      req.end(payload);
    });
  }

  get(path: string, options?: RequestOptions): Promise<HttpResult> {
    return this.request('GET', path, options);
  }

  post(path: string, options?: RequestOptions): Promise<HttpResult> {
    return this.request('POST', path, options);
  }

  /** Closes the idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}
