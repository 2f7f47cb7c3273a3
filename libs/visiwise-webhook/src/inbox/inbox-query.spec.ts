import {
  InvalidParameterError,
  readDeliveryKey,
  readListQuery,
  urlParameters,
} from './inbox-query';

const list = (query: string) => readListQuery(urlParameters(`/inbox?${query}`));

describe('inbox query parameters', () => {
  it('reads every filter, ignoring empty fields', () => {
    expect(
      list(
        'status=failed&type=shipment.tracked&endpoint=eu&tenant=acme&q=+MSCU1+&status2=&limit=10',
      ),
    ).toEqual({
      filter: {
        status: 'failed',
        type: 'shipment.tracked',
        endpoint: 'eu',
        tenant: 'acme',
        q: 'MSCU1',
      },
      limit: 10,
      params: {
        status: 'failed',
        type: 'shipment.tracked',
        endpoint: 'eu',
        tenant: 'acme',
        q: 'MSCU1',
        limit: '10',
      },
    });
    expect(list('status=&type=&q=')).toEqual({ filter: {}, limit: 50, params: {} });
  });

  it('reads days as whole UTC days (to inclusive) and date-times as UTC unless offset', () => {
    expect(list('from=2025-06-01&to=2025-06-01').filter).toEqual({
      receivedFrom: new Date('2025-06-01T00:00:00Z'),
      receivedBefore: new Date('2025-06-02T00:00:00Z'),
    });
    expect(list('from=2025-06-01T10:30&to=2025-06-01T12:00:00.5%2B02:00').filter).toEqual({
      receivedFrom: new Date('2025-06-01T10:30:00Z'),
      receivedBefore: new Date('2025-06-01T10:00:00.500Z'),
    });
  });

  it.each([
    ['status=lost', 'status'],
    ['from=yesterday', 'from'],
    ['to=2025-02-30', 'to'],
    ['from=2025-06-01T25:00Z', 'from'],
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=1e2', 'limit'],
    ['endpoint=a%0Ab', 'endpoint'],
    [`q=${'x'.repeat(257)}`, 'q'],
  ])('refuses %s, naming %s', (query, name) => {
    expect(() => list(query)).toThrow(InvalidParameterError);
    expect(() => list(query)).toThrow(`\`${name}\``);
  });

  it('reads a delivery key; tenant may be empty, endpoint and id may not', () => {
    const key = (query: string) => readDeliveryKey(urlParameters(`/x?${query}`));
    expect(key('endpoint=eu&id=msg_1')).toEqual({
      endpoint: 'eu',
      tenant: '',
      deliveryId: 'msg_1',
    });
    expect(key(`endpoint=eu&tenant=acme&id=${encodeURIComponent('<id>')}`)).toEqual({
      endpoint: 'eu',
      tenant: 'acme',
      deliveryId: '<id>',
    });
    expect(() => key('id=msg_1')).toThrow('`endpoint` is required');
    expect(() => key('endpoint=eu')).toThrow('`id` is required');
  });
});
