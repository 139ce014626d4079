// The checkpoint encoder against a model: for any table state, the checkpoint written and read back
// (by lagomago's reader and by hyparquet's generic reader, two independent decoders) holds exactly
// the actions generated, with the fields Spark's checkpoint schema keeps (PROTOCOL.md "Checkpoints");
// DuckDB reads the same values.
import fc from 'fast-check'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/index.js'
import type { AddFile, DeletionVectorDescriptor, DomainMetadata, Metadata, Protocol, RemoveFile } from '../../src/log/actions.js'
import { writeCheckpoint } from '../../src/log/checkpoint-write.js'
import { readCheckpoint } from '../../src/log/checkpoint-read.js'
import { listLog } from '../../src/log/log-segment.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { CorruptLogError } from '../../src/errors.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { canon } from './fixtures.js'

const NOW = 1_800_000_000_000
const WEEK = 7 * 86_400_000

const text = fc.string({ unit: 'binary', maxLength: 12 })
const big = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined })
const strMap = fc.dictionary(text, text, { maxKeys: 3 })
const dv: fc.Arbitrary<DeletionVectorDescriptor> = fc.record({
  storageType: fc.constantFrom('u' as const, 'i' as const, 'p' as const), pathOrInlineDv: text,
  offset: opt(fc.integer({ min: 0, max: 2 ** 31 - 1 })), sizeInBytes: fc.integer({ min: 0, max: 2 ** 31 - 1 }), cardinality: big, maxRowIndex: opt(big),
}, { requiredKeys: ['storageType', 'pathOrInlineDv', 'sizeInBytes', 'cardinality'] })

const addArb: fc.Arbitrary<AddFile> = fc.record({
  path: text, partitionValues: fc.dictionary(text, fc.option(text, { nil: null }), { maxKeys: 3 }), size: big, modificationTime: big, dataChange: fc.boolean(),
  stats: opt(text), tags: opt(strMap), deletionVector: opt(dv), baseRowId: opt(big), defaultRowCommitVersion: opt(big), clusteringProvider: opt(text),
}, { requiredKeys: ['path', 'partitionValues', 'size', 'modificationTime', 'dataChange'] })

const removeArb: fc.Arbitrary<RemoveFile> = fc.record({
  path: text, dataChange: fc.boolean(), deletionTimestamp: fc.integer({ min: NOW - 2 * WEEK, max: NOW }), extendedFileMetadata: opt(fc.boolean()),
  partitionValues: opt(fc.dictionary(text, fc.option(text, { nil: null }), { maxKeys: 2 })), size: opt(big), deletionVector: opt(dv),
  baseRowId: opt(big), defaultRowCommitVersion: opt(big),
}, { requiredKeys: ['path', 'dataChange', 'deletionTimestamp'] })

const protocolArb: fc.Arbitrary<Protocol> = fc.oneof(
  fc.constant({ minReaderVersion: 1, minWriterVersion: 2 }),
  fc.subarray(['deletionVectors', 'v2Checkpoint', 'columnMapping']).map((f) => ({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: f, writerFeatures: [...f, 'domainMetadata'] })),
)

const stateArb = fc.record({
  version: fc.integer({ min: 0, max: 10_000 }),
  protocol: protocolArb,
  configuration: strMap,
  partitionColumns: fc.array(text, { maxLength: 2 }),
  txns: fc.uniqueArray(fc.tuple(text, big), { selector: (t) => t[0], maxLength: 3 }),
  domains: fc.uniqueArray(fc.record({ domain: text, configuration: text, removed: fc.boolean() }), { selector: (d) => d.domain, maxLength: 3 }),
  adds: fc.array(addArb, { maxLength: 40 }),
  removes: fc.array(removeArb, { maxLength: 10 }),
})

/** The model: the fields of each action the checkpoint schema keeps. */
const pick = (o: object, keys: string[]) => canon(Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]])))
const ADD_KEYS = ['path', 'partitionValues', 'size', 'modificationTime', 'dataChange', 'stats', 'tags', 'deletionVector', 'baseRowId', 'defaultRowCommitVersion', 'clusteringProvider']
const REMOVE_KEYS = ['path', 'deletionTimestamp', 'dataChange', 'extendedFileMetadata', 'partitionValues', 'size', 'deletionVector', 'baseRowId', 'defaultRowCommitVersion']

