import type { VisiwiseLoggedDeliveryDetail } from '../postgres/delivery-log.interface';
import type { VisiwiseInboxReplayResult } from './inbox.constants';
import { html, type SafeHtml } from './html-template';
import { layout, pageLink, statusBadge, time } from './inbox-layout.view';
import { REPLAYABLE_STATUSES } from './inbox-query';
import { CSRF_FIELD_NAME } from './inbox-csrf';

/** What the last replay request did, as the redirect after it says (`?replay=`). */
export type ReplayFlash = VisiwiseInboxReplayResult | 'error';

/** The flash values the redirect may carry; any other value shows nothing. */
export const REPLAY_FLASHES: readonly ReplayFlash[] = [
  'replayed',
  'not_found',
  'not_replayable',
  'error',
];

/** What the delivery page shows. */
export interface InboxDeliveryView {
  readonly base: string;
  readonly nonce: string;
  readonly delivery: VisiwiseLoggedDeliveryDetail;
  /** The token for the replay form's hidden field (the same value as the cookie). */
  readonly csrfToken: string;
  readonly flash: ReplayFlash | undefined;
}

function flashMessage(flash: ReplayFlash): SafeHtml {
  switch (flash) {
    case 'replayed':
      return html`<p class="flash flash-ok" role="status">
        Replayed: the delivery was handed to its endpoint's delivery mode again. Its status and
        attempts below show the outcome (in the background and queue modes it may take a moment:
        reload).
      </p>`;
    case 'not_replayable':
      return html`<p class="flash flash-warn" role="status">
        Not replayed: only failed, dead and unparseable deliveries can be replayed, and an
        unparseable one only once its body can be read (a readEnvelope option or an upgrade).
      </p>`;
    case 'not_found':
      return html`<p class="flash flash-warn" role="status">
        Not replayed: the delivery is not in the log.
      </p>`;
    case 'error':
      return html`<p class="flash flash-error" role="alert">
        The replay could not start; the application log has the error.
      </p>`;
    default: {
      const unreachable: never = flash;
      return unreachable;
    }
  }
}

/**
 * The recorded body, pretty-printed when it is JSON, else as the text it decodes to. Parsing and
 * printing here only display the body: nothing is evaluated, and the result is escaped.
 */
export function payloadText(rawBody: Buffer): { readonly text: string; readonly json: boolean } {
  const source = rawBody.toString('utf8');
  try {
    // A body nested too deep for JSON.stringify (kept as unparseable) throws RangeError: raw text.
    return { text: JSON.stringify(JSON.parse(source), null, 2), json: true };
  } catch {
    return { text: source, json: false };
  }
}

// The log keeps no signature header; should another implementation pass one on, it is still not
// shown: a signature next to its body is material to resend that exact request.
const isSignatureHeader = (name: string): boolean => name.toLowerCase().includes('signature');

function replaySection(view: InboxDeliveryView): SafeHtml {
  const { delivery } = view;
  if (!REPLAYABLE_STATUSES.includes(delivery.status)) {
    return html`<p class="muted">
      Replay is offered for failed, dead and unparseable deliveries; this one is ${delivery.status}.
    </p>`;
  }
  return html`<form method="post" action="${pageLink(view.base, '/replay')}">
    <input type="hidden" name="endpoint" value="${delivery.endpoint}" />
    <input type="hidden" name="tenant" value="${delivery.tenant}" />
    <input type="hidden" name="id" value="${delivery.deliveryId}" />
    <input type="hidden" name="${CSRF_FIELD_NAME}" value="${view.csrfToken}" />
    <button type="submit" class="replay">Replay</button>
    <span class="muted">Runs this delivery's handlers again with its recorded body.</span>
  </form>`;
}

