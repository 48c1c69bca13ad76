import type { LeaderStreamSnapshot } from './follower-stream.js';

/**
 * GET /api/cluster/stream on the leader, as the client whose credentials are given (the leader
 * checks them as for any request). Throws a short message (no credentials in it) when the leader
 * refuses, does not answer within `timeoutMs`, or answers something else.
 */
export async function fetchLeaderSnapshot(leaderUrl: string, credentials: Record<string, string>, timeoutMs = 5_000): Promise<LeaderStreamSnapshot> {
  let res: Response;
  try {
    res = await fetch(`${leaderUrl}/api/cluster/stream`, { headers: { ...credentials, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(`the leader did not answer (${(error as Error).name})`, { cause: error });
  }
  const text = await res.text();
  if (res.status !== 200) throw new Error(`the leader answered ${res.status}`);
  const body = JSON.parse(text) as Partial<LeaderStreamSnapshot>;
  const { origin, token, seq, snapshot } = body;
  if (typeof origin !== 'string' || typeof token !== 'number' || typeof seq !== 'number' || !snapshot || snapshot.type !== 'STATE_SNAPSHOT') {
    throw new Error('the leader answered no stream snapshot');
  }
  return { origin, token, seq, snapshot };
}
