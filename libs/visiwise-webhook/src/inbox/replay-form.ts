import type { Readable } from 'node:stream';
import { VisiwiseInboxPageException } from './inbox-page.exception';
import {
  formTooLargeMessage,
  invalidFieldMessage,
  unsupportedFormMessage,
} from './inbox-page.messages';
import type { ParameterReader } from './inbox-query';

/** The page's form is four short fields; anything much larger is not it. */
export const MAX_FORM_BYTES = 8192;

const FORM_TYPE = 'application/x-www-form-urlencoded';

interface RequestWithBody {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body?: unknown;
  readonly rawBody?: unknown;
}

/** Whether the request is a Node stream nobody read yet (Express without a form parser). */
function unreadStream(request: object): request is Readable {
  const stream = request as Partial<Readable>;
  return (
    typeof stream.on === 'function' && stream.readable === true && stream.readableEnded === false
  );
}

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > MAX_FORM_BYTES) {
      throw new VisiwiseInboxPageException('form_too_large', formTooLargeMessage(MAX_FORM_BYTES));
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function fromText(text: string): Map<string, string[]> {
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) {
    throw new VisiwiseInboxPageException('form_too_large', formTooLargeMessage(MAX_FORM_BYTES));
  }
  const fields = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    fields.set(name, [...(fields.get(name) ?? []), value]);
  }
  return fields;
}

/** Fields of an object the platform parsed (Express's qs, Fastify's querystring). */
function fromParsed(body: object): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string') {
      fields.set(name, [value]);
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      fields.set(name, value);
    } else {
      // `a[b]=c` nesting (Express's extended parser): never in the page's form.
      throw new VisiwiseInboxPageException(
        'invalid_form',
        invalidFieldMessage(name, 'is not text'),
      );
    }
  }
  return fields;
}

/**
 * The fields of a URL-encoded form, on either platform, whoever parsed it: the platform's parser
 * (Nest registers one by default on both), a Buffer or string body, the raw body Nest kept, or
 * the request stream itself when nothing read it (an Express app without a form parser; on
 * Fastify `parseFormsOnFastify` makes sure the route has a body). Each field may appear once.
 *
 * @throws VisiwiseInboxPageException 415 for another content type, 413 above MAX_FORM_BYTES,
 *   400 for a repeated or nested field.
 */
export async function readForm(request: object): Promise<ParameterReader> {
  const { headers, body, rawBody } = request as RequestWithBody;
  const type = headers['content-type'];
  if (typeof type !== 'string' || type.split(';')[0]?.trim().toLowerCase() !== FORM_TYPE) {
    throw new VisiwiseInboxPageException('unsupported_media_type', unsupportedFormMessage());
  }
  let fields: Map<string, string[]>;
  if (typeof body === 'string') {
    fields = fromText(body);
  } else if (Buffer.isBuffer(body)) {
    fields = fromText(body.toString('utf8'));
  } else if (typeof body === 'object' && body !== null) {
    fields = fromParsed(body);
  } else if (Buffer.isBuffer(rawBody)) {
    fields = fromText(rawBody.toString('utf8'));
  } else if (unreadStream(request)) {
    fields = fromText(await readStream(request));
  } else {
    fields = new Map();
  }
  return (name) => {
    const values = fields.get(name);
    if (values !== undefined && values.length > 1) {
      throw new VisiwiseInboxPageException(
        'invalid_form',
        invalidFieldMessage(name, 'must appear once'),
      );
    }
    return values?.[0];
  };
}
