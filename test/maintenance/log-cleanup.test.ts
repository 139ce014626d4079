import { describe, expect, it } from 'vitest'
import { VersionNotFoundError } from '../../src/errors.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { cleanupExpiredLogs, cleanupExpiredLogsAt } from '../../src/maintenance/log-cleanup.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import type { ListOptions, ObjectMeta } from '../../src/storage/object-store.js'
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

/** A MemoryStore that counts the listing entries its callers consume. */
class CountingStore extends MemoryStore {
  entries = 0
  override async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    for await (const m of super.list(prefix, options)) { this.entries++; yield m }
  }
}

describe('a log younger than its retention', () => {
  it('is judged from its oldest version: the cleanup reads the listing up to version 1 only, deletes nothing', async () => {
    const store = new CountingStore()
    const t = await DeltaTable.create(store, { schema: (await newTable()).t.schema, properties: { 'delta.checkpointInterval': '2' } })
    for (let v = 1; v <= 20; v++) await t.append(rowsOf(v * 10, 1, 'x'))
    const before = await logKeys(store)
    expect(before.length).toBeGreaterThan(40) // 21 commits, 21 .crc, 10 checkpoints
    const latest = await loadSnapshot(store)
    store.entries = 0
    const r = await cleanupExpiredLogsAt(latest, { now: () => Date.now() + 29 * DAY })
    expect(r).toEqual({ filesDeleted: [] })
    // version 0's commit and the first entry of version 1 (its .crc is not a log path)
    expect(store.entries).toBeLessThanOrEqual(4)
    expect(await logKeys(store)).toEqual(before)
    // once the table is older than its retention, the full pass cleans as before
    const later = await cleanupExpiredLogsAt(latest, { now: () => Date.now() + 40 * DAY })
    expect(later.checkpointVersion).toBe(20)
    expect((await logKeys(store)).filter((k) => /^\d{20}\./.test(k))).toEqual([
      '00000000000000000020.checkpoint.parquet', '00000000000000000020.crc', '00000000000000000020.json',
    ])
  })

  it('an oldest version without its commit file, or with in-commit timestamps older than its mtime, gets the full pass', async () => {
    // commits 0..3 gone, checkpoint 2 the oldest version (old); the commits after it rewritten today
    const { store } = await dailyTable()
    for (const v of [0, 1, 2, 3]) await store.delete(`_delta_log/${String(v).padStart(20, '0')}.json`)
    for (const v of [4, 5, 6, 7, 8]) store.setMtime(`_delta_log/${String(v).padStart(20, '0')}.json`, Date.now())
    // checkpoint 2 is the newest one older than the cutoff: the checksums below it go
    const r = await cleanupExpiredLogs(store)
    expect(r.checkpointVersion).toBe(2)
    expect(r.filesDeleted).toEqual(['_delta_log/00000000000000000000.crc', '_delta_log/00000000000000000001.crc'])

    // in-commit timestamps decide where enabled: commits stamped now, files touched a year later
    const ict = new MemoryStore()
    const t = await DeltaTable.create(ict, { schema: (await newTable()).t.schema, properties: { 'delta.checkpointInterval': '2', 'delta.enableInCommitTimestamps': 'true' } })
    expect(t.properties['delta.inCommitTimestampEnablementVersion'] ?? '0').toBe('0')
    for (let v = 1; v <= 4; v++) await t.append(rowsOf(v * 10, 1, 'x'))
    for (const k of await logKeys(ict)) ict.setMtime(`_delta_log/${k}`, Date.now() + 365 * DAY)
    const cleaned = await cleanupExpiredLogs(ict, { now: () => Date.now() + 40 * DAY })
    expect(cleaned.checkpointVersion).toBe(4)
    expect(cleaned.filesDeleted.some((k) => k.endsWith('00000000000000000000.json'))).toBe(true)
  })
})
