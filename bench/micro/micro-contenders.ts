/** The contenders of the verify micro-benchmark, as they appear in the report. */
export const MICRO_CONTENDERS = {
  floor: 'createHmac floor',
  floorString: 'createHmac, digest as a string',
  ours: 'VisiwiseWebhookVerifier.verify',
  oursParse: 'verify + JSON.parse',
  parse: 'JSON.parse only',
  standardwebhooks: 'standardwebhooks 1.0.0 verify',
  svix: 'svix 1.99.1 verify',
} as const;
