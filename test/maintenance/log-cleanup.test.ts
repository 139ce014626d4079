import { describe, expect, it } from 'vitest'
import { VersionNotFoundError } from '../../src/errors.js'
import { cleanupExpiredLogs } from '../../src/maintenance/log-cleanup.js'
import type { MemoryStore } from '../../src/storage/memory-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { newTable, rowsAt, rowsOf } from './fixtures.js'

const DAY = 86_400_000
const BASE = Date.UTC(2026, 0, 1)

async function logKeys(store: MemoryStore): Promise<string[]> {
  const out: string[] = []
  for await (const m of store.list('_delta_log/')) out.push(m.key.slice('_delta_log/'.length))
  return out
}

/** Versions 0..8, one a day from BASE, checkpoints every 2 versions. */
async function dailyTable(properties: Record<string, string> = {}) {
  const { store, t } = await newTable({ properties: { 'delta.checkpointInterval': '2', ...properties } })
  for (let v = 1; v <= 8; v++) await t.append(rowsOf(v * 10, 2, 'x'))
  await store.put('_delta_log/00000000000000000001.crc', new Uint8Array([1]))
  for (const k of await logKeys(store)) {
    const m = /^(\d{20})\./.exec(k)
    if (m) store.setMtime(`_delta_log/${k}`, BASE + Number(m[1]) * DAY)
  }
  return { store, t }
}

describe('expired log cleanup', () => {
  it('removes commits and checkpoints below the newest checkpoint not newer than the cutoff', async () => {
    const { store } = await dailyTable()
    const rows = new Map<number, string>()
    for (let v = 4; v <= 8; v++) rows.set(v, await rowsAt(store, v))
    // cutoff = midnight of BASE + 5 days (+ some hours): the cutoff commit is 5, its checkpoint 4
    const now = BASE + 35 * DAY + 7 * 3_600_000
    const dry = await cleanupExpiredLogs(store, { now: () => now, dryRun: true })
    expect(dry.checkpointVersion).toBe(4)
    const r = await cleanupExpiredLogs(store, { now: () => now })
    expect(r.filesDeleted).toEqual(dry.filesDeleted)
    expect(r.filesDeleted.map((k) => k.slice('_delta_log/'.length))).toEqual([
      '00000000000000000000.crc', '00000000000000000000.json', '00000000000000000001.crc', '00000000000000000001.json',
      '00000000000000000002.checkpoint.parquet', '00000000000000000002.crc', '00000000000000000002.json',
      '00000000000000000003.crc', '00000000000000000003.json',
    ])
    const left = await logKeys(store)
    expect(left).toContain('00000000000000000004.checkpoint.parquet')
    expect(left).toContain('00000000000000000004.json')
    expect(left).toContain('_last_checkpoint')
    for (const [v, r2] of rows) expect(await rowsAt(store, v)).toBe(r2)
    await expect(DeltaTable.open(store, { version: 3 })).rejects.toThrow(VersionNotFoundError)
    expect((await DeltaTable.open(store, { timestamp: BASE + 6 * DAY })).version).toBe(6)
    // idempotent
    expect((await cleanupExpiredLogs(store, { now: () => now })).filesDeleted).toEqual([])
  })

  it('does nothing when no checkpoint is old enough, or when disabled', async () => {
    const { store } = await dailyTable()
    expect((await cleanupExpiredLogs(store, { now: () => BASE + 31 * DAY })).filesDeleted).toEqual([])
    const off = await dailyTable({ 'delta.enableExpiredLogCleanup': 'false' })
    expect((await cleanupExpiredLogs(off.store, { now: () => BASE + 400 * DAY })).filesDeleted).toEqual([])
    const custom = await dailyTable({ 'delta.logRetentionDuration': 'interval 2 days' })
    const r = await cleanupExpiredLogs(custom.store, { now: () => BASE + 8 * DAY + 1 })
    expect(r.checkpointVersion).toBe(6)
  })
})

describe('cleanup after checkpoints', () => {
  it('a maintenance commit that writes a checkpoint cleans up expired log files', async () => {
    const { store, t } = await dailyTable({ 'delta.logRetentionDuration': 'interval 2 days' })
    // versions 0..8 are 2026-01-01…09 by mtime, 9 and 10 are today: the OPTIMIZE commit (version 10)
    // writes a checkpoint, then cleanup keeps the cutoff commit's checkpoint (8) and all after it
    await t.setProperties({ owner: 'x' })          // v9
    expect(t.version).toBe(9)
    const rows = await rowsAt(store, 9)
    await t.optimize()                                // v10: checkpoint, then cleanup
    expect(t.version).toBe(10)
    const left = (await logKeys(store)).filter((k) => /^\d{20}\./.test(k))
    expect(left).toEqual([
      '00000000000000000008.checkpoint.parquet', '00000000000000000008.crc', '00000000000000000008.json',
      '00000000000000000009.crc', '00000000000000000009.json',
      '00000000000000000010.checkpoint.parquet', '00000000000000000010.crc', '00000000000000000010.json',
    ])
    expect(await rowsAt(store, 10)).toBe(rows)
    expect(await rowsAt(store, 9)).toBe(rows)
    expect(await rowsAt(store, 8)).toBe(rows)
    await expect(DeltaTable.open(store, { version: 7 })).rejects.toThrow(VersionNotFoundError)
  })
})
