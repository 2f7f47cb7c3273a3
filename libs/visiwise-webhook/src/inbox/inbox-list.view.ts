import type {
  VisiwiseDeliveryLogPage,
  VisiwiseDeliveryLogSummary,
  VisiwiseLoggedDelivery,
} from '../postgres/delivery-log.interface';
import { html, type SafeHtml } from './html-template';
import { layout, pageLink, statusBadge, time } from './inbox-layout.view';
import { DELIVERY_STATUSES, type InboxListQuery } from './inbox-query';

/** What the list page shows. */
export interface InboxListView {
  /** The page's own path (global prefix included), for its links and forms. */
  readonly base: string;
  readonly nonce: string;
  readonly summary: VisiwiseDeliveryLogSummary;
  readonly page: VisiwiseDeliveryLogPage;
  readonly query: InboxListQuery;
}

/** First line of an error, cut: the list shows a hint, the delivery page the whole text. */
function errorHint(error: string | null): string {
  if (error === null) return '';
  const line = error.split('\n', 1)[0] ?? '';
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

function summaryTables(base: string, summary: VisiwiseDeliveryLogSummary): SafeHtml {
  return html`<section class="summary" aria-label="Summary">
    <table>
      <caption class="muted">
        By status (${summary.total} in all)
      </caption>
      <thead>
        <tr>
          <th>Status</th>
          <th class="num">Deliveries</th>
        </tr>
      </thead>
      <tbody>
        ${DELIVERY_STATUSES.map(
          (status) =>
            html`<tr>
              <td><a href="${pageLink(base, '', { status })}">${statusBadge(status)}</a></td>
              <td class="num" data-status-count="${status}">${summary.byStatus[status]}</td>
            </tr> `,
        )}
      </tbody>
    </table>
    <table>
      <caption class="muted">
        By event type
      </caption>
      <thead>
        <tr>
          <th>Type</th>
          <th class="num">Deliveries</th>
        </tr>
      </thead>
      <tbody>
        ${
          summary.byType.length === 0 &&
          html`<tr>
            <td colspan="2" class="muted">None yet</td>
          </tr>`
        }
        ${summary.byType.map(
          ({ type, count }) =>
            html`<tr>
              <td>
                ${
                  type === null
                    ? html`<span class="muted">(no type: unparseable)</span>`
                    : html`<a href="${pageLink(base, '', { type })}">${type}</a>`
                }
              </td>
              <td class="num">${count}</td>
            </tr> `,
        )}
      </tbody>
    </table>
  </section>`;
}

function filterForm(view: InboxListView): SafeHtml {
  const params = view.query.params;
  const types = view.summary.byType.flatMap(({ type }) => (type === null ? [] : [type]));
  // A type asked for that the log does not hold (yet) stays selectable, so the form shows it.
  const typeOptions =
    params['type'] !== undefined && !types.includes(params['type'])
      ? [params['type'], ...types]
      : types;
  const input = (name: string, label: string, placeholder: string): SafeHtml =>
    html`<label
      >${label}<input name="${name}" value="${params[name] ?? ''}" placeholder="${placeholder}"
    /></label>`;
  return html`<form class="filters" method="get" action="${view.base}" aria-label="Filters">
    <label
      >Status<select name="status">
        <option value="">any</option>
        ${DELIVERY_STATUSES.map(
          (status) =>
            html`<option value="${status}" ${params['status'] === status && html` selected`}>
              ${status}
            </option>`,
        )}
      </select></label
    >
    <label
      >Type<select name="type">
        <option value="">any</option>
        ${typeOptions.map(
          (type) =>
            html`<option value="${type}" ${params['type'] === type && html` selected`}>
              ${type}
            </option>`,
        )}
      </select></label
    >
    ${input('endpoint', 'Endpoint', 'default')} ${input('tenant', 'Tenant', '')}
    ${input('from', 'Received from (UTC)', 'YYYY-MM-DD')}
    ${input('to', 'Received to (UTC, inclusive day)', 'YYYY-MM-DD')}
    ${input('q', 'Delivery id or tracking ref', 'msg_… or MSCU1234565')}
    ${params['limit'] !== undefined && html`<input type="hidden" name="limit" value="${params['limit']}" />`}
    <button type="submit">Filter</button>
    <a href="${view.base}">Clear</a>
  </form>`;
}

function row(base: string, delivery: VisiwiseLoggedDelivery): SafeHtml {
  const link = pageLink(base, '/delivery', {
    endpoint: delivery.endpoint,
    tenant: delivery.tenant,
    id: delivery.deliveryId,
  });
  return html`<tr data-delivery-id="${delivery.deliveryId}">
    <td class="mono">${time(delivery.receivedAt)}</td>
    <td>${statusBadge(delivery.status)}</td>
    <td>${delivery.eventType ?? html`<span class="muted">—</span>`}</td>
    <td>${delivery.endpoint}${delivery.tenant !== '' && html` / ${delivery.tenant}`}</td>
    <td class="mono"><a href="${link}">${delivery.deliveryId}</a></td>
    <td class="mono">${delivery.trackingRefs.join(', ')}</td>
    <td class="num">${delivery.attempts}</td>
    <td class="muted">${errorHint(delivery.lastError)}</td>
  </tr> `;
}

/** The list page: summary, filters, one page of deliveries (newest first), paging links. */
export function renderList(view: InboxListView): SafeHtml {
  const { base, page, query } = view;
  const older =
    page.nextCursor === undefined
      ? undefined
      : pageLink(base, '', { ...query.params, cursor: page.nextCursor });
  const body = html`<h1>Deliveries</h1>
    ${summaryTables(base, view.summary)} ${filterForm(view)}
    <table aria-label="Deliveries">
      <thead>
        <tr>
          <th>Received (UTC)</th>
          <th>Status</th>
          <th>Type</th>
          <th>Endpoint / tenant</th>
          <th>Delivery id</th>
          <th>Tracking refs</th>
          <th class="num">Failed attempts</th>
          <th>Last error</th>
        </tr>
      </thead>
      <tbody>
        ${
          page.items.length === 0 &&
          html`<tr>
            <td colspan="8" class="muted">No delivery matches.</td>
          </tr>`
        }
        ${page.items.map((delivery) => row(base, delivery))}
      </tbody>
    </table>
    <nav class="paging" aria-label="Pages">
      ${query.cursor !== undefined && html`<a href="${pageLink(base, '', query.params)}" rel="first">Newest</a>`}
      ${older !== undefined && html`<a href="${older}" rel="next">Older</a>`}
    </nav>`;
  return layout({ title: 'Deliveries', nonce: view.nonce, home: base, body });
}
