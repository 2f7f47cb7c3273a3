/** Header names in the order they are looked up: Svix-branded first, then Standard Webhooks. */
export const ID_HEADERS = ['svix-id', 'webhook-id'] as const;
export const TIMESTAMP_HEADERS = ['svix-timestamp', 'webhook-timestamp'] as const;
export const SIGNATURE_HEADERS = ['svix-signature', 'webhook-signature'] as const;

/** Default replay window, both directions (Svix and Standard Webhooks use five minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Prefix of a Standard Webhooks Ed25519 public key (asymmetric `v1a` signatures). */
export const PUBLIC_KEY_PREFIX = 'whpk_';

/**
 * Longest signature header parsed. 32 `v1a` entries (the longest kind) take ~3 KB; anything far
 * beyond is hostile and is refused before any of it is decoded.
 */
export const MAX_SIGNATURE_HEADER_LENGTH = 8192;

/** Length of an Ed25519 signature. */
export const ED25519_SIGNATURE_BYTES = 64;

/** Optional prefix of a Svix / Standard Webhooks symmetric secret. */
export const SYMMETRIC_SECRET_PREFIX = 'whsec_';

/**
 * Svix sends at most 11 signatures (one per active key during sender-side rotation); anything far
 * beyond that is hostile, and bounding it bounds the HMAC-compare work one request can cause.
 */
export const MAX_SIGNATURES_PARSED = 32;

/** Longest message id accepted; Svix ids are ~31 characters (`msg_` + KSUID). */
export const MAX_ID_LENGTH = 256;

/** A decoded HMAC key shorter than this is almost certainly a truncated copy-paste. */
export const MIN_SECRET_BYTES = 16;

/** Length of an HMAC-SHA256 digest. */
export const SHA256_BYTES = 32;
