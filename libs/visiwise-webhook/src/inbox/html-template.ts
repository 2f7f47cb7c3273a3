/*
 * The page's only way to produce markup. Everything a template interpolates is escaped unless it
 * is itself the result of a template, so that a value from a delivery (its body, type, id, a
 * handler's error) can never become markup: forgetting to escape is not possible, only escaping
 * twice. Templates quote every attribute with double quotes; the escape covers both quotes anyway.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or a quoted attribute value: `& < > " '` replaced by entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

const FROM_TEMPLATE: unique symbol = Symbol('SafeHtml');

/** Markup built by {@link html}: the one kind of value a template inserts as it is. */
export class SafeHtml {
  /** Only {@link html} makes one (the token is private to this file). */
  constructor(
    token: typeof FROM_TEMPLATE,
    readonly markup: string,
  ) {
    if (token !== FROM_TEMPLATE) {
      throw new TypeError('SafeHtml is made by the html`` template only');
    }
  }

  toString(): string {
    return this.markup;
  }
}

/** What a template accepts between `${}`: nothing that could carry markup unescaped. */
export type HtmlValue =
  SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) {
    return '';
  }
  if (value instanceof SafeHtml) {
    return value.markup;
  }
  if (Array.isArray(value)) {
    return (value as readonly HtmlValue[]).map(render).join('');
  }
  return escapeHtml(String(value));
}

/**
 * Tagged template: the literal parts are the template's own markup, every interpolated value is
 * escaped (arrays item by item; `null`, `undefined` and `false` render nothing), except another
 * template's result.
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let markup = strings[0] ?? '';
  values.forEach((value, index) => {
    markup += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(FROM_TEMPLATE, markup);
}
