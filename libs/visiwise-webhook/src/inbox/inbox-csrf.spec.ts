import {
  csrfCookie,
  csrfCookieTokens,
  csrfProblem,
  isCrossSite,
  newCsrfToken,
  pageCsrfToken,
  sameToken,
} from './inbox-csrf';

describe('inbox CSRF', () => {
  const token = newCsrfToken();

  it('makes random 43-character base64url tokens', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newCsrfToken()).not.toBe(token);
  });

  it('reads only well-formed token cookies', () => {
    expect(csrfCookieTokens(`a=1; visiwise_inbox_csrf=${token}; b=2`)).toEqual([token]);
    expect(csrfCookieTokens('visiwise_inbox_csrf=short')).toEqual([]);
    expect(csrfCookieTokens(undefined)).toEqual([]);
  });

  it('reuses the browser cookie, or makes a new one (also when two differ)', () => {
    expect(pageCsrfToken(`visiwise_inbox_csrf=${token}`)).toEqual({ token, isNew: false });
    expect(pageCsrfToken(undefined).isNew).toBe(true);
    const other = newCsrfToken();
    const both = pageCsrfToken(`visiwise_inbox_csrf=${token}; visiwise_inbox_csrf=${other}`);
    expect(both.isNew).toBe(true);
    expect([token, other]).not.toContain(both.token);
  });

  it('sets an HttpOnly, SameSite=Strict cookie on the page path, Secure over HTTPS', () => {
    expect(csrfCookie(token, '/admin/inbox', false)).toBe(
      `visiwise_inbox_csrf=${token}; Path=/admin/inbox; HttpOnly; SameSite=Strict`,
    );
    expect(csrfCookie(token, '/admin/inbox', true)).toMatch(/; Secure$/);
  });

  it('accepts the field only when it equals every token cookie', () => {
    const cookie = `visiwise_inbox_csrf=${token}`;
    expect(csrfProblem(cookie, token)).toBeUndefined();
    expect(csrfProblem(cookie, undefined)).toBe('csrf_token_missing');
    expect(csrfProblem(cookie, '')).toBe('csrf_token_missing');
    expect(csrfProblem(undefined, token)).toBe('csrf_token_missing');
    expect(csrfProblem(cookie, newCsrfToken())).toBe('csrf_token_mismatch');
    expect(csrfProblem(`${cookie}; visiwise_inbox_csrf=${newCsrfToken()}`, token)).toBe(
      'csrf_token_mismatch',
    );
    expect(sameToken(token, `${token}x`)).toBe(false);
  });

  it('tells a cross-site request by Sec-Fetch-Site or Origin', () => {
    const host = 'inbox.example:8443';
    expect(isCrossSite({}, host)).toBe(false);
    expect(isCrossSite({ 'sec-fetch-site': 'same-origin' }, host)).toBe(false);
    expect(isCrossSite({ origin: 'https://inbox.example:8443' }, host)).toBe(false);
    expect(isCrossSite({ origin: 'https://INBOX.example:8443' }, host)).toBe(false);
    expect(isCrossSite({ 'sec-fetch-site': 'same-site' }, host)).toBe(true);
    expect(isCrossSite({ 'sec-fetch-site': 'cross-site' }, host)).toBe(true);
    expect(isCrossSite({ 'sec-fetch-site': 'none' }, host)).toBe(true);
    expect(isCrossSite({ origin: 'https://evil.example' }, host)).toBe(true);
    expect(isCrossSite({ origin: 'https://inbox.example' }, host)).toBe(true);
    expect(isCrossSite({ origin: 'null' }, host)).toBe(true);
    // The page's own form under Referrer-Policy: no-referrer: Origin null, vouched for.
    expect(isCrossSite({ origin: 'null', 'sec-fetch-site': 'same-origin' }, host)).toBe(false);
    expect(isCrossSite({ origin: 'null', 'sec-fetch-site': 'cross-site' }, host)).toBe(true);
    expect(
      isCrossSite({ origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }, host),
    ).toBe(true);
    expect(isCrossSite({ origin: 'https://inbox.example:8443' }, undefined)).toBe(true);
  });
});