/** One delivery: fields, replay, issues, attempts with their errors, headers, payload. */
export function renderDelivery(view: InboxDeliveryView): SafeHtml {
  const { delivery } = view;
  const payload = payloadText(delivery.rawBody);
  const headers = Object.entries(delivery.headers).sort(([a], [b]) => a.localeCompare(b));
  const body = html`<p><a href="${view.base}">← All deliveries</a></p>
    <h1>Delivery <span class="mono">${delivery.deliveryId}</span></h1>
    ${view.flash !== undefined && flashMessage(view.flash)}
    <dl class="fields">
      <dt>Status</dt>
      <dd id="status">${statusBadge(delivery.status)}</dd>
      <dt>Event type</dt>
      <dd>${delivery.eventType ?? html`<span class="muted">none (unparseable)</span>`}</dd>
      <dt>Endpoint</dt>
      <dd>${delivery.endpoint}</dd>
      <dt>Tenant</dt>
      <dd>${delivery.tenant === '' ? html`<span class="muted">—</span>` : delivery.tenant}</dd>
      <dt>Delivery id</dt>
      <dd class="mono">${delivery.deliveryId}</dd>
      <dt>Received</dt>
      <dd class="mono">${time(delivery.receivedAt)}</dd>
      <dt>Signed at</dt>
      <dd class="mono">${time(delivery.svixTimestamp)}</dd>
      <dt>Handled at</dt>
      <dd class="mono">${time(delivery.handledAt)}</dd>
      <dt>Failed attempts</dt>
      <dd>${delivery.attempts}</dd>
      <dt>Tracking refs</dt>
      <dd class="mono">${delivery.trackingRefs.join(', ') || '—'}</dd>
      <dt>Body</dt>
      <dd>${delivery.bodyBytes} bytes</dd>
    </dl>
    <h2>Replay</h2>
    ${replaySection(view)}
    <h2>Issues</h2>
    ${
      delivery.issues.length === 0
        ? html`<p class="muted">None: the payload passed its type's checks.</p>`
        : html`<ul>
            ${delivery.issues.map((issue) => html`<li>${issue}</li>`)}
          </ul>`
    }
    ${
      delivery.lastError !== null &&
      html`<h2>Last error</h2>
        <pre id="last-error">${delivery.lastError}</pre>`
    }
    <h2>Attempts</h2>
    ${
      delivery.history.length === 0
        ? html`<p class="muted">No handling attempt recorded.</p>`
        : html`<table aria-label="Attempts">
            <thead>
              <tr>
                <th class="num">#</th>
                <th>Started (UTC)</th>
                <th>Finished (UTC)</th>
                <th>Outcome</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              ${delivery.history.map(
                (attempt) =>
                  html`<tr>
                    <td class="num">${attempt.attempt}</td>
                    <td class="mono">${time(attempt.startedAt)}</td>
                    <td class="mono">${time(attempt.finishedAt)}</td>
                    <td>${attempt.outcome}</td>
                    <td>${attempt.error === null ? '' : html`<pre>${attempt.error}</pre>`}</td>
                  </tr> `,
              )}
            </tbody>
          </table>`
    }
    <h2>Headers</h2>
    <table aria-label="Headers">
      <thead>
        <tr>
          <th>Name</th>
          <th>Value</th>
        </tr>
      </thead>
      <tbody>
        ${headers.map(
          ([name, value]) =>
            html`<tr>
              <td class="mono">${name}</td>
              <td class="mono">
                ${isSignatureHeader(name) ? html`<span class="muted">(redacted)</span>` : value}
              </td>
            </tr> `,
        )}
        <tr>
          <td class="mono">svix-signature</td>
          <td class="muted">not stored: the log never keeps signatures</td>
        </tr>
      </tbody>
    </table>
    <h2>Payload</h2>
    <p class="muted">
      ${payload.json ? 'JSON, pretty-printed.' : 'Not JSON: the body as UTF-8 text.'}
    </p>
    <pre id="payload">${payload.text}</pre>`;
  return layout({
    title: `Delivery ${delivery.deliveryId}`,
    nonce: view.nonce,
    home: view.base,
    body,
  });
}
