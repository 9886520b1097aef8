import { ingestSettings } from './settings';

describe('ingest settings', () => {
  it('has defaults and takes values from the environment', () => {
    const d = ingestSettings({}, { schema: 'tenant_a' });
    expect(d).toMatchObject({ maxBatch: 1000, lingerMs: 10, batchesInFlight: 3, receiveMaximum: 4000, sessionExpirySeconds: 604800, shareGroup: 'cradle-ingest-tenant_a' });
    const s = ingestSettings({ INGEST_MAX_BATCH: '500', INGEST_BATCHES_IN_FLIGHT: '3', INGEST_RECEIVE_MAXIMUM: '4000', INGEST_CLIENT_ID: 'gw-1' }, { schema: undefined });
    expect(s).toMatchObject({ maxBatch: 500, batchesInFlight: 3, receiveMaximum: 4000, clientId: 'gw-1', shareGroup: 'cradle-ingest-public' });
  });

  it.each([
    ['INGEST_RECEIVE_MAXIMUM', '0'],
    ['INGEST_SESSION_EXPIRY_SECONDS', '-1'],
    ['INGEST_RECEIVE_MAXIMUM', '70000'],
    ['INGEST_BATCHES_IN_FLIGHT', '9'],
    ['INGEST_MAX_BATCH', 'many'],
    ['INGEST_CLIENT_ID', 'has space'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => ingestSettings({ [name]: value }, { schema: undefined })).toThrow(new RegExp(`Invalid ingest configuration: ${name}`));
  });
});
