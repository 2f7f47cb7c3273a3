import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { redisDownLogMessage, redisErrorLogMessage, redisUpLogMessage } from './delivery.messages';
import { RedisConnectionMonitor, isRedisConnectionError } from './redis-connection.monitor';

/** Stands for an ioredis client: a status and the events ioredis emits with it. */
class FakeClient extends EventEmitter {
  status = 'ready';

  set(status: string, event: 'ready' | 'close' | 'reconnecting' | 'end'): void {
    this.status = status;
    this.emit(event);
  }
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6400'), { code: 'ECONNREFUSED' });
}

describe('RedisConnectionMonitor', () => {
  let clock: number;
  let lines: { level: string; text: string }[];
  let logger: Logger;

  const create = (secrets: string[] = []) =>
    new RedisConnectionMonitor(logger, {
      where: 'redis://127.0.0.1:6400',
      affected: ['dedupe', 'queue'],
      secrets,
      now: () => new Date(clock),
    });

  beforeEach(() => {
    clock = 1_000_000;
    lines = [];
    logger = new Logger('test');
    for (const level of ['log', 'error', 'warn', 'debug'] as const) {
      jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        lines.push({ level, text: String(args[0]) });
      });
    }
  });

  it('logs an outage once when it begins and once when it ends, with its length', () => {
    const monitor = create();
    const client = new FakeClient();
    monitor.watch(client);
    const changes: boolean[] = [];
    monitor.onChange((up) => changes.push(up));

    client.emit('error', refused());
    client.set('close', 'close');
    for (let attempt = 0; attempt < 30; attempt++) {
      clock += 1000;
      client.set('reconnecting', 'reconnecting');
      client.emit('error', refused());
      monitor.reportError('queue worker', refused());
      client.set('close', 'close');
    }
    expect(monitor.isUp).toBe(false);
    expect(monitor.since).toEqual(new Date(1_000_000));
    clock += 4200;
    client.set('ready', 'ready');

    expect(lines).toEqual([
      {
        level: 'error',
        text: redisDownLogMessage(
          'redis://127.0.0.1:6400',
          'dedupe, queue',
          'connect ECONNREFUSED 127.0.0.1:6400',
        ),
      },
      {
        level: 'log',
        text: redisUpLogMessage('redis://127.0.0.1:6400', 'dedupe, queue', '34.2 s'),
      },
    ]);
    expect(changes).toEqual([false, true]);
    expect(monitor.isUp).toBe(true);
    expect(monitor.since).toEqual(new Date(clock));
  });

  it('is up only while every watched client is ready', () => {
    const monitor = create();
    const a = new FakeClient();
    const b = new FakeClient();
    monitor.watch(a);
    monitor.watch(b);
    b.set('reconnecting', 'reconnecting');
    expect(monitor.isUp).toBe(false);
    a.set('close', 'close');
    a.set('ready', 'ready');
    expect(monitor.isUp).toBe(false);
    b.set('ready', 'ready');
    expect(monitor.isUp).toBe(true);
    expect(lines.map((line) => line.level)).toEqual(['error', 'log']);
  });

  it('logs other errors, each distinct one at most once a minute, with secrets masked', () => {
    const monitor = create(['s3cr3t-pass']);
    const error = new Error('ERR Error running script (call to f_1234): oops s3cr3t-pass');
    monitor.reportError('queue', error);
    monitor.reportError('queue', error);
    clock += 61_000;
    monitor.reportError('queue', error);
    monitor.reportError('queue', new Error('READONLY at redis://user:other@host:6379'));
    expect(lines).toEqual([
      {
        level: 'error',
        text: redisErrorLogMessage('queue', 'ERR Error running script (call to f_1234): oops ***'),
      },
      {
        level: 'error',
        text: redisErrorLogMessage('queue', 'ERR Error running script (call to f_1234): oops ***'),
      },
      { level: 'error', text: redisErrorLogMessage('queue', 'READONLY at redis://***@host:6379') },
    ]);
  });

  it('stays silent once stopped (shutdown closes connections on purpose)', () => {
    const monitor = create();
    const client = new FakeClient();
    monitor.watch(client);
    const changes: boolean[] = [];
    monitor.onChange((up) => changes.push(up));
    monitor.stop();
    client.set('end', 'end');
    monitor.reportError('queue', new Error('anything'));
    expect(lines).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('unsubscribes, and survives a listener that throws', () => {
    const monitor = create();
    const client = new FakeClient();
    monitor.watch(client);
    const seen: boolean[] = [];
    monitor.onChange(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = monitor.onChange((up) => seen.push(up));
    client.set('close', 'close');
    unsubscribe();
    client.set('ready', 'ready');
    expect(seen).toEqual([false]);
    expect(monitor.isUp).toBe(true);
    expect(lines.filter((line) => line.text.includes('listener bug'))).toHaveLength(2);
  });

  it('tells connection errors from others', () => {
    expect(isRedisConnectionError(refused())).toBe(true);
    expect(isRedisConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisConnectionError(new Error('connect ETIMEDOUT'))).toBe(true);
    expect(isRedisConnectionError(new Error('NOSCRIPT No matching script'))).toBe(false);
    expect(isRedisConnectionError('ECONNREFUSED')).toBe(false);
  });
});
