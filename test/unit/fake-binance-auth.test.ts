// Binance's SIGNED-request rules as the fake venue applies them, checked against the example
// in Binance's API documentation (HMAC SHA256 over query string + body, timing window).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hmacHex, verifySignature, verifyTimestamp } from '../fake-binance/auth.js';
import { BinanceError } from '../fake-binance/errors.js';
import { parseParams } from '../fake-binance/rest.js';

// The HMAC example of Binance's REST API documentation (secret key, payload, signature).
const DOC_SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
const DOC_PAYLOAD = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559';
const DOC_SIGNATURE = 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71';

const code = (f: () => unknown): number | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof BinanceError) return e.code;
    throw e;
  }
};

describe('fake Binance request security', () => {
  it("computes Binance's documented HMAC example", () => {
    assert.equal(hmacHex(DOC_SECRET, DOC_PAYLOAD), DOC_SIGNATURE);
  });

  it('accepts the signature in the query, in the body, or split between them, case-insensitively', () => {
    assert.equal(code(() => verifySignature(DOC_SECRET, `${DOC_PAYLOAD}&signature=${DOC_SIGNATURE}`, '')), undefined);
    assert.equal(code(() => verifySignature(DOC_SECRET, '', `${DOC_PAYLOAD}&signature=${DOC_SIGNATURE.toUpperCase()}`)), undefined);
    // Query and body are concatenated without a separator, as the documentation's mixed example.
    const query = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC';
    const body = 'quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559';
    const mixed = hmacHex(DOC_SECRET, query + body);
    assert.equal(code(() => verifySignature(DOC_SECRET, query, `${body}&signature=${mixed}`)), undefined);
    assert.equal(code(() => verifySignature(DOC_SECRET, query, `${body}&signature=${DOC_SIGNATURE}`)), -1022);
  });

  it('-1022 for a wrong secret or a changed parameter, -1102 without a signature', () => {
    assert.equal(code(() => verifySignature('wrong', `${DOC_PAYLOAD}&signature=${DOC_SIGNATURE}`, '')), -1022);
    assert.equal(code(() => verifySignature(DOC_SECRET, `${DOC_PAYLOAD.replace('quantity=1', 'quantity=2')}&signature=${DOC_SIGNATURE}`, '')), -1022);
    assert.equal(code(() => verifySignature(DOC_SECRET, DOC_PAYLOAD, '')), -1102);
    assert.equal(code(() => verifySignature(DOC_SECRET, `${DOC_PAYLOAD}&signature=${DOC_SIGNATURE}&signature=${DOC_SIGNATURE}`, '')), -1101);
  });

  it('timing: within recvWindow (default 5000, at most 60000) and at most 1 s ahead', () => {
    const server = 1_700_000_000_000;
    const at = (timestamp: number, recvWindow?: number) => code(() => verifyTimestamp({ timestamp: String(timestamp), ...(recvWindow ? { recvWindow: String(recvWindow) } : {}) }, server));
    assert.equal(at(server), undefined);
    assert.equal(at(server - 5000), undefined);
    assert.equal(at(server - 5001), -1021);
    assert.equal(at(server - 9000, 10_000), undefined);
    assert.equal(at(server + 999), undefined);
    assert.equal(at(server + 1000), -1021);
    assert.equal(at(server, 60_001), -1131);
    assert.equal(code(() => verifyTimestamp({}, server)), -1102);
  });

  it('merges query and body parameters; a repeated parameter is -1101', () => {
    assert.deepEqual(parseParams('a=1&b=x%20y', 'c=3'), { a: '1', b: 'x y', c: '3' });
    assert.equal(code(() => parseParams('a=1', 'a=2')), -1101);
  });
});
