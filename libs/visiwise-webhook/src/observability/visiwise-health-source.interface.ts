import type { VisiwiseHandlingMode } from './delivery-answer.interface';

/**
 * The state of the webhook module that its health indicator reports, read when a probe asks
 * (internal: the delivery runtime implements it). Every read but the dead-letter count is
 * synchronous and touches no server: it reflects what the module already knows.
 */
export interface VisiwiseHealthSource {
  /** The delivery mode. */
  readonly mode: VisiwiseHandlingMode;
  /** Whether the configured Redis answers; `undefined` when no Redis is configured. */
  redisUp(): boolean | undefined;
  /**
   * Whether this process's queue worker runs; `undefined` when this process runs none (not queue
   * mode, or `queue.worker: false`).
   */
  workerRunning(): boolean | undefined;
  /** Whether the module still accepts deliveries (false once shutdown began: they get 503). */
  accepting(): boolean;
  /** How many events are in the dead letters (may reach Redis). */
  deadLetterCount(): Promise<number>;
}
