/**
 * Injection token of the `VisiwiseHealthSource` the health indicator reads (internal: the
 * module provides it from its delivery runtime).
 */
export const VISIWISE_HEALTH_SOURCE = Symbol('VISIWISE_HEALTH_SOURCE');

/** Longest a readiness check waits for the dead-letter count (probes time out after 1 s by default). */
export const DEAD_LETTER_COUNT_TIMEOUT_MS = 500;
