/**
 * A Redis key is bytes, and a JavaScript string becomes UTF-8 on its way there: every lone
 * surrogate (half of a UTF-16 pair on its own) turns into U+FFFD, so `'a\ud800'` and `'a\udfff'`
 * would name one key. Every key part the module builds from input escapes them with this.
 */

/** Whether `text` holds a lone surrogate. */
export function hasLoneSurrogate(text: string): boolean {
  return !text.isWellFormed();
}

/** `%uD800` for a lone surrogate: no other escape of the module writes `%u`, so it stays apart. */
export function escapeLoneSurrogate(char: string): string {
  return `%u${char.charCodeAt(0).toString(16).toUpperCase()}`;
}
