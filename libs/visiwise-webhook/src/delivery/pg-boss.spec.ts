import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { pgBossSchemaFor, resolveDeliveryConfig } from './delivery-config';
import {
  invalidQueueSchemaMessage,
  missingPackageMessage,
  pgBossExpiryTooLongMessage,
} from './delivery.messages';
import { pgBossSettings } from './pg-boss-engine';
import { jobIdFor, pgBossJobIdFor, pgBossUnparseableJobIdFor } from './queued-event';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const database = 'postgres://app@127.0.0.1:5432/app';

describe('pg-boss job ids', () => {
  it('are UUIDv8 derived from queue, tenant and delivery id: the same delivery, the same job', () => {
    const id = pgBossJobIdFor('visiwise-webhooks', 'msg_2a1b');
    expect(id).toMatch(UUID);
    expect(pgBossJobIdFor('visiwise-webhooks', 'msg_2a1b')).toBe(id);
    const others = [
      pgBossJobIdFor('visiwise-webhooks-eu', 'msg_2a1b'),
      pgBossJobIdFor('visiwise-webhooks', 'msg_2a1c'),
      pgBossJobIdFor('visiwise-webhooks', 'msg_2a1b', 'acme'),
      pgBossUnparseableJobIdFor('visiwise-webhooks', 'msg_2a1b'),
    ];
    for (const other of others) {
      expect(other).toMatch(UUID);
    }
    expect(new Set([id, ...others]).size).toBe(5);
  });

  it('tell tenants apart as the BullMQ ids do, whatever the characters', () => {
    expect(jobIdFor('x', 'a_b')).not.toBe(jobIdFor('b_x', 'a'));
    expect(pgBossJobIdFor('q', 'x', 'a_b')).not.toBe(pgBossJobIdFor('q', 'b_x', 'a'));
  });
});

describe('pg-boss configuration', () => {
  it('is the engine by default with `database` and no `redis`', () => {
    expect(resolveDeliveryConfig({ delivery: 'queue', database }).queue.engine).toBe('pg-boss');
    expect(
      resolveDeliveryConfig({ delivery: 'queue', database, redis: 'redis://127.0.0.1' }).queue
        .engine,
    ).toBe('bullmq');
  });

  it('keeps its tables in a schema derived from the package schema and table prefix', () => {
    expect(pgBossSchemaFor({})).toBe('visiwise_pgboss');
    expect(pgBossSchemaFor({ schema: 'public', tablePrefix: 'hooks_' })).toBe('hooks_pgboss');
    expect(pgBossSchemaFor({ schema: 'billing' })).toBe('billing_visiwise_pgboss');
    const config = resolveDeliveryConfig({
      delivery: 'queue',
      database: { url: database, schema: 'billing' },
    });
    expect(config.database?.queueSchema).toBe('billing_visiwise_pgboss');
    expect(
      resolveDeliveryConfig({ delivery: 'queue', database: { url: database, queueSchema: 'jobs' } })
        .database?.queueSchema,
    ).toBe('jobs');
  });

  it('refuses a schema name pg-boss would refuse or SQL would read, naming the option', () => {
    for (const queueSchema of ['Jobs', 'pg_jobs', 'jobs;drop', 'x'.repeat(51), '1jobs']) {
      const resolve = () =>
        resolveDeliveryConfig({ delivery: 'queue', database: { url: database, queueSchema } });
      expect(resolve).toThrow(VisiwiseConfigurationError);
      expect(resolve).toThrow(invalidQueueSchemaMessage(queueSchema, true));
    }
    // Derived too long: only when pg-boss is used, with the option to set.
    const long = { url: database, schema: 's'.repeat(40) };
    expect(() => resolveDeliveryConfig({ delivery: 'inline', database: long })).not.toThrow();
    expect(() => resolveDeliveryConfig({ delivery: 'queue', database: long })).toThrow(
      invalidQueueSchemaMessage(`${'s'.repeat(40)}_visiwise_pgboss`, false),
    );
  });

  it('refuses a job expiry (queue.lockDurationMs) of 24 h or more, which pg-boss refuses', () => {
    const options = { delivery: 'queue' as const, database };
    expect(() =>
      resolveDeliveryConfig({ ...options, queue: { lockDurationMs: 24 * 3600 * 1000 } }),
    ).toThrow(pgBossExpiryTooLongMessage());
    expect(() =>
      resolveDeliveryConfig({
        ...options,
        redis: 'redis://127.0.0.1',
        queue: { lockDurationMs: 24 * 3600 * 1000 },
      }),
    ).not.toThrow();
  });

  it('runs one PgBoss for every endpoint: the shortest maintenance interval, the longest keep', () => {
    const eu = resolveDeliveryConfig({
      delivery: 'queue',
      database,
      queue: { stalledIntervalMs: 30_000, keepCompletedSeconds: 3600 },
    }).queue;
    const us = resolveDeliveryConfig({
      delivery: 'queue',
      database,
      queue: { stalledIntervalMs: 1500, keepCompletedSeconds: 129_600 },
    }).queue;
    expect(pgBossSettings('visiwise_pgboss', [eu, us])).toEqual({
      schema: 'visiwise_pgboss',
      maintenanceIntervalSeconds: 2,
      archiveCompletedAfterSeconds: 129_600,
    });
  });
});

describe('pg-boss, an optional peer dependency', () => {
  // pg-boss is installed here; a module factory that throws is what `require` does when it is not.
  const withoutPgBoss = (run: () => void): void => {
    jest.isolateModules(() => {
      jest.doMock('pg-boss', () => {
        throw new Error("Cannot find module 'pg-boss'");
      });
      run();
    });
    jest.dontMock('pg-boss');
  };

  it('when absent, fails with a configuration error naming `npm install pg-boss pg`', () => {
    withoutPgBoss(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('./optional-packages') as typeof import('./optional-packages');
      expect(() => isolated.loadPgBoss()).toThrow(
        missingPackageMessage('pg-boss pg', "`delivery: 'queue'` with `queue.engine: 'pg-boss'`"),
      );
    });
  });

  it('is not needed to load the package: nothing the index imports requires it', () => {
    withoutPgBoss(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const index = require('../index') as typeof import('../index');
      expect(typeof index.VisiwiseWebhookModule).toBe('function');
      expect(typeof index.VisiwiseDeadLetterService).toBe('function');
    });
  });
});
