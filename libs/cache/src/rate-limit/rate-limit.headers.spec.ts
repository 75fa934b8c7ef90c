import { rateLimitHeaders, setResponseHeader } from './rate-limit.headers';
import type { RateLimitState } from './rate-limit-store.interface';

const state = (name: string, limit: number, window: number, remaining: number, resetMs: number) =>
  ({ rule: { name, limit, window, blockFor: 0 }, remaining, resetMs }) satisfies RateLimitState;

describe('rateLimitHeaders', () => {
  const limits = [state('burst', 10, 1000, 3, 400), state('daily', 1000, 86_400_000, 3, 3_600_001)];

  it('lists every limit in the draft headers, seconds rounded up', () => {
    expect(rateLimitHeaders('draft', limits)).toEqual({
      'RateLimit-Policy': '"burst";q=10;w=1, "daily";q=1000;w=86400',
      RateLimit: '"burst";r=3;t=1, "daily";r=3;t=3601',
    });
  });

  it('describes the most restrictive limit in the legacy headers (fewest left, then latest reset)', () => {
    expect(rateLimitHeaders('legacy', limits)).toEqual({
      'X-RateLimit-Limit': '1000',
      'X-RateLimit-Remaining': '3',
      'X-RateLimit-Reset': '3601',
    });
    expect(
      rateLimitHeaders('legacy', [state('a', 5, 1000, 4, 10), state('b', 9, 1000, 1, 10)]),
    ).toMatchObject({ 'X-RateLimit-Limit': '9', 'X-RateLimit-Remaining': '1' });
  });

  it('sends both sets by default, and none with false', () => {
    expect(Object.keys(rateLimitHeaders('both', limits))).toHaveLength(5);
    expect(rateLimitHeaders(false, limits)).toEqual({});
  });

  it('gives a sub-second window a whole second', () => {
    expect(rateLimitHeaders('draft', [state('a', 1, 300, 0, 300)])['RateLimit-Policy']).toBe(
      '"a";q=1;w=1',
    );
  });
});

describe('setResponseHeader', () => {
  it("uses Node's setHeader() (Express, plain Node) and falls back to header() (Fastify)", () => {
    const fastify = { header: jest.fn() };
    const node = { setHeader: jest.fn() };
    setResponseHeader(fastify, 'RateLimit', 'x');
    setResponseHeader(node, 'RateLimit', 'y');
    expect(fastify.header).toHaveBeenCalledWith('RateLimit', 'x');
    expect(node.setHeader).toHaveBeenCalledWith('RateLimit', 'y');
  });
});
