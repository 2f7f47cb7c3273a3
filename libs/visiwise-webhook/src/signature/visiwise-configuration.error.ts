/**
 * Thrown at construction or application start when the webhook configuration cannot work (no
 * secret, a malformed secret, an invalid option). The message names the option and the fix, and
 * never contains a secret. A library throws; the application decides whether to exit.
 */
export class VisiwiseConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VisiwiseConfigurationError';
  }
}
