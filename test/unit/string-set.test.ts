// The fill-id set of the in-memory journal (src/backtest/string-set.ts) against a Set, over
// seeded random strings: short and long, fill-id-like, with repeats, across many growths.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StringSet } from '../../src/backtest/string-set.js';
import { seededRandom } from '../../src/core/seeded-random.js';

describe('StringSet', () => {
  it('answers has and add as a Set does, over 300,000 seeded random strings', () => {
    const random = seededRandom(21);
    const set = new StringSet(4);
    const reference = new Set<string>();
    const alphabet = 'OF-0123456789aé٣';
    for (let n = 0; n < 300_000; n += 1) {
      let s: string;
      const kind = random();
      if (kind < 0.5) s = `O-${String(Math.floor(random() * 200_000)).padStart(8, '0')}-F${1 + Math.floor(random() * 3)}`;
      else if (kind < 0.6) s = '';
      else {
        s = '';
        const length = Math.floor(random() * 6);
        for (let i = 0; i < length; i += 1) s += alphabet[Math.floor(random() * alphabet.length)];
      }
      if (random() < 0.5) assert.equal(set.has(s), reference.has(s), JSON.stringify(s));
      const added = set.add(s);
      assert.equal(added, !reference.has(s), JSON.stringify(s));
      reference.add(s);
      assert.equal(set.size, reference.size);
    }
    for (const s of reference) assert.ok(set.has(s));
    assert.ok(!set.has('O-99999999-F9'));
  });

  it('tells apart strings whose 32-bit hashes are equal', () => {
    // FNV-1a twins found by search: equal hashes, different strings.
    const hash = (s: string) => {
      let h = 0x811c9dc5 | 0;
      for (let i = 0; i < s.length; i += 1) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      return h;
    };
    const seen = new Map<number, string>();
    let twins: [string, string] | null = null;
    for (let i = 0; twins === null && i < 2_000_000; i += 1) {
      const s = `F-${i}`;
      const h = hash(s);
      const other = seen.get(h);
      if (other !== undefined) twins = [other, s];
      else seen.set(h, s);
    }
    assert.ok(twins, 'a pair of hash twins');
    const [a, b] = twins;
    const set = new StringSet();
    assert.ok(set.add(a));
    assert.ok(!set.has(b), 'a twin is not the string');
    assert.ok(set.add(b));
    assert.ok(set.has(a) && set.has(b));
    assert.ok(!set.add(a) && !set.add(b));
    assert.equal(set.size, 2);
  });
});
