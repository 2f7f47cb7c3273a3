export const inboxUnavailableMessage = (): string =>
  'The delivery could not be recorded in the inbox (PostgreSQL); retry later.';

export const journalWriteFailedLogMessage = (reason: string): string =>
  `Writing the Visiwise delivery log (PostgreSQL) failed: ${reason}. Deliveries are answered ` +
  '503 until it is back (Visiwise retries); outcomes of handling meanwhile are not recorded. ' +
  'Logged once until a write succeeds again.';

export const pruneFailedLogMessage = (reason: string): string =>
  `Pruning the Visiwise delivery log failed (${reason}); the next run retries.`;

export const prunedLogMessage = (deliveries: number, claims: number): string =>
  `Pruned the Visiwise delivery log: ${String(deliveries)} deliveries, ${String(claims)} expired claims.`;
