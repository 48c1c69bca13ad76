import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SequenceIds, sequenceOf, smallSequenceOf } from '../../src/core/ids.js';
import { seededRandom } from '../../src/core/seeded-random.js';

/** The regex `sequenceOf` replaced (one exec per closed position in a backtest). */
const byRegex = (id: string): number => {
  const m = /(\d+)$/.exec(id);
  return m ? Number(m[1]) : 0;
};

describe('ids', () => {
  it('sequenceOf reads the trailing digits as the regex did, over seeded random ids', () => {
    const random = seededRandom(15);
    const alphabet = 'OPT-0123456789xé٣';
    for (let n = 0; n < 20_000; n += 1) {
      let id = '';
      const len = Math.floor(random() * 30);
      for (let i = 0; i < len; i += 1) id += alphabet[Math.floor(random() * alphabet.length)];
      assert.equal(sequenceOf(id), byRegex(id), JSON.stringify(id));
      // The allocation-free reading: the same number up to 9 digits, -1 without digits or past 9.
      const digits = /(\d+)$/.exec(id)?.[1] ?? '';
      assert.equal(smallSequenceOf(id), digits === '' || digits.length > 9 ? -1 : byRegex(id), JSON.stringify(id));
    }
    for (const id of ['', 'O-', 'O-00000042', 'bridge-T-00000007', '12', 'a9b', 'x'.repeat(5) + '9'.repeat(25)]) assert.equal(sequenceOf(id), byRegex(id), id);
  });

  it('peek names the id next() takes, once; next() moves on', () => {
    const ids = new SequenceIds('P-', 41);
    assert.equal(ids.peek(), 'P-00000042');
    assert.equal(ids.peek(), 'P-00000042');
    assert.equal(ids.next(), 'P-00000042');
    assert.equal(ids.last, 42);
    assert.equal(ids.next(), 'P-00000043');
    assert.equal(ids.peek(), 'P-00000044');
    assert.equal(sequenceOf(ids.next()), 44);
  });

  it('formats ids as the padStart it replaced: 8 digits at least, over every digit count', () => {
    const random = seededRandom(16);
    const starts = [0, 8, 9, 98, 99, 999, 9_998, 99_999, 999_999, 9_999_998, 99_999_997, 999_999_999, 123_456_789_012];
    for (let n = 0; n < 2_000; n += 1) starts.push(Math.floor(random() * 10 ** (1 + Math.floor(random() * 11))));
    for (const start of starts) {
      for (const prefix of ['O-', '', 'bridge-T-']) {
        const ids = new SequenceIds(prefix, start);
        for (let k = 1; k <= 3; k += 1) assert.equal(ids.next(), `${prefix}${(start + k).toString().padStart(8, '0')}`);
      }
    }
  });
});
