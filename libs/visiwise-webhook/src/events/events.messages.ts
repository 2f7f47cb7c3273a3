export const invalidJsonMessage = (): string =>
  'The body is not valid JSON. Visiwise sends a JSON object { "type": ..., "data": { ... } }.';

export const jsonTooDeepMessage = (maxDepth: number): string =>
  `The body nests objects or arrays more than ${maxDepth} levels deep (maxJsonDepth).`;

export const invalidEnvelopeMessage = (problem: string): string =>
  `The body is not a Visiwise event envelope: ${problem}. Expected a JSON object with a string ` +
  '"type" and an object "data".';

export const invalidEventTypeMessage = (): string =>
  'The event "type" must be 1 to 128 characters of letters, digits, ".", "_" or "-", starting ' +
  'with a letter or digit.';

/** The 400 of `payloadValidation: 'strict'`: the payload's issues, joined. */
export const invalidPayloadMessage = (type: string, issues: readonly string[]): string =>
  `The "data" of a "${type}" event does not have the expected shape: ${issues.join('; ')}.`;

/** One of an event's `issues`: a required field is missing or mistyped. */
export const payloadFieldProblem = (field: string, expected: string): string =>
  `"${field}" must be ${expected}`;

export const invalidHandlerTypeMessage = (type: string): string =>
  `@OnVisiwiseEvent(${JSON.stringify(type)}): not a valid event type. Use "*" or a type such as ` +
  '"shipment.tracked" (letters, digits, ".", "_", "-").';

export const missingEventEmitterMessage = (): string =>
  'VisiwiseWebhookModule needs EventEmitter2 to deliver events to @OnVisiwiseEvent handlers. Add ' +
  'EventEmitterModule.forRoot() (from @nestjs/event-emitter) to the imports of your AppModule.';

export const handlerFailedLogMessage = (id: string, type: string, handlerCount: number): string =>
  `Handler failed for Visiwise event ${id} (${type}); ${handlerCount} handler(s) ran. The delivery ` +
  'is answered 500 so Visiwise retries it.';

export const noHandlerLogMessage = (type: string, endpoint: string): string =>
  `No @OnVisiwiseEvent handler (of this type or '*') for "${type}" events` +
  (endpoint === 'default' ? '' : ` of endpoint "${endpoint}"`) +
  '; they are acknowledged and dropped.';

export const unknownTypeLogMessage = (type: string): string =>
  `Received Visiwise events of type "${type}", which this package does not type; they are ` +
  "acknowledged and passed to the handlers of that type and the wildcard ('*') handlers.";

export const invalidHandlerEndpointMessage = (endpoint: string): string =>
  `@OnVisiwiseEvent: ${JSON.stringify(endpoint.slice(0, 80))} is not an endpoint name: give one ` +
  "name or a non-empty list of names (letters, digits, '-' and '_').";
