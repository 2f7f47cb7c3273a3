import { randomBytes } from 'node:crypto';

/** A fresh nonce for the page's one `<style>` element. */
export function styleNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Headers of every response of the page's routes (set before anything can fail, so error answers
 * carry them too). The policy allows no script at all, one inline stylesheet by nonce, no images,
 * no framing, forms posting to the page's own origin only; nothing is cached or sent as referrer
 * (URLs carry delivery ids and tracking references).
 */
export function pageHeaders(nonce: string): Readonly<Record<string, string>> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      "img-src 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
