// Concurrent blind appends, model-based: N writers (DeltaTable handles of their own, as N processes
// would hold) append through the public API to one store while fast-check's scheduler picks the
// order in which every store call completes. Whatever the interleaving: every append lands exactly
// once (by value), versions are contiguous with one append per commit, each writer's handle after
// its write reads what a fresh open of that version reads, and no wait was ever needed.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import type { ListOptions, ObjectMeta, ObjectStore, PutOptions } from '../../src/storage/object-store.js'

const SCHEMA = { type: 'struct' as const, fields: [{ name: 'id', type: 'long' as const, nullable: false, metadata: {} }] }

/** Every call waits for the scheduler's go before it reaches the store. */
class ScheduledStore implements ObjectStore {
  constructor(private readonly inner: ObjectStore, private readonly s: fc.Scheduler) {}
  get url(): string { return this.inner.url }
  private go<T>(label: string, f: () => Promise<T>): Promise<T> { return this.s.schedule(Promise.resolve(), label).then(f) }
  get(key: string) { return this.go(`get ${key}`, () => this.inner.get(key)) }
  getRange(key: string, start: number, end: number) { return this.go(`getRange ${key}`, () => this.inner.getRange(key, start, end)) }
  putIfAbsent(key: string, data: Uint8Array) { return this.go(`putIfAbsent ${key}`, () => this.inner.putIfAbsent(key, data)) }
  put(key: string, data: Uint8Array, options?: PutOptions) { return this.go(`put ${key}`, () => this.inner.put(key, data, options)) }
  head(key: string) { return this.go(`head ${key}`, () => this.inner.head(key)) }
  delete(key: string) { return this.go(`delete ${key}`, () => this.inner.delete(key)) }
  async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    await this.s.schedule(Promise.resolve(), `list ${prefix}`)
    yield* this.inner.list(prefix, options)
  }
}

const ids = async (t: DeltaTable) => (await t.toRows()).map((r) => Number(r.id)).sort((a, b) => a - b)

describe('concurrent blind appends (model-based, scheduled interleavings)', () => {
  it('every append lands exactly once, versions are contiguous, handles agree with a fresh open', async () => {
    await fc.assert(fc.asyncProperty(
      fc.scheduler(), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 }), fc.integer({ min: 2, max: 4 }),
      async (s, appendsPerWriter, interval) => {
        const mem = new MemoryStore()
        await DeltaTable.create(mem, { schema: SCHEMA, properties: { 'delta.checkpointInterval': String(interval) } })
        // the model: which ids each writer appends (one row per append, ids unique)
        const model = appendsPerWriter.map((n, w) => Array.from({ length: n }, (_, i) => w * 100 + i))
        const store = new ScheduledStore(mem, s)
        const handles = await s.waitFor(Promise.all(model.map(() => DeltaTable.open(store))))
        const landed: { id: number; version: number }[] = []
        const writers = model.map(async (rows, w) => {
          for (const id of rows) {
            const r = await handles[w]!.append([{ id: BigInt(id) }], { onWarning: (x) => { throw new Error(x.message) } })
            expect(handles[w]!.version).toBe(r.version)
            landed.push({ id, version: r.version })
          }
        })
        await s.waitFor(Promise.all(writers))

        const all = model.flat().sort((a, b) => a - b)
        const t = await DeltaTable.open(mem)
        expect(t.version).toBe(all.length)
        expect(await ids(t)).toEqual(all)
        // one commit per append, each acknowledged at its own version 1..N
        expect(landed.map((l) => l.version).sort((a, b) => a - b)).toEqual(all.map((_, i) => i + 1))
        for (const { id, version } of landed) {
          expect(await ids(await DeltaTable.open(mem, { version }))).toContain(id)
          expect(await ids(await DeltaTable.open(mem, { version: version - 1 }))).not.toContain(id)
        }
        // each handle, moved by its own writes past the others', reads what a fresh open reads
        for (const h of handles) {
          const fresh = await DeltaTable.open(mem, { version: h.version })
          expect(await s.waitFor(ids(h))).toEqual(await ids(fresh))
          expect((await h.files()).map((f) => f.path).sort()).toEqual((await fresh.files()).map((f) => f.path).sort())
          expect(h.timestamp).toBe(fresh.timestamp)
        }
      }), { numRuns: 25 })
  }, 120_000)
})
