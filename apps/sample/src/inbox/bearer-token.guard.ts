import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The sample's guard of the inbox page: `Authorization: Bearer <VISIWISE_INBOX_TOKEN>`, compared
 * in constant time (as digests, so the length does not leak either). A real app puts its own
 * authentication here (SSO, an admin role).
 */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor() {
    const token = process.env['VISIWISE_INBOX_TOKEN'];
    this.expected = token === undefined || token === '' ? undefined : digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>()
      .headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer (.+)$/.exec(header) : null;
    if (
      this.expected === undefined ||
      !match?.[1] ||
      !timingSafeEqual(digest(match[1]), this.expected)
    ) {
      throw new UnauthorizedException();
    }
    return true;
  }
}
