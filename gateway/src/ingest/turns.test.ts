import { BatchAttempt, EarlierBatchFailed } from './turns';

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('batches in flight keep the order of the stream', () => {
  it('a batch enters a stage only after the batch before it has passed that stage', async () => {
    const first = new BatchAttempt(null);
    const second = new BatchAttempt(first);
    const log: string[] = [];
    const firstTurn = first.turn();
    const secondTurn = second.turn();

    await firstTurn.enter('ledger');
    log.push('1:ledger');
    void secondTurn.enter('ledger').then(() => log.push('2:ledger'));
    await settle();
    expect(log).toEqual(['1:ledger']);

    await firstTurn.enter('records'); // passes the ledger
    await settle();
    expect(log).toEqual(['1:ledger', '2:ledger']);

    // The first batch skips 'codes' (no scans): entering 'streams' passes it too.
    void secondTurn.enter('records').then(() => log.push('2:records'));
    void secondTurn.enter('codes').then(() => log.push('2:codes'));
    await settle();
    expect(log).toEqual(['1:ledger', '2:ledger']);
    await firstTurn.enter('streams');
    await settle();
    // Past its codes, the first batch lets the second store its records, but not read codes before it committed.
    expect(log).toEqual(['1:ledger', '2:ledger', '2:records']);

    let streams = false;
    void secondTurn.enter('streams').then(() => (streams = true));
    await settle();
    expect(streams).toBe(false);
    first.committed();
    await settle();
    expect(log).toEqual(['1:ledger', '2:ledger', '2:records', '2:codes']);
    expect(streams).toBe(true);
  });

  it('a batch commits only after the batch before it committed', async () => {
    const first = new BatchAttempt(null);
    const second = new BatchAttempt(first);
    let committed = false;
    void second.turn().beforeCommit().then(() => (committed = true));
    await settle();
    expect(committed).toBe(false);
    first.committed();
    await settle();
    expect(committed).toBe(true);
  });

  it('when the batch before rolls back, the next one is not left waiting and refuses to commit ahead of it', async () => {
    const first = new BatchAttempt(null);
    const second = new BatchAttempt(first);
    const turn = second.turn();
    const entered = turn.enter('streams');
    const commit = turn.beforeCommit();
    first.rolledBack();
    await expect(entered).resolves.toBeUndefined();
    await expect(commit).rejects.toBeInstanceOf(EarlierBatchFailed);
    expect(first.failed).toBe(true);
  });
});
