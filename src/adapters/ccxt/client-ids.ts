/**
 * Venue client order ids. The kernel's order id (binance-O-00000042) is the client id's core; a
 * short tag of the journal (random, kept in the journal's meta) goes in front, so a fresh journal
 * on the same venue account never reuses an id the venue already holds (Binance keeps client ids
 * unique only among open orders: a reused id of a filled order would create a second order).
 * Binance allows 36 characters of [.A-Z:/a-z0-9_-].
 */
export interface ClientIds {
  toVenue(orderId: string): string;
  /** The kernel order id of a client id we made; null for any other. */
  fromVenue(clientOrderId: string | null | undefined): string | null;
}

export function clientIds(journalTag: string): ClientIds {
  const prefix = `tw${journalTag}.`;
  return {
    toVenue: (orderId) => `${prefix}${orderId}`,
    fromVenue: (c) => (c && c.startsWith(prefix) ? c.slice(prefix.length) : null),
  };
}
