import { setBounded } from './bounded-map';

describe('setBounded', () => {
  it('empties the map before a new key would take it past the limit, and never holds more', () => {
    const m = new Map<number, string>();
    for (let i = 0; i < 3; i++) setBounded(m, 3, i, `v${i}`);
    expect([...m.keys()]).toEqual([0, 1, 2]);
    setBounded(m, 3, 3, 'v3');
    expect([...m.entries()]).toEqual([[3, 'v3']]);
    for (let i = 0; i < 100; i++) {
      setBounded(m, 3, i, 'x');
      expect(m.size).toBeLessThanOrEqual(3);
    }
  });

  it('updates a key it holds without emptying the map, however full', () => {
    const m = new Map([['a', 1], ['b', 2]]);
    setBounded(m, 2, 'a', 10);
    expect([...m.entries()]).toEqual([['a', 10], ['b', 2]]);
  });
});