describe('checkpoint encoder (model-based)', () => {
  it('a checkpoint read back holds exactly the generated actions', async () => {
    await fc.assert(fc.asyncProperty(stateArb, async (s) => {
      const store = new MemoryStore()
      const metadata: Metadata = {
        id: 'id', format: { provider: 'parquet', options: {} }, schemaString: '{"type":"struct","fields":[]}',
        partitionColumns: s.partitionColumns, configuration: s.configuration, createdTime: 1,
      }
      const domains = new Map<string, DomainMetadata>(s.domains.map((d) => [d.domain, d]))
      await writeCheckpoint({
        store, version: s.version, protocol: s.protocol, metadata, txns: new Map(s.txns), domainMetadata: domains,
        activeFiles: () => s.adds, tombstones: () => s.removes,
      }, NOW)
      const wantAdds = s.adds.map((a) => pick(a, ADD_KEYS))
      // Tombstones older than the default retention (one week) are dropped; removed domains too.
      const wantRemoves = s.removes.filter((r) => (r.deletionTimestamp as number) > NOW - WEEK).map((r) => pick(r, REMOVE_KEYS))
      const wantDomains = s.domains.filter((d) => !d.removed).map((d) => canon({ ...d, removed: false }))

      const listing = await listLog(store)
      const cp = await readCheckpoint(store, listing.checkpoints[0], 't')
      expect(cp.adds.map((a) => pick(a, ADD_KEYS))).toEqual(wantAdds)
      expect(cp.removes.map((r) => pick(r, REMOVE_KEYS))).toEqual(wantRemoves)
      expect(cp.txns.map((t) => [t.appId, t.version])).toEqual(s.txns)
      expect(cp.domainMetadata.map(canon)).toEqual(wantDomains)
      expect(canon(cp.protocol)).toEqual(canon(s.protocol))
      expect(canon(cp.metadata)).toEqual(canon(metadata))

      // hyparquet's generic (Dremel) reader: one action per row, in the order written.
      const bytes = await store.get(`_delta_log/${String(s.version).padStart(20, '0')}.checkpoint.parquet`)
      const file = bytes.slice().buffer
      const rows = await parquetReadObjects({ file })
      const col = (name: string) => rows.filter((r) => r[name] != null).map((r) => r[name] as object)
      expect(rows.every((r) => Object.values(r).filter((v) => v != null).length === 1)).toBe(true)
      expect(col('add').map((a) => pick(a, ADD_KEYS))).toEqual(wantAdds)
      expect(col('remove').map((r) => pick(r, REMOVE_KEYS))).toEqual(wantRemoves)
      expect(Number(parquetMetadata(file).num_rows)).toBe(rows.length)
    }), { numRuns: 40 })
  })
})

