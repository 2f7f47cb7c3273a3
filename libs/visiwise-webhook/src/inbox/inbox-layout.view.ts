import type { VisiwiseDeliveryLogStatus } from '../postgres/delivery-log.interface';
import { html, type HtmlValue, type SafeHtml } from './html-template';

/*
 * The page's frame and shared pieces. Plain HTML and one small stylesheet (allowed by nonce), no
 * script: everything works with forms and links, and the CSP can forbid scripts altogether.
 */

/**
 * The whole document: title, the stylesheet (the template's own text, allowed by nonce), a header
 * linking to the list.
 */
export function layout(options: {
  readonly title: string;
  readonly nonce: string;
  readonly home: string;
  readonly body: HtmlValue;
}): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${options.title} · Visiwise inbox</title>
        <style nonce="${options.nonce}">
          :root {
            color-scheme: light;
            --line: #d0d7de;
            --muted: #57606a;
          }
          body {
            font:
              14px/1.45 system-ui,
              sans-serif;
            margin: 0;
            color: #1f2328;
            background: #fff;
          }
          header {
            background: #24292f;
            color: #fff;
            padding: 10px 20px;
          }
          header a {
            color: #fff;
            font-weight: 600;
            text-decoration: none;
          }
          main {
            padding: 16px 20px 40px;
            max-width: 1400px;
          }
          h1 {
            font-size: 20px;
            margin: 8px 0 16px;
            word-break: break-all;
          }
          h2 {
            font-size: 16px;
            margin: 24px 0 8px;
          }
          a {
            color: #0969da;
          }
          table {
            border-collapse: collapse;
            width: 100%;
          }
          th,
          td {
            border-bottom: 1px solid var(--line);
            padding: 6px 8px;
            text-align: left;
            vertical-align: top;
          }
          th {
            background: #f6f8fa;
            font-weight: 600;
          }
          td.num,
          th.num {
            text-align: right;
          }
          .muted {
            color: var(--muted);
          }
          .mono,
          pre,
          code {
            font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
            font-size: 12.5px;
          }
          pre {
            background: #f6f8fa;
            border: 1px solid var(--line);
            padding: 10px;
            overflow: auto;
            white-space: pre-wrap;
            word-break: break-all;
            max-height: 70vh;
          }
          .status {
            display: inline-block;
            padding: 1px 8px;
            border-radius: 10px;
            font-weight: 600;
            font-size: 12px;
            border: 1px solid transparent;
          }
          .status-received {
            background: #ddf4ff;
            color: #0a3069;
            border-color: #54aeff;
          }
          .status-handled {
            background: #dafbe1;
            color: #116329;
            border-color: #4ac26b;
          }
          .status-failed {
            background: #fff1e5;
            color: #953800;
            border-color: #fb8f44;
          }
          .status-dead {
            background: #ffebe9;
            color: #82071e;
            border-color: #ff8182;
          }
          .status-unparseable {
            background: #fbefff;
            color: #6e40c9;
            border-color: #c297ff;
          }
          .summary {
            display: flex;
            flex-wrap: wrap;
            gap: 24px;
          }
          .summary table {
            width: auto;
            min-width: 260px;
          }
          form.filters {
            display: flex;
            flex-wrap: wrap;
            gap: 10px;
            align-items: flex-end;
            background: #f6f8fa;
            border: 1px solid var(--line);
            padding: 10px;
            margin: 16px 0;
          }
          form.filters label {
            display: flex;
            flex-direction: column;
            font-size: 12px;
            color: var(--muted);
          }
          input,
          select,
          button {
            font: inherit;
            padding: 4px 6px;
          }
          button {
            cursor: pointer;
          }
          button.replay {
            background: #1f883d;
            color: #fff;
            border: 1px solid #1a7f37;
            border-radius: 6px;
            padding: 6px 16px;
            font-weight: 600;
          }
          .flash {
            padding: 10px 12px;
            border-radius: 6px;
            margin: 0 0 16px;
            border: 1px solid;
          }
          .flash-ok {
            background: #dafbe1;
            border-color: #4ac26b;
          }
          .flash-warn {
            background: #fff8c5;
            border-color: #d4a72c;
          }
          .flash-error {
            background: #ffebe9;
            border-color: #ff8182;
          }
          dl.fields {
            display: grid;
            grid-template-columns: max-content 1fr;
            gap: 4px 16px;
            margin: 0;
          }
          dl.fields dt {
            color: var(--muted);
          }
          dl.fields dd {
            margin: 0;
            word-break: break-all;
          }
          nav.paging {
            display: flex;
            gap: 16px;
            margin: 12px 0;
          }
        </style>
      </head>
      <body>
        <header><a href="${options.home}">Visiwise inbox</a></header>
        <main>${options.body}</main>
      </body>
    </html> `;
}

/** A delivery status as a coloured label (the word is always there, colour is a bonus). */
export function statusBadge(status: VisiwiseDeliveryLogStatus): SafeHtml {
  return html`<span class="status status-${status}">${status}</span>`;
}

/** A time as ISO-8601 UTC, or a dash. */
export function time(value: Date | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toISOString();
}

/** `<base><suffix>?<params>`: a link to one of the page's routes (values URL-encoded). */
export function pageLink(
  base: string,
  suffix: '' | '/delivery' | '/replay',
  params: Readonly<Record<string, string>> = {},
): string {
  const query = new URLSearchParams(params).toString();
  return `${base}${suffix}${query === '' ? '' : `?${query}`}`;
}

/** A plain error page (400 for a bad parameter, 404 for an unknown delivery). */
export function errorPage(options: {
  readonly nonce: string;
  readonly home: string;
  readonly title: string;
  readonly message: string;
}): SafeHtml {
  return layout({
    title: options.title,
    nonce: options.nonce,
    home: options.home,
    body: html`<h1>${options.title}</h1>
      <p>${options.message}</p>
      <p><a href="${options.home}">Back to the list</a></p>`,
  });
}
