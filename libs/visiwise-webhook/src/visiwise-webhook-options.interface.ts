/**
 * Options of `VisiwiseWebhookModule.forRoot()` (or returned by the `forRootAsync()` factory).
 */
export interface VisiwiseWebhookModuleOptions {
  /**
   * The endpoint's signing secret (`whsec_...`, from the Visiwise dashboard), or several during a
   * rotation. When omitted, `VISIWISE_WEBHOOK_SECRET` is read through `ConfigService` (if
   * `@nestjs/config` is set up) or `process.env`; it may hold several secrets separated by spaces
   * or commas. A missing or malformed secret makes the application fail at start.
   */
  secret?: string | readonly string[];
  /**
   * Accepted distance, in seconds, between the signed `svix-timestamp` and the server clock, in
   * both directions. Older deliveries are rejected as replays.
   * @default 300
   */
  toleranceSeconds?: number;
}

/**
 * Registration-time options, accepted by both `forRoot()` and `forRootAsync()` at the top level
 * (not from the async factory: Nest builds routes before async providers resolve).
 */
export interface VisiwiseWebhookModuleExtras {
  /**
   * Register the module globally, so its exports (the guard, the verifier) are injectable
   * everywhere without importing it again.
   * @default false
   */
  isGlobal?: boolean;
  /**
   * Route of the webhook endpoint (`POST /<path>`), relative to the app's global prefix.
   * @default 'webhooks/visiwise'
   */
  path?: string;
}
