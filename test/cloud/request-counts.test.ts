// Requests, not milliseconds, are what cost on a real object store: count the store calls that
// open-latest, a small append and a small CDC merge make on a table with a checkpoint, on local disk
// and on S3 (RGW), and the HTTP requests S3Store sends. Prints the figures docs/storage.md quotes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { totalRequests } from '../../src/storage/http-common.js'
import type { ListOptions, ObjectMeta, ObjectStore } from '../../src/storage/index.js'
import { LocalStore } from '../../src/storage/local-store.js'
import type { S3Store } from '../../src/storage/s3-store.js'
import type { StructField } from '../../src/schema/types.js'
import { describeWithServer, s3Server, s3StoreFor, uniquePrefix } from './servers.js'

/** Counts ObjectStore calls by method (a listing is one call however many pages it has). */
class CountingStore implements ObjectStore {
  counts = { get: 0, getRange: 0, head: 0, list: 0, put: 0, putIfAbsent: 0, delete: 0 }
  constructor(readonly inner: ObjectStore) {}
  get url() { return this.inner.url }
  reset() { for (const k of Object.keys(this.counts) as (keyof typeof this.counts)[]) this.counts[k] = 0 }
  get(key: string) { this.counts.get++; return this.inner.get(key) }
  getRange(key: string, s: number, e: number) { this.counts.getRange++; return this.inner.getRange(key, s, e) }
  head(key: string) { this.counts.head++; return this.inner.head(key) }
  list(prefix: string, o?: ListOptions): AsyncIterable<ObjectMeta> { this.counts.list++; return this.inner.list(prefix, o) }
  put(key: string, d: Uint8Array) { this.counts.put++; return this.inner.put(key, d) }
  putIfAbsent(key: string, d: Uint8Array) { this.counts.putIfAbsent++; return this.inner.putIfAbsent(key, d) }
  delete(key: string) { this.counts.delete++; return this.inner.delete(key) }
}

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

type Counts = CountingStore['counts']
interface Figures { open: Counts; append: Counts; merge: Counts; http?: Record<string, number> }

/** A table with 12 commits (checkpoint at 10), then the three measured operations. */
async function measure(store: CountingStore, s3?: S3Store): Promise<Figures> {
  const t = await DeltaTable.create(store, {
    schema: { type: 'struct', fields: [f('id', 'long', false), f('status', 'string'), f('amount', 'double')] },
    primaryKey: 'id', properties: { 'delta.checkpointInterval': '10' },
  })
  for (let i = 0; i < 11; i++) await t.append([{ id: BigInt(i), status: 'open', amount: i }])
  const http: Record<string, number> = {}
  const snap = () => (s3 ? { ...s3.requests } : undefined)
  const delta = (before: ReturnType<typeof snap>, label: string) => {
    if (s3 && before) http[label] = totalRequests(s3.requests) - totalRequests(before)
  }
  store.reset()
  let b = snap()
  const opened = await DeltaTable.open(store)
  delta(b, 'open')
  const open = { ...store.counts }
  expect(opened.version).toBe(11)
  store.reset()
  b = snap()
  await opened.append([{ id: 100n, status: 'new', amount: 1 }])
  delta(b, 'append')
  const append = { ...store.counts }
  store.reset()
  b = snap()
  await opened.merge([{ op: 'U', id: 3n, status: 'paid', amount: 30 }, { op: 'D', id: 4n }])
  delta(b, 'merge')
  const merge = { ...store.counts }
  expect((await opened.toRows()).length).toBe(11)
  return { open, append, merge, http: s3 ? http : undefined }
}

const fmt = (c: Counts) => Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')

describeWithServer('request counts: local disk vs S3 (RGW)', s3Server(), (server) => {
  it('open-latest, a one-row append and a two-row CDC merge make the same store calls on both; S3 HTTP requests match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-counts-'))
    dirs.push(dir)
    const local = await measure(new CountingStore(new LocalStore(dir)))
    const s3 = s3StoreFor(server, uniquePrefix('counts'))
    await s3.createBucket()
    const remote = await measure(new CountingStore(s3), s3)
    for (const op of ['open', 'append', 'merge'] as const) {
      console.info(`${op}: local {${fmt(local[op])}} | s3 {${fmt(remote[op])}} = ${remote.http![op]} HTTP requests`)
      expect(remote[op], op).toEqual(local[op])
      // One HTTP request per store call: listings of a log this size fit one page.
      expect(remote.http![op], op).toBe(Object.values(remote[op]).reduce((a, n) => a + n, 0))
    }
    expect(local.open.list).toBe(1) // _last_checkpoint points the listing at the checkpoint
    expect(local.append.putIfAbsent).toBe(1)
  }, 120_000)
})
