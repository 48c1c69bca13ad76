/**
 * State machines as data: a table of (state, command) -> next state.
 * Anything not in the table is an invalid transition.
 */
export type TransitionTable<S extends string, C extends string> = Readonly<Record<S, Readonly<Partial<Record<C, S>>>>>;

export type TransitionResult<S extends string> =
  | { ok: true; from: S; to: S }
  | { ok: false; from: S; reason: string };

export function nextState<S extends string, C extends string>(
  table: TransitionTable<S, C>,
  from: S,
  command: C,
): TransitionResult<S> {
  const to = table[from]?.[command];
  if (to === undefined) return { ok: false, from, reason: `cannot ${command} when ${from}` };
  return { ok: true, from, to };
}

export function commandsFrom<S extends string, C extends string>(table: TransitionTable<S, C>, from: S): C[] {
  return Object.keys(table[from] ?? {}) as C[];
}

export class InvalidTransitionError extends Error {
  constructor(readonly from: string, readonly command: string, what = 'state') {
    super(`Invalid ${what} transition: cannot ${command} when ${from}`);
    this.name = 'InvalidTransitionError';
  }
}
