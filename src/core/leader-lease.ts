/**
 * One leader per account (docs/SCALE-OUT.md): the instance holding the lease runs the kernels;
 * every other instance is a follower. Each grant carries a fencing token larger than every
 * earlier one; the journal refuses trading writes made under an older token, so a leader that
 * lost its lease (paused, partitioned) can neither journal nor send an order.
 */
export interface LeaderInfo {
  /** The holder's instance id. */
  owner: string;
  /** Its fencing token. */
  token: number;
  /** Where followers forward commands ('' until the leader listens). */
  url: string;
}

export interface LeaderLease {
  /** Takes the lease when nobody holds it: the new fencing token, or null when it is held. */
  tryAcquire(url: string): Promise<number | null>;
  /**
   * Extends the lease held under `token` (and records `url`); also re-establishes it when it
   * expired and no grant happened since. False when another instance was granted it.
   */
  renew(token: number, url: string): Promise<boolean>;
  /** Gives the lease up (only if still ours), so a follower takes over at once. */
  release(token: number): Promise<void>;
  /** The current holder, or null. */
  current(): Promise<LeaderInfo | null>;
}

/** A trading write under a fencing token older than the journal's: this instance is no longer the leader. */
export class StaleLeaderError extends Error {
  override name = 'StaleLeaderError';
}
