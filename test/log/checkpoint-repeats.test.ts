// The checkpoint reader shares what repeats from row to row: a short string equal to the one before
// it in a page is that same string, and a file's partition values equal to the previous file's are
// that same (frozen) object. Against a model, the generated actions themselves: whatever repeats,
// in runs or not, at page boundaries or not, every add reads back with exactly its own values.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/index.js'
import type { AddFile, DomainMetadata, Metadata, RemoveFile } from '../../src/log/actions.js'
import { writeCheckpoint } from '../../src/log/checkpoint-write.js'
import { readCheckpoint } from '../../src/log/checkpoint-read.js'
import { listLog } from '../../src/log/log-segment.js'
import { canon } from './fixtures.js'

const NOW = 1_800_000_000_000
const metadata: Metadata = { id: 'id', format: { provider: 'parquet', options: {} }, schemaString: '{"type":"struct","fields":[]}', partitionColumns: ['day', 'k'], configuration: {}, createdTime: 1 }

// Few values, of equal lengths with different bytes ('ab'/'ba', 'é'/'ab' in UTF-8), empty, long, non-ASCII.
const word = fc.constantFrom('', 'a', 'ab', 'ba', 'é', 'day', 'k', '2024-01-01', '2024-01-02', 'x'.repeat(31), 'x'.repeat(32), 'y'.repeat(33), 'z'.repeat(40))
// Mostly the same keys with values that differ in one byte or by being null, sometimes any keys.
const pv = fc.oneof(
  fc.record({ day: fc.option(fc.constantFrom('ab', 'ba', ''), { nil: null }), k: fc.constantFrom('a', 'é') }),
  fc.dictionary(word, fc.option(word, { nil: null }), { maxKeys: 3 }),
)
/** Runs: each drawn add repeated 1-4 times with its partition values (and sometimes path or stats). */
const addsArb: fc.Arbitrary<AddFile[]> = fc.array(fc.record({
  pv, path: word, stats: fc.option(word, { nil: undefined }), tag: fc.option(word, { nil: undefined }), times: fc.integer({ min: 1, max: 4 }),
}), { maxLength: 60 }).map((runs) => runs.flatMap((r, i) => Array.from({ length: r.times }, (_, j): AddFile => ({
  path: j % 2 ? r.path : `${r.path}/${i}-${j}`, partitionValues: { ...r.pv }, size: i * 10 + j, modificationTime: NOW + i, dataChange: j % 2 === 0,
  ...(r.stats === undefined ? {} : { stats: r.stats }), ...(r.tag === undefined ? {} : { tags: { [r.tag]: r.tag } }),
}))))

const KEYS = ['path', 'partitionValues', 'size', 'modificationTime', 'dataChange', 'stats', 'tags']
const pick = (o: object) => canon(Object.fromEntries(KEYS.map((k) => [k, (o as Record<string, unknown>)[k]])))

async function roundTrip(adds: AddFile[], removes: RemoveFile[] = []): Promise<AddFile[]> {
  const store = new MemoryStore()
  await writeCheckpoint({
    store, version: 3, protocol: { minReaderVersion: 1, minWriterVersion: 2 }, metadata, txns: new Map(),
    domainMetadata: new Map<string, DomainMetadata>(), activeFiles: () => adds, tombstones: () => removes,
  }, NOW)
  const cp = await readCheckpoint(store, (await listLog(store)).checkpoints[0], 't')
  return cp.adds
}

function expectShared(got: AddFile[]): void {
  for (let i = 0; i < got.length; i++) {
    expect(Object.isFrozen(got[i].partitionValues)).toBe(true)
    const same = i > 0 && JSON.stringify(Object.entries(got[i].partitionValues)) === JSON.stringify(Object.entries(got[i - 1].partitionValues))
    // Equal entries (in order) share one object; different entries never do.
    expect(got[i].partitionValues === got[i - 1]?.partitionValues).toBe(same)
  }
}

describe('checkpoint reader: repeated values', () => {
  it('reads back every add exactly, sharing equal partition values between neighbours', async () => {
    await fc.assert(fc.asyncProperty(addsArb, async (adds) => {
      const got = await roundTrip(adds)
      expect(got.map(pick)).toEqual(adds.map(pick))
      expectShared(got)
    }), { numRuns: 60 })
  })

  it('across pages: runs of partitions and repeated short paths over several 1 MB pages', async () => {
    const adds: AddFile[] = Array.from({ length: 30_000 }, (_, i) => ({
      path: i % 3 === 0 ? 'same' : `d=${Math.floor(i / 700)}/f-${i}`, partitionValues: i % 5000 < 10 ? {} as Record<string, string | null> : { d: String(Math.floor(i / 700)), e: i % 1400 < 700 ? null : 'é' },
      size: i, modificationTime: NOW + i, dataChange: true, stats: `{"numRecords":${i % 4},"pad":"${'x'.repeat(i % 2 ? 30 : 300)}"}`,
    }))
    const got = await roundTrip(adds)
    expect(got.map(pick)).toEqual(adds.map(pick))
    expectShared(got)
    // As many objects as runs of equal values, not one per file.
    expect(new Set(got.map((a) => a.partitionValues)).size).toBeLessThan(200)
  })

  it('tombstones keep their partition values too', async () => {
    const removes: RemoveFile[] = Array.from({ length: 50 }, (_, i) => ({ path: `r${i}`, partitionValues: { d: String(i >> 3) }, dataChange: true, deletionTimestamp: NOW - 1000 }))
    const store = new MemoryStore()
    await writeCheckpoint({
      store, version: 3, protocol: { minReaderVersion: 1, minWriterVersion: 2 }, metadata, txns: new Map(),
      domainMetadata: new Map<string, DomainMetadata>(), activeFiles: () => [], tombstones: () => removes,
    }, NOW)
    const cp = await readCheckpoint(store, (await listLog(store)).checkpoints[0], 't')
    expect(cp.removes.map((r) => [r.path, canon(r.partitionValues)])).toEqual(removes.map((r) => [r.path, canon(r.partitionValues)]))
  })
})
