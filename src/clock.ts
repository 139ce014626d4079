// The clock option of every call that stamps time (commit timestamps, file modification times,
// retention cutoffs): one type everywhere, `() => number` in epoch ms (docs/api.md), which is what
// tests inject to simulate time.
import { InvalidArgumentError } from './errors.js'

/** A clock: returns the current time in milliseconds since the epoch (`Date.now` is one). */
export type Clock = () => number

/**
 * Refuse an option `now` that is not a clock before a call reads or writes anything (a call may read
 * its clock only late, or not at all when there is nothing to do).
 */
export function checkClock(clock: unknown): void {
  if (clock !== undefined) nowOf(clock as Clock)
}

/** The time `clock` reads (the system clock when none is given); a clock that is not one is refused. */
export function nowOf(clock: Clock | undefined): number {
  if (clock === undefined) return Date.now()
  if (typeof clock !== 'function') {
    throw new InvalidArgumentError(`a clock (option now) is a function returning epoch milliseconds, such as () => Date.parse('2024-01-01'); got ${typeof clock} ${String(clock)}`)
  }
  const ms = clock()
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new InvalidArgumentError(`the clock (option now) returned ${String(ms)}, not epoch milliseconds`)
  }
  return ms
}
