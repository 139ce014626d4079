// The commit loop's retry policy: how many times a writer that lost the put-if-absent race may try
// again, and how long it waits between attempts (exponential backoff with jitter, so that writers
// that collided once do not collide again in lockstep). Clock and randomness are injectable.
import { CommitRetriesExhaustedError, InvalidArgumentError } from '../errors.js'
import { optionKeys } from '../options.js'

/** How a commit that lost a race is retried (attempts and jittered exponential backoff). */
export interface RetryPolicy {
  /** Total commit attempts, the first included (>= 1). */
  maxAttempts: number
  /** Backoff ceiling before the first retry, in ms; doubles each retry. */
  baseDelayMs: number
  /** Upper bound of any single wait, in ms. */
  maxDelayMs: number
  /**
   * 'full': wait uniformly in [0, ceiling] (spreads writers the most);
   * 'equal': in [ceiling/2, ceiling] (guarantees some backoff); 'none': exactly the ceiling.
   */
  jitter: 'full' | 'equal' | 'none'
}
export const RETRY_POLICY_KEYS = optionKeys<RetryPolicy>()(['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'jitter'])

/**
 * Generous attempts, short waits. A lost put-if-absent is not a sign to back off for long: the loser
 * has just read every winner up to the tip, and the longer it waits the more likely another writer
 * takes the next version first (long ceilings starved losers in the 10-process benchmark). The
 * jitter only has to break the lockstep of writers that lost to the same winner.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 250,
  baseDelayMs: 2,
  maxDelayMs: 32,
  jitter: 'full',
})

/** Time and randomness of the loop; tests pass a fake to run instantly and deterministically. */
export interface RetryClock {
  sleep(ms: number): Promise<void>
  /** Uniform in [0, 1). */
  random(): number
}

export const SYSTEM_CLOCK: RetryClock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
}

/** Fill in and check a partial policy. */
export function resolveRetryPolicy(policy: Partial<RetryPolicy> = {}): RetryPolicy {
  const p = { ...DEFAULT_RETRY_POLICY, ...policy }
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) {
    throw new InvalidArgumentError(`retry maxAttempts must be an integer >= 1, got ${p.maxAttempts}`)
  }
  if (!(p.baseDelayMs >= 0) || !(p.maxDelayMs >= 0)) {
    throw new InvalidArgumentError(`retry delays must be >= 0, got base ${p.baseDelayMs} ms, max ${p.maxDelayMs} ms`)
  }
  if (!['full', 'equal', 'none'].includes(p.jitter)) {
    throw new InvalidArgumentError(`retry jitter must be 'full', 'equal' or 'none', got '${p.jitter}'`)
  }
  return p
}

/** The wait before retry number `retry` (1 = the first retry, after the first lost race). */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  // 2 ** 30 is far beyond any ceiling and keeps the product finite.
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(retry - 1, 0), 30))
  switch (policy.jitter) {
    case 'none': return ceiling
    case 'equal': return ceiling / 2 + random() * (ceiling / 2)
    case 'full': return random() * ceiling
  }
}

/**
 * What one attempt reports: committed (stop with a value) or lost the race (try again; `now`: at
 * once, without the backoff).
 */
export type AttemptResult<T> = { done: true; value: T } | { done: false; now?: boolean }

export interface RetryLoopOptions {
  policy?: Partial<RetryPolicy>
  clock?: RetryClock
  /** Names table, versions and operation in the error raised when attempts run out. */
  describe?: (attempts: number) => { message: string; table?: string; version?: number }
}

/**
 * Run `attempt(n)` (n = 1, 2, …) until it reports done, waiting a jittered backoff after each lost
 * race (unless the attempt asks to retry at once). An error thrown by an attempt (a real conflict, an I/O failure) ends the loop at once.
 * Throws `CommitRetriesExhaustedError` after `maxAttempts` lost races.
 */
export async function retryCommit<T>(
  attempt: (n: number) => Promise<AttemptResult<T>>, options: RetryLoopOptions = {},
): Promise<{ value: T; attempts: number }> {
  const policy = resolveRetryPolicy(options.policy)
  const clock = options.clock ?? SYSTEM_CLOCK
  for (let n = 1; ; n++) {
    const result = await attempt(n)
    if (result.done) return { value: result.value, attempts: n }
    if (n >= policy.maxAttempts) {
      const d = options.describe?.(n)
      const message = d?.message ?? `commit lost the race ${n} times in a row`
      throw new CommitRetriesExhaustedError(`${message}; gave up after ${n} attempts`, { table: d?.table, version: d?.version })
    }
    const wait = result.now ? 0 : backoffDelay(policy, n, clock.random)
    if (wait > 0) await clock.sleep(wait)
  }
}
