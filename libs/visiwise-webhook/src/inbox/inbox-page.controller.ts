import {
  Controller,
  Get,
  Inject,
  Logger,
  OnModuleInit,
  Optional,
  Post,
  Req,
  Res,
  Type,
  UseGuards,
} from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { webhookRoutePath } from '../http/unparseable-body.hook';
import type { PostgresDeliveryLog } from '../postgres/postgres-delivery-log';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { LOGGER_CONTEXT } from '../visiwise-webhook.constants';
import type { SafeHtml } from './html-template';
import {
  VISIWISE_DELIVERY_LOG,
  VISIWISE_INBOX_REPLAYER,
  type VisiwiseInboxReplayer,
} from './inbox.constants';
import { csrfCookie, csrfProblem, CSRF_FIELD_NAME, isCrossSite, pageCsrfToken } from './inbox-csrf';
import { REPLAY_FLASHES, renderDelivery, type ReplayFlash } from './inbox-delivery.view';
import { errorPage, pageLink } from './inbox-layout.view';
import { renderList } from './inbox-list.view';
import { isProduction, type ResolvedInboxPage } from './inbox-page-config';
import { VisiwiseInboxPageException } from './inbox-page.exception';
import { pageHeaders, styleNonce } from './inbox-page-headers';
import {
  crossSiteRequestMessage,
  csrfTokenMismatchMessage,
  csrfTokenMissingMessage,
  inboxPageNeedsInboxMessage,
  replayFailedMessage,
  replayRequestedMessage,
  unguardedInProductionMessage,
  unguardedPageWarningMessage,
} from './inbox-page.messages';
import {
  InvalidParameterError,
  readDeliveryKey,
  readListQuery,
  urlParameters,
  type ParameterReader,
} from './inbox-query';
import { readForm } from './replay-form';

/** What the page reads from the delivery log: nothing that writes. */
type InboxPageLog = Pick<PostgresDeliveryLog, 'list' | 'get' | 'summary'>;

/** The parts of an Express or Fastify request the page reads. */
interface PageRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Both platforms: `https` behind a trusted proxy that says so. */
  readonly protocol?: unknown;
  /** Express 5 and Fastify 5: the host with its port, honouring the trust-proxy setting. */
  readonly host?: unknown;
}

const header = (request: PageRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Builds the inbox page's controller for one registration (as the webhook's: a fresh class per
 * registration, so that two cannot share route metadata). It depends on the delivery log and the
 * replayer tokens only; every route sits behind the registration's guards.
 */
