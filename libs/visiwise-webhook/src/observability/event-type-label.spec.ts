import { EventTypeLabels, MAX_TYPE_LABELS } from './event-type-label';

describe('EventTypeLabels', () => {
  it('names known types, folds unknown ones into "other", and has "none" for no type', () => {
    const labels = new EventTypeLabels((type) => type.startsWith('shipment.'));
    expect(labels.of('shipment.tracked')).toBe('shipment.tracked');
    expect(labels.of('invoice.paid')).toBe('other');
    expect(labels.of(undefined)).toBe('none');
  });

  it(`gives at most ${MAX_TYPE_LABELS} types a label of their own, for good`, () => {
    const labels = new EventTypeLabels(() => true);
    const values = new Set(
      Array.from({ length: MAX_TYPE_LABELS + 50 }, (_, i) => labels.of(`type.${i}`)),
    );
    expect(values.size).toBe(MAX_TYPE_LABELS + 1);
    expect(values.has('other')).toBe(true);
    expect(labels.of('type.0')).toBe('type.0');
    expect(labels.of(`type.${MAX_TYPE_LABELS}`)).toBe('other');
  });

  it('asks the predicate once per named type (the hot path is a Map hit)', () => {
    const asked: string[] = [];
    const labels = new EventTypeLabels((type) => {
      asked.push(type);
      return type === 'shipment.tracked';
    });
    labels.of('shipment.tracked');
    labels.of('shipment.tracked');
    expect(asked).toEqual(['shipment.tracked']);
  });
});
