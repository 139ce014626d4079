// Run-time checks of public options objects: a misspelled or foreign key (`sequense`, the medallion's
// `op` passed to the core) is a typed error naming it, never silently ignored.
import { InvalidArgumentError, type ErrorContext } from './errors.js'

/** An option key the call does not know. */
export class UnknownOptionError extends InvalidArgumentError {
  override readonly code = 'UNKNOWN_OPTION'
  readonly option: string
  constructor(message: string, option: string, ctx: ErrorContext = {}) {
    super(message, ctx)
    this.option = option
  }
}

/**
 * Throws UnknownOptionError when `options` holds a key outside `allowed` (keys whose value is
 * `undefined` count too: `{ sequense: undefined }` is still a typo). `call` names the call in the
 * message, e.g. `merge (CDC mode)`.
 */
export function checkOptions(call: string, options: unknown, allowed: readonly string[], ctx: ErrorContext = {}): void {
  if (options === undefined || options === null) return
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${call}: options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`, ctx)
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue
    const near = nearest(key, allowed)
    const hint = near ? ` (did you mean ${near}?)` : ''
    throw new UnknownOptionError(`${call}: unknown option ${JSON.stringify(key)}${hint}; valid options: ${allowed.join(', ')}`, key, ctx)
  }
}

/** The allowed key closest to `key` by edit distance, when it is close enough to be a typo. */
function nearest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  const k = key.toLowerCase()
  for (const a of allowed) {
    const d = editDistance(k, a.toLowerCase())
    if (d < bestD) { bestD = d; best = a }
  }
  return bestD <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]!
}

/** The keys of T that `keys` leaves out (never when every key is listed). */
type Unlisted<T, K extends readonly PropertyKey[]> = Exclude<keyof T, K[number]>

/**
 * The allowed keys of options type T, written once beside T: `optionKeys<AppendOptions>()([...])`
 * does not compile when the list misses a key of T or names one T lacks, so the run-time check
 * cannot drift from the interface.
 */
export function optionKeys<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Unlisted<T, K>] extends [never] ? unknown : { missingOptionKeys: Unlisted<T, K> }),
  ): K => keys
}
