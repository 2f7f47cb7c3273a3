export const unsupportedMediaTypeMessage = (): string =>
  'Visiwise webhooks are JSON: send the body with Content-Type: application/json.';

export const rawBodyUnavailableResponseMessage = (): string =>
  'The webhook endpoint cannot verify signatures because it is misconfigured; see the server log.';

export const rawBodyUnavailableLogMessage = (): string =>
  'Cannot verify Visiwise webhook signatures: the raw request body is not available. Create the ' +
  'application with `NestFactory.create(AppModule, { rawBody: true })` (Express or Fastify; in ' +
  'tests: `moduleRef.createNestApplication(adapter, { rawBody: true })`), and do not replace ' +
  "Nest's JSON body parser for this route (e.g. with app.use(express.json())). Every webhook " +
  'delivery is answered 500 until this is fixed, so Visiwise keeps retrying them.';

export const handlerFailedResponseMessage = (): string =>
  'A handler failed to process the event; it will be processed again when Visiwise retries.';

export const unsupportedContextMessage = (type: string): string =>
  `VisiwiseSignatureGuard only protects HTTP routes, not "${type}" handlers.`;

export const invalidAllowedIpMessage = (index: number, entry: string): string =>
  `\`allowedIps[${index}]\` (${entry}) is not an IPv4/IPv6 address or CIDR range ` +
  'such as "203.0.113.7" or "203.0.113.0/24".';

export const ipNotAllowedMessage = (): string => 'Deliveries are not accepted from this address.';

export const payloadTooLargeMessage = (maxBytes: number): string =>
  `The body is larger than ${maxBytes} bytes, the limit of this endpoint (maxBodyBytes).`;

export const invalidMaxBodyBytesMessage = (): string =>
  '`maxBodyBytes` must be a positive whole number of bytes (default 1048576).';

export const invalidMaxJsonDepthMessage = (): string =>
  '`maxJsonDepth` must be a whole number >= 2 (default 32).';

export const invalidReparseRawBodyMessage = (): string =>
  '`reparseRawBody` must be true or false (default false).';

export const invalidPayloadValidationMessage = (): string =>
  "`payloadValidation` must be 'lenient' or 'strict'.";

export const invalidReadEnvelopeMessage = (): string =>
  '`readEnvelope` must be a function (rawBody: Buffer) => { type, data, timestamp? } | undefined.';
