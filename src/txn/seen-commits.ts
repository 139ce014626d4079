// Commits a transaction has already read (the winners of the versions it lost) or written, kept by
// the table state it planned on: the handle that then moves past them (DeltaTable after a write)
// replays these instead of listing and reading the log again. Commit files never change once
// written (put-if-absent), so a commit read a moment ago is what a reader would read now.
import type { Action } from '../log/actions.js'

const seenAfter = new WeakMap<object, Map<number, Action[]>>()

/** The commits after `state` that transactions planned on it have read or written, by version. */
export function commitsSeenAfter(state: object): ReadonlyMap<number, Action[]> | undefined {
  return seenAfter.get(state)
}

/** Remember commit `version` after `state` (as parsed from its bytes). */
export function rememberCommit(state: object, version: number, actions: () => Action[]): void {
  let m = seenAfter.get(state)
  if (!m) seenAfter.set(state, (m = new Map()))
  if (!m.has(version)) m.set(version, actions())
}
