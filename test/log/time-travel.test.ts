import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, VersionNotFoundError } from '../../src/errors.js'
import { commitKey } from '../../src/log/log-path.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { parseTimestampArg } from '../../src/log/time-travel.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { add, commitInfo, metadataAction, protocolAction, writeCheckpoint, writeCommit } from './fixtures.js'

const T0 = Date.parse('2026-01-01T00:00:00Z')
const min = 60_000

/** Versions 0..4 committed one minute apart (file mtimes). */
async function table(mtimes: number[] = [0, 1, 2, 3, 4].map((i) => T0 + i * min)): Promise<MemoryStore> {
  const store = new MemoryStore()
  await writeCommit(store, 0, [commitInfo(1), protocolAction(), metadataAction(), add('f0')], mtimes[0])
  for (let v = 1; v < mtimes.length; v++) await writeCommit(store, v, [commitInfo(1), add(`f${v}`)], mtimes[v])
  return store
}

describe('time travel by timestamp', () => {
  it('selects the latest commit at or before the timestamp', async () => {
    const store = await table()
    expect((await loadSnapshot(store, { timestamp: T0 })).version).toBe(0)
    expect((await loadSnapshot(store, { timestamp: T0 + 90_000 })).version).toBe(1)
    expect((await loadSnapshot(store, { timestamp: new Date(T0 + 2 * min) })).version).toBe(2)
    expect((await loadSnapshot(store, { timestamp: '2026-01-01T00:04:00Z' })).version).toBe(4)
    expect((await loadSnapshot(store, { timestamp: '2026-01-01 00:03:30' })).version).toBe(3) // no zone: UTC
  })

  it('errors before the first commit and after the last', async () => {
    const store = await table()
    await expect(loadSnapshot(store, { timestamp: T0 - 1 })).rejects.toThrowError(VersionNotFoundError)
    await expect(loadSnapshot(store, { timestamp: T0 - 1 })).rejects.toThrowError(/before the earliest/)
    await expect(loadSnapshot(store, { timestamp: T0 + 4 * min + 1 })).rejects.toThrowError(/after the latest commit/)
  })

  it('makes non-increasing mtimes strictly increasing, as Delta does', async () => {
    // v2's mtime went backwards (clock skew): it counts as v1 + 1 ms.
    const store = await table([T0, T0 + min, T0 + 30_000, T0 + 3 * min])
    expect((await loadSnapshot(store, { timestamp: T0 + min })).version).toBe(1)
    expect((await loadSnapshot(store, { timestamp: T0 + min + 1 })).version).toBe(2)
  })

  it('history timestamps lead time travel back to their own version', async () => {
    const { readHistory } = await import('../../src/log/history.js')
    const store = await table([T0, T0 + min, T0 + 30_000, T0 + 30_000, T0 + 3 * min])
    const h = await readHistory(store, 'memory://t', 4)
    expect(h.map((e) => e.version)).toEqual([4, 3, 2, 1, 0])
    for (const e of h) expect((await loadSnapshot(store, { timestamp: e.timestamp })).version).toBe(e.version)
    expect(h[4].operationTimestamp).toBe(1) // the writer's commitInfo.timestamp is kept
    expect((await readHistory(store, 'memory://t', 4, 2)).map((e) => e.timestamp)).toEqual(h.slice(0, 2).map((e) => e.timestamp))
  })

  it('uses in-commit timestamps where enabled', async () => {
    const store = new MemoryStore()
    const conf = { 'delta.enableInCommitTimestamps': 'true' }
    // mtimes are deliberately unrelated to the commit timestamps
    await writeCommit(store, 0, [commitInfo(1, { inCommitTimestamp: T0 }), protocolAction(3, 7), metadataAction(conf), add('a')], T0 + 999 * min)
    for (let v = 1; v <= 6; v++) await writeCommit(store, v, [commitInfo(1, { inCommitTimestamp: T0 + v * min }), add(`f${v}`)], T0 - v)
    expect((await loadSnapshot(store, { timestamp: T0 + 3 * min + 5 })).version).toBe(3)
    expect((await loadSnapshot(store, { timestamp: T0 + 6 * min })).version).toBe(6)
    await expect(loadSnapshot(store, { timestamp: T0 - 1 })).rejects.toThrowError(VersionNotFoundError)
  })

  it('starts at the earliest checkpoint when old commits were cleaned up', async () => {
    const store = await table()
    await writeCheckpoint(store, 2)
    store.setMtime('_delta_log/00000000000000000002.checkpoint.parquet', T0 + 2 * min)
    await store.delete(commitKey(0))
    await store.delete(commitKey(1))
    await expect(loadSnapshot(store, { timestamp: T0 + min })).rejects.toThrowError(/earliest recreatable version 2/)
    expect((await loadSnapshot(store, { timestamp: T0 + 2 * min })).version).toBe(2)
  })

  it('rejects invalid timestamps and mixing version with timestamp', async () => {
    const store = await table()
    expect(() => parseTimestampArg('yesterday')).toThrowError(InvalidArgumentError)
    await expect(loadSnapshot(store, { timestamp: 'not a time' })).rejects.toThrowError(InvalidArgumentError)
    await expect(loadSnapshot(store, { version: 1, timestamp: T0 })).rejects.toThrowError(InvalidArgumentError)
  })

  it('parses the accepted forms', () => {
    expect(parseTimestampArg('2026-01-01')).toBe(T0)
    expect(parseTimestampArg('2026-01-01T01:00:00+01:00')).toBe(T0)
    expect(parseTimestampArg(T0)).toBe(T0)
  })
})
