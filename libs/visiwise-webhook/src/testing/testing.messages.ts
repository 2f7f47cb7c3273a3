/* Messages of the test helpers, shared by the code and its tests. */

/** The target of deliverVisiwiseEvent() has no Node HTTP server (not a Nest HTTP app). */
export const noHttpServerMessage = (): string =>
  'deliverVisiwiseEvent() needs a Nest HTTP application whose getHttpServer() is a Node HTTP ' +
  'server: create it with NestFactory.create() or moduleRef.createNestApplication(), with ' +
  '{ rawBody: true }, and call `await app.init()` (or app.listen()) before delivering.';

/** The HTTP server reports no address although it listens. */
export const unsupportedServerAddressMessage = (): string =>
  'deliverVisiwiseEvent() could not tell where the HTTP server listens (no address).';
