// Binance's request security for SIGNED (TRADE / USER_DATA) endpoints, as its API documentation
// states it: the API key in the X-MBX-APIKEY header; `signature` = HMAC-SHA256 (hex, case
// insensitive) with the secret key over the query string concatenated without separator to the
// request body, both exactly as sent, less the signature parameter itself; `timestamp` within
// `recvWindow` (default 5000 ms, at most 60000) of the server time and at most 1 s ahead of it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { E } from './errors.js';

export interface Credentials {
  secret: string;
}

const API_KEY = /^[A-Za-z0-9]{1,128}$/;

/** Throws -2014 for a missing or malformed API key; returns the key. */
export function apiKeyOf(header: string | string[] | undefined): string {
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key === '' || !API_KEY.test(key)) throw E.badApiKeyFormat();
  return key;
}

/** Removes `signature=...` from a query string or body, returning the rest and the signature. */
export function splitSignature(raw: string): { payload: string; signature: string | undefined } {
  if (raw === '') return { payload: '', signature: undefined };
  let signature: string | undefined;
  const kept: string[] = [];
  for (const part of raw.split('&')) {
    if (part.startsWith('signature=')) {
      if (signature !== undefined) throw E.duplicateParam();
      signature = decodeURIComponent(part.slice('signature='.length));
    } else {
      kept.push(part);
    }
  }
  return { payload: kept.join('&'), signature };
}

export function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** The signature check: -1102 without a signature, -1022 when it does not match. */
export function verifySignature(secret: string, rawQuery: string, rawBody: string): void {
  const q = splitSignature(rawQuery);
  const b = splitSignature(rawBody);
  if (q.signature !== undefined && b.signature !== undefined) throw E.duplicateParam();
  const signature = q.signature ?? b.signature;
  if (signature === undefined || signature === '') throw E.mandatory('signature');
  const expected = Buffer.from(hmacHex(secret, q.payload + b.payload), 'utf8');
  const given = Buffer.from(signature.toLowerCase(), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw E.badSignature();
}

/** The timing check, as Binance documents it. */
export function verifyTimestamp(params: Record<string, string>, serverTime: number): void {
  const ts = params.timestamp;
  if (ts === undefined || ts === '') throw E.mandatory('timestamp');
  if (!/^\d{1,16}$/.test(ts)) throw E.illegalChars('timestamp', '^[0-9]{1,16}$');
  const timestamp = Number(ts);
  let recvWindow = 5000;
  if (params.recvWindow !== undefined && params.recvWindow !== '') {
    if (!/^\d{1,10}(\.\d{1,3})?$/.test(params.recvWindow)) throw E.illegalChars('recvWindow', '^[0-9]{1,10}(\\.[0-9]{1,3})?$');
    recvWindow = Number(params.recvWindow);
    if (recvWindow > 60000) throw E.badRecvWindow();
  }
  if (timestamp >= serverTime + 1000) throw E.timestampAhead();
  if (serverTime - timestamp > recvWindow) throw E.timestampOutside();
}