export function createVisiwiseInboxPageController(page: ResolvedInboxPage): Type<unknown> {
  @Controller(page.path)
  @UseGuards(...page.guards)
  class VisiwiseInboxPageController implements OnModuleInit {
    private readonly logger = new Logger(LOGGER_CONTEXT);

    constructor(
      private readonly adapterHost: HttpAdapterHost,
      private readonly applicationConfig: ApplicationConfig,
      // Null (or, outside the module, absent) when `inbox` is off: the start then fails below.
      @Optional() @Inject(VISIWISE_DELIVERY_LOG) private readonly log?: InboxPageLog | null,
      @Optional()
      @Inject(VISIWISE_INBOX_REPLAYER)
      private readonly replayer?: VisiwiseInboxReplayer | null,
    ) {}

    /** Fails the start without a delivery log; warns, at every start, about an open page. */
    onModuleInit(): void {
      if (!this.log || !this.replayer) {
        throw new VisiwiseConfigurationError(inboxPageNeedsInboxMessage());
      }
      if (page.unguarded) {
        // Checked at registration too; NODE_ENV may have been set (by a .env loader) since.
        if (isProduction()) {
          throw new VisiwiseConfigurationError(unguardedInProductionMessage(page.path));
        }
        this.logger.warn(unguardedPageWarningMessage(this.base()));
      }
    }

    /** Summary by status and type, filters, and one page of deliveries, newest first. */
    @Get()
    async list(@Req() request: PageRequest, @Res() response: object): Promise<void> {
      const nonce = this.begin(response);
      const log = this.deliveryLog();
      let query;
      try {
        query = readListQuery(this.parameters(request));
      } catch (error) {
        this.badParameter(response, nonce, error);
        return;
      }
      let deliveries;
      try {
        deliveries = await log.list(query.filter, {
          limit: query.limit,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
      } catch (error) {
        if (error instanceof RangeError) {
          // A cursor the log did not hand out (edited, or from an older version).
          this.badParameter(response, nonce, new InvalidParameterError(error.message));
          return;
        }
        throw error;
      }
      const summary = await log.summary();
      this.send(
        response,
        200,
        renderList({ base: this.base(), nonce, summary, page: deliveries, query }),
      );
    }

    /** One delivery, with a replay form when it is replayable. */
    @Get('delivery')
    async delivery(@Req() request: PageRequest, @Res() response: object): Promise<void> {
      const nonce = this.begin(response);
      const read = this.parameters(request);
      let key;
      try {
        key = readDeliveryKey(read);
      } catch (error) {
        this.badParameter(response, nonce, error);
        return;
      }
      const delivery = await this.deliveryLog().get(key);
      if (delivery === undefined) {
        this.send(
          response,
          404,
          errorPage({
            nonce,
            home: this.base(),
            title: 'Delivery not found',
            message: `No delivery ${key.deliveryId} on endpoint ${key.endpoint} is in the log (it may have been pruned).`,
          }),
        );
        return;
      }
      const { token, isNew } = pageCsrfToken(header(request, 'cookie'));
      if (isNew) {
        this.adapter().setHeader(
          response,
          'Set-Cookie',
          csrfCookie(token, this.base(), request.protocol === 'https'),
        );
      }
      const flash = read('replay');
      this.send(
        response,
        200,
        renderDelivery({
          base: this.base(),
          nonce,
          delivery,
          csrfToken: token,
          flash: REPLAY_FLASHES.find((known) => known === flash),
        }),
      );
    }

    /**
     * Replays a delivery (a state change, so a POST with a CSRF token from the page's own origin),
     * then redirects to its page (303), which shows what happened.
     */
    @Post('replay')
    async replay(@Req() request: PageRequest, @Res() response: object): Promise<void> {
      this.begin(response);
      const replayer = this.deliveryReplayer();
      const host = typeof request.host === 'string' ? request.host : header(request, 'host');
      if (isCrossSite(request.headers, host)) {
        throw new VisiwiseInboxPageException('cross_site_request', crossSiteRequestMessage());
      }
      const read = await readForm(request);
      const problem = csrfProblem(header(request, 'cookie'), read(CSRF_FIELD_NAME));
      if (problem !== undefined) {
        throw new VisiwiseInboxPageException(
          problem,
          problem === 'csrf_token_missing' ? csrfTokenMissingMessage() : csrfTokenMismatchMessage(),
        );
      }
      let key;
      try {
        key = readDeliveryKey(read);
      } catch (error) {
        throw new VisiwiseInboxPageException(
          'invalid_form',
          error instanceof Error ? error.message : String(error),
        );
      }
      let result: ReplayFlash;
      try {
        result = await replayer.replay(key);
        this.logger.log(replayRequestedMessage(key, result));
      } catch (error) {
        // Answered with the delivery page and a notice rather than a bare 500: the operator
        // stays where they were; the error and its stack go to the application log.
        this.logger.error(
          replayFailedMessage(key),
          error instanceof Error ? error.stack : String(error),
        );
        result = 'error';
      }
      const location = pageLink(this.base(), '/delivery', {
        endpoint: key.endpoint,
        tenant: key.tenant,
        id: key.deliveryId,
        replay: result,
      });
      this.adapter().redirect(response, 303, location);
    }

    private adapter(): NonNullable<HttpAdapterHost['httpAdapter']> {
      return this.adapterHost.httpAdapter;
    }

    /** The page's path as the browser sees it (global prefix included). */
    private base(): string {
      return webhookRoutePath(this.applicationConfig.getGlobalPrefix(), page.path);
    }

    private deliveryLog(): InboxPageLog {
      if (!this.log) {
        throw new VisiwiseConfigurationError(inboxPageNeedsInboxMessage());
      }
      return this.log;
    }

    private deliveryReplayer(): VisiwiseInboxReplayer {
      if (!this.replayer) {
        throw new VisiwiseConfigurationError(inboxPageNeedsInboxMessage());
      }
      return this.replayer;
    }

    private parameters(request: PageRequest): ParameterReader {
      const url: unknown = this.adapter().getRequestUrl(request);
      return urlParameters(typeof url === 'string' ? url : '');
    }

    /** Sets the security headers first, so that every answer carries them; returns the nonce. */
    private begin(response: object): string {
      const nonce = styleNonce();
      for (const [name, value] of Object.entries(pageHeaders(nonce))) {
        this.adapter().setHeader(response, name, value);
      }
      return nonce;
    }

    private send(response: object, status: number, document: SafeHtml): void {
      this.adapter().setHeader(response, 'Content-Type', 'text/html; charset=utf-8');
      this.adapter().reply(response, document.markup, status);
    }

    private badParameter(response: object, nonce: string, error: unknown): void {
      if (!(error instanceof InvalidParameterError)) {
        throw error;
      }
      this.send(
        response,
        400,
        errorPage({ nonce, home: this.base(), title: 'Bad request', message: error.message }),
      );
    }
  }
  return VisiwiseInboxPageController;
}
