import { escapeHtml, html, SafeHtml } from './html-template';

describe('html template', () => {
  it('escapes the five characters that can end text or a quoted attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
  });

  it('escapes every interpolated value, keeps its own literal markup', () => {
    const value = `"'><script>alert(1)</script>`;
    const out = html`<p title="${value}">${value}</p>`;
    expect(out).toBeInstanceOf(SafeHtml);
    expect(out.markup).toBe(
      '<p title="&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">' +
        '&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
  });

  it('inserts nested templates as they are, arrays item by item, nothing for null/undefined/false', () => {
    const items = ['<a>', html`<b>bold</b>`, 3];
    expect(
      html`<ul>
        ${items.map((item) => html`<li>${item}</li>`)}
      </ul>`.markup.replace(/\s+/g, ''),
    ).toBe('<ul><li>&lt;a&gt;</li><li><b>bold</b></li><li>3</li></ul>');
    expect(html`[${null}${undefined}${false}]`.markup).toBe('[]');
  });

  it('cannot be forged from outside the template', () => {
    const Forged = SafeHtml as unknown as new (token: symbol, markup: string) => SafeHtml;
    expect(() => new Forged(Symbol('SafeHtml'), '<script>')).toThrow(TypeError);
    // A look-alike object is escaped like any value.
    const lookAlike = { markup: '<script>', toString: () => '<script>' } as unknown as string;
    expect(html`${lookAlike}`.markup).toBe('&lt;script&gt;');
  });
});
