/** An environment variable is invalid; the message names it, and never echoes a secret. */
export class ConfigError extends Error {
  /** @example new ConfigError('PORT', 'expected an integer from 0 to 65535') */
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid environment variable ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}
