import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_INSTRUMENTS, InstrumentRegistry } from '../../src/core/instruments.js';
import { checkKeys, MaxKeyError, parseExitKey, parseMaxMode, parsePointKey, pointsToMoney, pointsToTicks } from '../../src/strategies/max/keys.js';
import { MaxStrategy } from '../../src/strategies/max/max.js';

const instruments = new InstrumentRegistry(BUILTIN_INSTRUMENTS);

const throwsKey = (fn: () => unknown, field: string, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof MaxKeyError && e.field === field && pattern.test(e.message));

describe('Max keys', () => {
  it('parses the seed examples', () => {
    assert.deepEqual(parsePointKey('15_7_5_2'), { trigger: 15, stop: 7, target1: 5, trail: 2 });
    assert.deepEqual(parseExitKey('15_15'), { target: 15, timeoutMinutes: 15 });
    assert.deepEqual(parsePointKey('2.5_1.25_3_0'), { trigger: 2.5, stop: 1.25, target1: 3, trail: 0 });
    assert.deepEqual(parseExitKey('0_0'), { target: 0, timeoutMinutes: 0 });
    assert.equal(parseMaxMode('Both'), 'both');
  });

  it('names the bad part of a malformed point_key', () => {
    throwsKey(() => parsePointKey('15_7_5'), 'point_key', /4 parts trigger_stop_target1_trail.*got 3/);
    throwsKey(() => parsePointKey('15_7_x_2'), 'point_key', /part 3 \(target1\) "x" is not a non-negative number/);
    throwsKey(() => parsePointKey('15_-7_5_2'), 'point_key', /part 2 \(stop\) "-7"/);
    throwsKey(() => parsePointKey('0_7_5_2'), 'point_key', /trigger must be greater than 0/);
    throwsKey(() => parsePointKey('15_0_5_2'), 'point_key', /stop must be greater than 0/);
    throwsKey(() => parsePointKey('15_7_5_6'), 'point_key', /trail \(6\) must not exceed target1 \(5\)/);
    throwsKey(() => parsePointKey(''), 'point_key', /required/);
    throwsKey(() => parsePointKey(undefined), 'point_key', /required/);
    throwsKey(() => parsePointKey('1e3_7_5_2'), 'point_key', /part 1 \(trigger\)/);
    throwsKey(() => parsePointKey('15_7_5', 'point_strategy_key'), 'point_strategy_key', /^point_strategy_key "15_7_5"/);
  });

  it('names the bad part of a malformed exit_strategy_key', () => {
    throwsKey(() => parseExitKey('15'), 'exit_strategy_key', /2 parts target_timeout.*got 1/);
    throwsKey(() => parseExitKey('15_x'), 'exit_strategy_key', /part 2 \(timeout\) "x"/);
    throwsKey(() => parseExitKey('15_1.5'), 'exit_strategy_key', /whole minutes/);
    throwsKey(() => parseMaxMode('sideways'), 'maxMode', /long, short, both; got "sideways"/);
  });

  it('checks the keys against each other and the tick grid', () => {
    const nq = instruments.get('NQ');
    throwsKey(() => checkKeys(parsePointKey('15_7_5_2'), parseExitKey('5_15'), nq.tickSize, 'NQ'), 'exit_strategy_key', /target \(5\) must exceed point_key target1 \(5\)/);
    throwsKey(() => checkKeys(parsePointKey('15_7.1_5_2'), parseExitKey('15_15'), nq.tickSize, 'NQ'), 'point_key', /stop 7.1 is not a multiple of NQ's tick size 0.25/);
    throwsKey(() => checkKeys(parsePointKey('15_7_5_2'), parseExitKey('15.3_15'), nq.tickSize, 'NQ'), 'exit_strategy_key', /target 15.3/);
    assert.doesNotThrow(() => checkKeys(parsePointKey('15_7_5_2'), parseExitKey('0_15'), nq.tickSize, 'NQ'));
  });

  it('refuses contracts other than NQ, ES, MNQ, MES and bad quantities', () => {
    throwsKey(() => new MaxStrategy({ symbol: 'BTC/USDT', maxMode: 'both', pointKey: '15_7_5_2', exitKey: '15_15' }, instruments.get('BTC/USDT')), 'contract', /NQ, ES, MNQ, MES/);
    throwsKey(() => new MaxStrategy({ symbol: 'NQ', maxMode: 'both', pointKey: '15_7_5_2', exitKey: '15_15', qty: 1.5 }, instruments.get('NQ')), 'quantity', /whole number/);
    throwsKey(() => new MaxStrategy({ symbol: 'NQ', maxMode: 'up', pointKey: '15_7_5_2', exitKey: '15_15' }, instruments.get('NQ')), 'maxMode', /long, short, both/);
    const s = new MaxStrategy({ symbol: 'MNQ', maxMode: 'long', pointKey: '15_7_5_2', exitKey: '15_15' }, instruments.get('MNQ'));
    assert.equal(s.mode, 'max_long_15_7_5_2_15_15');
  });

  it("trades an exchange account's instruments when the run names them (LIVE on a Binance USD-M account)", () => {
    const eth = new MaxStrategy({ symbol: 'ETH/USDT', contracts: ['BTC/USDT', 'ETH/USDT'], maxMode: 'both', pointKey: '0.5_5_5_5', exitKey: '0_60', qty: 1 }, instruments.get('ETH/USDT'));
    assert.deepEqual(eth.symbols, ['ETH/USDT']);
    // Only those: the index futures are not among them, and the points still sit on the tick grid.
    throwsKey(() => new MaxStrategy({ symbol: 'NQ', contracts: ['BTC/USDT'], maxMode: 'both', pointKey: '15_7_5_2', exitKey: '15_15' }, instruments.get('NQ')), 'contract', /one of BTC\/USDT; got "NQ"/);
    throwsKey(() => new MaxStrategy({ symbol: 'BTC/USDT', contracts: ['BTC/USDT'], maxMode: 'both', pointKey: '0.25_5_5_5', exitKey: '0_60' }, instruments.get('BTC/USDT')), 'point_key', /trigger 0.25 is not a multiple of BTC\/USDT's tick size 0.1/);
  });

  it('converts points to ticks and money per contract', () => {
    const nq = instruments.get('NQ');
    const es = instruments.get('ES');
    // NQ: 0.25 tick, $20 a point -> $5 a tick; ES: 0.25 tick, $50 a point -> $12.50 a tick.
    assert.equal(pointsToTicks(7, nq.tickSize), 28);
    assert.equal(pointsToMoney(7, nq.pointValue), 140);
    assert.equal(pointsToMoney(0.25, nq.pointValue), 5);
    assert.equal(pointsToMoney(7, es.pointValue), 350);
    assert.equal(pointsToMoney(0.25, es.pointValue), 12.5);
    assert.equal(pointsToMoney(15, es.pointValue, 2), 1500);
    assert.equal(pointsToMoney(3, instruments.get('MNQ').pointValue), 6);
    assert.equal(pointsToMoney(3, instruments.get('MES').pointValue), 15);
  });
});
