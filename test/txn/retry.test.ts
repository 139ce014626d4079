import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CommitRetriesExhaustedError, ConcurrentAppendError, InvalidArgumentError } from '../../src/errors.js'
import {
  backoffDelay, DEFAULT_RETRY_POLICY, resolveRetryPolicy, retryCommit, type RetryClock, type RetryPolicy,
} from '../../src/txn/retry.js'

/** A clock that never waits, records every requested sleep and draws from a fixed sequence. */
function fakeClock(randoms: number[] = [0.5]): RetryClock & { sleeps: number[] } {
  let i = 0
  const sleeps: number[] = []
  return {
    sleeps,
    sleep: async (ms) => { sleeps.push(ms) },
    random: () => randoms[i++ % randoms.length]!,
  }
}

const policyArb = fc.record<RetryPolicy>({
  maxAttempts: fc.integer({ min: 1, max: 50 }),
  baseDelayMs: fc.integer({ min: 0, max: 100 }),
  maxDelayMs: fc.integer({ min: 0, max: 5000 }),
  jitter: fc.constantFrom('full', 'equal', 'none'),
})

describe('backoffDelay', () => {
  it('grows exponentially up to the ceiling without jitter', () => {
    const p: RetryPolicy = { maxAttempts: 10, baseDelayMs: 10, maxDelayMs: 100, jitter: 'none' }
    expect([1, 2, 3, 4, 5, 6].map((r) => backoffDelay(p, r))).toEqual([10, 20, 40, 80, 100, 100])
  })

  it('stays within [0, ceiling] (full) or [ceiling/2, ceiling] (equal) for any random draw', () => {
    fc.assert(fc.property(policyArb, fc.integer({ min: 1, max: 2000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (policy, retry, r) => {
        const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry - 1, 30))
        const d = backoffDelay(policy, retry, () => r)
        expect(Number.isFinite(d)).toBe(true)
        expect(d).toBeLessThanOrEqual(ceiling)
        expect(d).toBeGreaterThanOrEqual(policy.jitter === 'full' ? 0 : policy.jitter === 'equal' ? ceiling / 2 : ceiling)
      }))
  })

  it('uses the random draw (jitter spreads writers apart)', () => {
    const p: RetryPolicy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000, jitter: 'full' }
    expect(backoffDelay(p, 3, () => 0)).toBe(0)
    expect(backoffDelay(p, 3, () => 0.25)).toBe(100)
    expect(backoffDelay({ ...p, jitter: 'equal' }, 3, () => 0.5)).toBe(300)
  })
})

describe('resolveRetryPolicy', () => {
  it('fills defaults and rejects nonsense', () => {
    expect(resolveRetryPolicy()).toEqual(DEFAULT_RETRY_POLICY)
    expect(resolveRetryPolicy({ maxAttempts: 3 }).maxAttempts).toBe(3)
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(InvalidArgumentError)
    expect(() => resolveRetryPolicy({ maxAttempts: 1.5 })).toThrow(InvalidArgumentError)
    expect(() => resolveRetryPolicy({ baseDelayMs: -1 })).toThrow(InvalidArgumentError)
    expect(() => resolveRetryPolicy({ jitter: 'some' as never })).toThrow(InvalidArgumentError)
  })
})

describe('retryCommit', () => {
  it('returns the first successful attempt and sleeps between lost races', async () => {
    const clock = fakeClock([0.5])
    const calls: number[] = []
    const out = await retryCommit(async (n) => {
      calls.push(n)
      return n < 4 ? { done: false } : { done: true, value: `v${n}` }
    }, { clock, policy: { baseDelayMs: 10, maxDelayMs: 1000, jitter: 'full' } })
    expect(out).toEqual({ value: 'v4', attempts: 4 })
    expect(calls).toEqual([1, 2, 3, 4])
    expect(clock.sleeps).toEqual([5, 10, 20])
  })

  it('does not sleep before the first attempt nor after success', async () => {
    const clock = fakeClock()
    const out = await retryCommit(async () => ({ done: true, value: 1 }), { clock })
    expect(out.attempts).toBe(1)
    expect(clock.sleeps).toEqual([])
  })

  it('gives up after maxAttempts with a message naming table and version', async () => {
    const clock = fakeClock()
    let calls = 0
    const err = await retryCommit(async () => { calls++; return { done: false } }, {
      clock,
      policy: { maxAttempts: 5 },
      describe: (n) => ({ message: `commit of WRITE to memory://t read at version 3 lost ${n} races`, table: 'memory://t', version: 3 }),
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CommitRetriesExhaustedError)
    expect(calls).toBe(5)
    expect(clock.sleeps.length).toBe(4)
    const msg = (err as Error).message
    expect(msg).toContain('memory://t')
    expect(msg).toContain('version 3')
    expect(msg).toContain('5 attempts')
  })

  it('propagates a real conflict at once, without retrying', async () => {
    const clock = fakeClock()
    let calls = 0
    await expect(retryCommit(async () => {
      calls++
      throw new ConcurrentAppendError('conflict')
    }, { clock })).rejects.toBeInstanceOf(ConcurrentAppendError)
    expect(calls).toBe(1)
    expect(clock.sleeps).toEqual([])
  })

  it('makes exactly min(k, maxAttempts) attempts for any policy', async () => {
    await fc.assert(fc.asyncProperty(policyArb, fc.integer({ min: 1, max: 60 }), async (policy, k) => {
      const clock = fakeClock([0.1, 0.9, 0.5])
      let calls = 0
      const res = await retryCommit(async (n) => { calls++; return n >= k ? { done: true, value: n } : { done: false } },
        { clock, policy }).catch((e: unknown) => e)
      expect(calls).toBe(Math.min(k, policy.maxAttempts))
      if (k <= policy.maxAttempts) expect(res).toEqual({ value: k, attempts: k })
      else expect(res).toBeInstanceOf(CommitRetriesExhaustedError)
      for (const ms of clock.sleeps) expect(ms).toBeLessThanOrEqual(policy.maxDelayMs)
    }))
  })

  it('really waits with the system clock', async () => {
    const t0 = Date.now()
    await retryCommit(async (n) => (n < 3 ? { done: false } : { done: true, value: 0 }),
      { policy: { baseDelayMs: 20, maxDelayMs: 20, jitter: 'none' } })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(35)
  })
})
