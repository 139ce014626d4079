// Data files are put with `durable: 'deferred'`: in place at once, fsynced in the background, and the
// commit that names them is linked only once every such fsync has finished. The fsync itself is the
// one thing a test cannot observe on disk, so these tests wrap FileHandle.sync and fs.promises.link
// (the calls LocalStore makes) to see their order, delay a flush, or make one fail.
import { mkdtempSync, promises as fsp, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { DeltaError, DeltaTable, InvalidArgumentError, StorageError } from '../../src/index.js'
import { LocalStore } from '../../src/storage/local-store.js'

const root = mkdtempSync(join(tmpdir(), 'lagomago-deferred-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const linux = process.platform === 'linux' // /proc/self/fd names the file a handle syncs

type SyncFn = (this: { fd: number }) => Promise<void>
let restore: (() => void)[] = []
afterEach(() => { for (const r of restore.reverse()) r(); restore = [] })

/** Wrap every FileHandle's sync: `hook(name of the file, original)` runs instead. */
async function hookSync(hook: (file: string, sync: () => Promise<void>) => Promise<void>): Promise<void> {
  const probe = await fsp.open(join(root, 'probe'), 'w')
  const proto = Object.getPrototypeOf(probe) as { sync: SyncFn }
  await probe.close()
  const original = proto.sync
  proto.sync = function (this: { fd: number }) {
    const file = basename(readlinkSync(`/proc/self/fd/${this.fd}`))
    return hook(file, () => original.call(this))
  }
  restore.push(() => { proto.sync = original })
}

/** Record each link(2) LocalStore makes (the publication of a put-if-absent). */
function hookLink(events: string[]): void {
  const original = fsp.link
  fsp.link = (async (from: string, to: string) => { events.push(`link ${basename(String(to))}`); return original(from, to) }) as typeof fsp.link
  restore.push(() => { fsp.link = original })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.runIf(linux)("LocalStore put with durable: 'deferred'", () => {
  it('is readable at once, and the next put-if-absent links only after its flush', async () => {
    const events: string[] = []
    await hookSync(async (file, sync) => {
      if (file.startsWith('data-')) { await sleep(80); await sync(); events.push(`synced ${file}`) } else await sync()
    })
    hookLink(events)
    const store = new LocalStore(join(root, 'order'))
    await store.put('data-1.parquet', bytes('one'), { durable: 'deferred' })
    await store.put('data-2.parquet', bytes('two'), { durable: 'deferred' })
    expect(text(await store.get('data-1.parquet'))).toBe('one') // in place before its flush
    events.push('puts resolved')
    expect(await store.putIfAbsent('_delta_log/00000000000000000000.json', bytes('{}'))).toBe(true)
    expect(events[0]).toBe('puts resolved')
    expect(events.slice(1, 3).sort()).toEqual(['synced data-1.parquet', 'synced data-2.parquet'])
    expect(events[3]).toBe('link 00000000000000000000.json')
  })

  it('holds a bounded number of flushes (file descriptors) open however many files a write puts', async () => {
    let inFlight = 0
    let most = 0
    let synced = 0
    await hookSync(async (file, sync) => {
      if (!file.startsWith('many-')) return sync()
      most = Math.max(most, ++inFlight)
      try { await sleep(60); await sync(); synced++ } finally { inFlight-- }
    })
    const store = new LocalStore(join(root, 'many'))
    for (let i = 0; i < 300; i++) await store.put(`many-${i}.parquet`, bytes(`file ${i}`), { durable: 'deferred' })
    expect(await store.putIfAbsent('_delta_log/00000000000000000000.json', bytes('{}'))).toBe(true)
    expect(synced).toBe(300) // every one flushed before the commit landed
    expect(most).toBeGreaterThan(1) // they did overlap
    expect(most).toBeLessThanOrEqual(64)
  })

  it('refuses a durability it does not know, writing nothing', async () => {
    const store = new LocalStore(join(root, 'unknown-durable'))
    await expect(store.put('data-1.parquet', bytes('rows'), { durable: 'later' as never })).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(await store.head('data-1.parquet')).toBeUndefined()
  })

  it('a failed flush fails the commit after it and every later one through that store', async () => {
    await hookSync(async (file, sync) => {
      if (file.startsWith('bad-')) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
      return sync()
    })
    const store = new LocalStore(join(root, 'fail'))
    await store.put('bad-1.parquet', bytes('lost?'), { durable: 'deferred' })
    const err = await store.putIfAbsent('_delta_log/00000000000000000000.json', bytes('{}')).catch((e) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect(err.message).toContain('bad-1.parquet')
    expect(err.message).toContain('EIO')
    expect(await store.head('_delta_log/00000000000000000000.json')).toBeUndefined()
    await expect(store.putIfAbsent('_delta_log/00000000000000000000.json', bytes('{}'))).rejects.toBeInstanceOf(StorageError)
    // another store object on the same folder (a table opened again) commits normally
    expect(await new LocalStore(join(root, 'fail')).putIfAbsent('_delta_log/00000000000000000000.json', bytes('{}'))).toBe(true)
  })
})

describe.runIf(linux)('a put-if-absent that fails while earlier flushes still run', () => {
  it('rejects with a typed error, and nothing surfaces as an unhandled rejection', async () => {
    await hookSync(async (file, sync) => { if (file.startsWith('slow-')) await sleep(100); return sync() })
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown) => unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    restore.push(() => process.off('unhandledRejection', onUnhandled))
    const store = new LocalStore(join(root, 'quick-fail'))
    await store.put('_delta_log', bytes('a file where the log folder should be'))
    await store.put('slow-1.parquet', bytes('rows'), { durable: 'deferred' })
    // the commit's temp file cannot even be opened (ENOTDIR) while the data file still flushes
    const err = await store.putIfAbsent('_delta_log/00000000000000000000.json', bytes('{}')).catch((e) => e)
    expect(err).toBeInstanceOf(DeltaError)
    await sleep(20)
    expect(unhandled).toEqual([])
  })
})

describe.runIf(linux)('a table whose data file cannot be flushed', () => {
  it('refuses the append, leaves the table as it was, and takes writes once opened again', async () => {
    const dir = join(root, 'table')
    const schema = { type: 'struct' as const, fields: [{ name: 'id', type: 'long' as const, nullable: false, metadata: {} }] }
    const table = await DeltaTable.create(dir, { schema })
    await table.append([{ id: 1n }])
    let failing = true
    await hookSync(async (file, sync) => {
      if (failing && file.startsWith('part-')) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })
      return sync()
    })
    const err = await table.append([{ id: 2n }]).catch((e) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect(err.message).toMatch(/part-.*\.parquet could not be flushed to disk/)
    const reader = await DeltaTable.open(dir)
    expect(reader.version).toBe(1)
    expect((await reader.toRows()).map((r) => r.id)).toEqual([1n])
    failing = false
    // the same table object stays refused: its store saw a failed flush
    await expect(table.append([{ id: 3n }])).rejects.toBeInstanceOf(StorageError)
    const again = await DeltaTable.open(dir)
    await again.append([{ id: 4n }])
    expect((await (await DeltaTable.open(dir)).toRows()).map((r) => r.id).sort()).toEqual([1n, 4n])
  })
})