describe('checkpoint encoder (pages and errors)', () => {
  const metadata: Metadata = { id: 'id', format: { provider: 'parquet', options: {} }, schemaString: '{"type":"struct","fields":[]}', partitionColumns: ['p'], configuration: {}, createdTime: 1 }
  const source = (store: MemoryStore, adds: AddFile[]) => ({
    store, version: 7, protocol: { minReaderVersion: 1, minWriterVersion: 2 }, metadata, txns: new Map<string, number>(),
    domainMetadata: new Map<string, DomainMetadata>(), activeFiles: () => adds, tombstones: () => [],
  })

  it('splits big column chunks into pages at record boundaries and reads them back', async () => {
    // ~6 MB of stats and a map of 1-3 entries per add: several 1 MB pages per chunk.
    const adds: AddFile[] = Array.from({ length: 20_000 }, (_, i) => ({
      path: `p=${i % 7}/f-${i}-é.parquet`, partitionValues: Object.fromEntries(Array.from({ length: 1 + (i % 3) }, (_, k) => [`k${k}`, k === 1 ? null : `v${i % 5}`])),
      size: i * 1000, modificationTime: 1_700_000_000_000 + i, dataChange: i % 2 === 0, stats: `{"numRecords":${i},"pad":"${'x'.repeat(300)}"}`,
      tags: i % 4 ? { t: String(i) } : undefined,
    }))
    const store = new MemoryStore()
    await writeCheckpoint(source(store, adds), NOW)
    const md = parquetMetadata((await store.get('_delta_log/00000000000000000007.checkpoint.parquet')).slice().buffer)
    const stats = md.row_groups[0].columns.find((c) => c.meta_data?.path_in_schema.join('.') === 'add.stats')
    expect(stats?.meta_data?.encoding_stats?.[0].count).toBeGreaterThan(3)
    const cp = await readCheckpoint(store, (await listLog(store)).checkpoints[0], 't')
    expect(cp.adds.map((a) => pick(a, ADD_KEYS))).toEqual(adds.map((a) => pick(a, ADD_KEYS)))
  })

  it('refuses a value the schema cannot hold with a typed error, writing nothing', async () => {
    const store = new MemoryStore()
    const bad = { path: 'a', partitionValues: {}, size: '12' as unknown as number, modificationTime: 1, dataChange: true }
    await expect(writeCheckpoint(source(store, [bad]), NOW)).rejects.toMatchObject({ code: 'CORRUPT_LOG', version: 7, message: expect.stringContaining('add.size') })
    expect(await store.head('_delta_log/00000000000000000007.checkpoint.parquet')).toBeUndefined()
    expect(await store.head('_delta_log/_last_checkpoint')).toBeUndefined()
  })
})

