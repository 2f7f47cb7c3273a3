import { InFlight } from './in-flight';

describe('InFlight', () => {
  it('counts entries and exits', () => {
    const inFlight = new InFlight();
    inFlight.enter();
    inFlight.enter();
    inFlight.leave();
    expect(inFlight.size).toBe(1);
  });

  it('answers at once when idle', async () => {
    await expect(new InFlight().waitIdle(60_000)).resolves.toBe(0);
  });

  it('waits for the last delivery to leave, not for the timeout', async () => {
    const inFlight = new InFlight();
    inFlight.enter();
    inFlight.enter();
    const idle = inFlight.waitIdle(60_000);
    inFlight.leave();
    setTimeout(() => {
      inFlight.leave();
    }, 5);
    const started = Date.now();
    await expect(idle).resolves.toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('gives up after the timeout and reports how many are left', async () => {
    const inFlight = new InFlight();
    inFlight.enter();
    inFlight.enter();
    await expect(inFlight.waitIdle(10)).resolves.toBe(2);
    // A waiter that timed out is not woken later.
    inFlight.leave();
    inFlight.leave();
    expect(inFlight.size).toBe(0);
  });
});
