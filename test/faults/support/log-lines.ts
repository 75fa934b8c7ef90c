import type { LogLine } from './app-instance';

/** What a clear log line names: the certificate problem, or the refused credentials. */
export const TLS_CAUSE =
  /certificate|self[- ]signed|unable to verify|CERT_|SSL routines|TLS handshake/i;
export const PASSWORD_CAUSE =
  /WRONGPASS|NOAUTH|invalid username-password|wrong password|authentication failed/i;

/** A Nest log line without its `[Nest] pid - date` prefix, cut to `max` characters. */
export function trimLog(text: string, max = 220): string {
  return text.replace(/^\[Nest\] \d+\s+- [^A-Z]+(AM|PM)?\s+/, '').slice(0, max);
}

/** Lines with repeats (such as one failed health check per poll) shown once, with a count. */
export function distinct(lines: readonly LogLine[]): LogLine[] {
  const seen = new Map<string, LogLine & { count: number }>();
  for (const line of lines) {
    const key = trimLog(line.text);
    const found = seen.get(key);
    if (found) found.count++;
    else seen.set(key, { ...line, count: 1 });
  }
  return [...seen.values()].map(({ count, ...line }) =>
    count > 1 ? { ...line, text: `${line.text} (x${count})` } : line,
  );
}

/** Lines as inline code, repeats folded: for notes. */
export function quoteLines(lines: readonly LogLine[]): string {
  return distinct(lines)
    .map((line) => `\`${trimLog(line.text)}\``)
    .join(' ');
}