describe('DuckDB reads the checkpoint', () => {
  it('with the values written: paths, sizes, maps with null values, tags, deletion vectors, stats, tombstones', async () => {
    let duck: { runAndReadAll(sql: string): Promise<{ getRowObjectsJson(): Record<string, unknown>[] }> }
    try {
      const { DuckDBInstance } = await import('@duckdb/node-api')
      duck = (await (await DuckDBInstance.create(':memory:')).connect()) as unknown as typeof duck
    } catch {
      expect.soft(undefined, '@duckdb/node-api is not installed').toBeDefined()
      return
    }
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-cp-duck-'))
    try {
      const adds: AddFile[] = Array.from({ length: 300 }, (_, i) => ({
        path: `p=${i % 3}/part-${i}-ü.parquet`, partitionValues: (i % 10 === 0 ? {} : { p: i % 3 === 0 ? null : String(i % 3), q: `q${i}` }) as Record<string, string | null>,
        size: 2 ** 40 + i, modificationTime: 1_700_000_000_000 + i, dataChange: i % 2 === 0,
        stats: i % 7 ? `{"numRecords":${i}}` : undefined, tags: i % 5 ? undefined : { INSERTION_TIME: String(i), z: 'ä' },
        deletionVector: i % 6 ? undefined : { storageType: 'u', pathOrInlineDv: `dv${i}`, offset: i, sizeInBytes: 34, cardinality: i + 1, maxRowIndex: i % 12 ? undefined : 99 },
        baseRowId: i % 4 ? undefined : i * 10,
      }))
      const removes: RemoveFile[] = [{ path: 'gone.parquet', dataChange: true, deletionTimestamp: NOW - 1000, size: 5, partitionValues: { p: '1' }, extendedFileMetadata: true }]
      const store = new LocalStore(dir)
      const metadata: Metadata = { id: 'id', format: { provider: 'parquet', options: {} }, schemaString: '{"type":"struct","fields":[]}', partitionColumns: ['p', 'q'], configuration: { a: 'b' }, createdTime: 1 }
      await writeCheckpoint({
        store, version: 3, protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] }, metadata,
        txns: new Map([['app', 9]]), domainMetadata: new Map(), activeFiles: () => adds, tombstones: () => removes,
      }, NOW)
      const file = join(dir, '_delta_log', '00000000000000000003.checkpoint.parquet')
      const got = (await duck.runAndReadAll(`
        SELECT add.path AS path, CAST(add.size AS VARCHAR) AS size, add.modificationTime AS mt, add.dataChange AS dc, to_json(add.partitionValues) AS pv,
               add.stats AS stats, to_json(add.tags) AS tags, to_json(add.deletionVector) AS dv, add.baseRowId AS rid
        FROM read_parquet('${file}') WHERE add IS NOT NULL`)).getRowObjectsJson()
      const json = (o: Record<string, unknown> | undefined) => (o === undefined ? null : JSON.stringify(o))
      expect(got).toEqual(adds.map((a) => ({
        path: a.path, size: String(a.size), mt: String(a.modificationTime), dc: a.dataChange, pv: JSON.stringify(a.partitionValues),
        stats: a.stats ?? null, tags: json(a.tags ?? undefined), rid: a.baseRowId === undefined ? null : String(a.baseRowId),
        dv: a.deletionVector ? JSON.stringify({ ...a.deletionVector, offset: a.deletionVector.offset, maxRowIndex: a.deletionVector.maxRowIndex ?? null }) : null,
      })))
      const other = (await duck.runAndReadAll(`
        SELECT to_json(remove) AS remove, to_json(txn) AS txn, metaData.id AS id, to_json(metaData.configuration) AS conf, protocol.readerFeatures AS rf
        FROM read_parquet('${file}') WHERE add IS NULL`)).getRowObjectsJson()
      const pick1 = (k: string) => other.map((r) => r[k]).filter((v) => v !== null)
      expect(pick1('remove').map((r) => JSON.parse(r as string))).toEqual([{ path: 'gone.parquet', deletionTimestamp: NOW - 1000, dataChange: true, extendedFileMetadata: true, partitionValues: { p: '1' }, size: 5, deletionVector: null, baseRowId: null, defaultRowCommitVersion: null }])
      expect(pick1('txn').map((r) => JSON.parse(r as string))).toEqual([{ appId: 'app', version: 9, lastUpdated: null }])
      expect(pick1('id')).toEqual(['id'])
      expect(pick1('conf')).toEqual(['{"a":"b"}'])
      expect(pick1('rf')).toEqual([['deletionVectors']])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('a damaged checkpoint', () => {
  it('is a CorruptLogError naming the file and version when no commit can replace it', async () => {
    const metadata: Metadata = { id: 'id', format: { provider: 'parquet', options: {} }, schemaString: '{"type":"struct","fields":[]}', partitionColumns: [], configuration: {}, createdTime: 1 }
    const adds: AddFile[] = Array.from({ length: 2000 }, (_, i) => ({ path: `f-${i}.parquet`, partitionValues: {}, size: i, modificationTime: i, dataChange: true, stats: `{"numRecords":${i}}` }))
    const key = '_delta_log/00000000000000000010.checkpoint.parquet'
    let refused = 0
    // Damage at several places of the file: page headers, page bodies, the footer.
    for (const at of [0.1, 0.3, 0.5, 0.7, 0.9, 0.995]) {
      const store = new MemoryStore()
      await writeCheckpoint({ store, version: 10, protocol: { minReaderVersion: 1, minWriterVersion: 2 }, metadata, txns: new Map(), domainMetadata: new Map(), activeFiles: () => adds, tombstones: () => [] }, NOW)
      const bytes = (await store.get(key)).slice()
      const i = Math.floor(bytes.length * at)
      for (let k = i; k < Math.min(bytes.length - 8, i + 16); k++) bytes[k] ^= 0xa5
      await store.put(key, bytes)
      // The checkpoint is the table's only record of version 10 (older commits cleaned up).
      const err = await loadSnapshot(store).then(() => undefined, (e: unknown) => e)
      if (err === undefined) {
        // A flip inside a value can leave a readable file; then it must still read as many files.
        expect((await loadSnapshot(store)).activeFiles().length).toBe(2000)
        continue
      }
      expect(err).toBeInstanceOf(CorruptLogError)
      expect(err).toMatchObject({ version: 10, message: expect.stringContaining('00000000000000000010.checkpoint.parquet') })
      refused++
    }
    expect(refused).toBeGreaterThanOrEqual(3)
  })
})
