import { describe, expect, it } from 'vitest'
import * as arrow from 'apache-arrow'
import {
  ConstraintViolationError, DeltaTable, MemoryStore, SchemaMismatchError, TableExistsError, listAll,
} from '../../src/index.js'
import { parseActionLines, type Action } from '../../src/log/actions.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { toRows } from '../../src/scan/scan.js'
import type { StructField, StructType, DataType } from '../../src/schema/types.js'
import { append, createTable, overwrite, PRIMARY_KEY_PROPERTY } from '../../src/write/operations.js'

const f = (name: string, type: DataType, nullable = true, metadata: Record<string, unknown> = {}): StructField => ({ name, type, nullable, metadata })
const struct = (...fields: StructField[]): StructType => ({ type: 'struct', fields })

async function commit(store: MemoryStore, v: number): Promise<Action[]> {
  return parseActionLines(new TextDecoder().decode(await store.get(`_delta_log/${String(v).padStart(20, '0')}.json`)))
}
async function rows(store: MemoryStore, opts: { sortBy?: string } = {}) {
  const r = await toRows(await loadSnapshot(store))
  if (opts.sortBy) r.sort((a, b) => String(a[opts.sortBy!]).localeCompare(String(b[opts.sortBy!]), 'en', { numeric: true }))
  return r
}

/** What PROTOCOL.md asks of every commit we write. */
async function checkProtocol(store: MemoryStore) {
  const snap = await loadSnapshot(store)
  for (let v = 0; v <= snap.version; v++) {
    const actions = await commit(store, v)
    expect(Object.keys(actions[0])).toEqual(['commitInfo'])
    expect(actions.filter((a) => 'metaData' in a).length).toBeLessThanOrEqual(1)
    expect(actions.filter((a) => 'protocol' in a).length).toBeLessThanOrEqual(1)
    const info = (actions[0] as { commitInfo: Record<string, unknown> }).commitInfo
    expect(info.engineInfo).toMatch(/^lagomago\//)
    expect(typeof info.timestamp).toBe('number')
    for (const a of actions) {
      if (!('add' in a)) continue
      expect(Object.keys(a.add.partitionValues).sort()).toEqual([...snap.partitionColumns].sort())
      const stats = JSON.parse(a.add.stats!)
      expect(typeof stats.numRecords).toBe('number')
      expect(await store.head(decodeURIComponent(a.add.path))).toBeDefined()
      expect(a.add.path).toMatch(/part-\d{5}-[0-9a-f-]{36}-c000\.snappy\.parquet$/)
    }
  }
}

const ALL = struct(
  f('id', 'long', false), f('i', 'integer'), f('s', 'short'), f('b', 'byte'), f('fl', 'float'), f('d', 'double'),
  f('str', 'string'), f('bool', 'boolean'), f('bin', 'binary'), f('day', 'date'), f('ts', 'timestamp'), f('ntz', 'timestamp_ntz'),
  f('dec', 'decimal(10,2)'), f('big', 'decimal(30,5)'),
  f('st', struct(f('x', 'integer'), f('y', 'string'))),
  f('arr', { type: 'array', elementType: 'long', containsNull: true }),
  f('m', { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true }),
)

describe('createTable', () => {
  it('picks the lowest protocol: deletion vectors by default, legacy 1/2 without', async () => {
    const a = new MemoryStore()
    await createTable(a, { schema: struct(f('x', 'long')) })
    expect((await loadSnapshot(a)).protocol).toEqual({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['appendOnly', 'deletionVectors', 'invariants'] })
    expect((await loadSnapshot(a)).properties['delta.enableDeletionVectors']).toBe('true')
    const b = new MemoryStore()
    await createTable(b, { schema: struct(f('x', 'long')), properties: { 'delta.enableDeletionVectors': 'false' } })
    expect((await loadSnapshot(b)).protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 })
    const c = new MemoryStore()
    await createTable(c, { schema: struct(f('x', 'timestamp_ntz')), properties: { 'delta.enableDeletionVectors': 'false', 'delta.columnMapping.mode': 'name' } })
    const pc = (await loadSnapshot(c)).protocol
    expect(pc.readerFeatures).toEqual(['columnMapping', 'timestampNtz'])
    const sc = (await loadSnapshot(c)).schema.fields[0].metadata
    expect(sc['delta.columnMapping.id']).toBe(1)
    expect(String(sc['delta.columnMapping.physicalName'])).toMatch(/^col-/)
    const d = new MemoryStore()
    await createTable(d, { schema: struct(f('x', 'long')), properties: { 'delta.enableDeletionVectors': 'false', 'delta.constraints.pos': 'x > 0' } })
    expect((await loadSnapshot(d)).protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 3 })
  })

  it('stores the primary key, takes an Arrow schema, honours ifExists', async () => {
    const store = new MemoryStore()
    const schema = new arrow.Schema([arrow.Field.new('id', new arrow.Int64(), false), arrow.Field.new('name', new arrow.Utf8(), true)])
    const r = await createTable(store, { schema, primaryKey: 'id', partitionBy: [] })
    expect(r.version).toBe(0)
    const snap = await loadSnapshot(store)
    expect(snap.properties[PRIMARY_KEY_PROPERTY]).toBe('["id"]')
    expect(snap.schema.fields.map((x) => [x.name, x.type, x.nullable])).toEqual([['id', 'long', false], ['name', 'string', true]])
    await expect(createTable(store, { schema })).rejects.toThrow(TableExistsError)
    expect((await createTable(store, { schema, ifExists: 'ignore' })).version).toBe(0)
    await append(snap, [{ id: 1n, name: 'a' }])
    const re = await createTable(store, { schema: struct(f('z', 'string')), ifExists: 'overwrite' })
    expect(re.version).toBe(2)
    const after = await loadSnapshot(store)
    expect(after.activeFiles()).toEqual([])
    expect(after.schema.fields.map((x) => x.name)).toEqual(['z'])
    await expect(createTable(new MemoryStore(), { schema: struct(f('a', 'long')), primaryKey: ['nope'] })).rejects.toThrow(SchemaMismatchError)
    await expect(createTable(new MemoryStore(), { schema: struct(f('a', 'long'), f('A', 'long')) })).rejects.toThrow(/duplicate/)
  })
})

describe('append', () => {
  it('round-trips every type through the reader', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: ALL })
    const input = [
      {
        id: 1n, i: -5, s: 300, b: -7, fl: 1.5, d: Math.PI, str: 'héllo', bool: true, bin: new Uint8Array([0, 255]), day: new Date('2024-02-29T00:00:00Z'),
        ts: new Date('2026-01-02T03:04:05.678Z'), ntz: '2020-01-01 10:00:00', dec: '12.30', big: '-1234567890123456789012345.12345',
        st: { x: 1, y: 'a' }, arr: [1n, null, 3n], m: new Map([['k', 1], ['n', null]]),
      },
      { id: 2n, i: null, s: null, b: null, fl: null, d: null, str: null, bool: null, bin: null, day: null, ts: null, ntz: null, dec: null, big: null, st: null, arr: null, m: null },
      { id: 3n, st: { x: null, y: 'z' }, arr: [], m: new Map() },
    ]
    const r = await append(await loadSnapshot(store), input)
    expect(r).toMatchObject({ version: 1, metrics: { numFiles: 1, numOutputRows: 3 } })
    const out = await rows(store, { sortBy: 'id' })
    expect(out[0]).toEqual({
      id: 1n, i: -5, s: 300, b: -7, fl: 1.5, d: Math.PI, str: 'héllo', bool: true, bin: new Uint8Array([0, 255]), day: new Date('2024-02-29T00:00:00Z'),
      ts: new Date('2026-01-02T03:04:05.678Z'), ntz: new Date('2020-01-01T10:00:00Z'), dec: '12.30', big: '-1234567890123456789012345.12345',
      st: { x: 1, y: 'a' }, arr: [1n, null, 3n], m: new Map([['k', 1], ['n', null]]),
    })
    expect(Object.values(out[1]).filter((v) => v !== null)).toEqual([2n])
    expect(out[2]).toMatchObject({ id: 3n, st: { x: null, y: 'z' }, arr: [], m: new Map() })
    await checkProtocol(store)
  })

  it('writes Arrow input, keeping microseconds', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('id', 'long'), f('ts', 'timestamp'), f('name', 'string')) })
    const ts = arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), length: 2, data: BigInt64Array.from([1_000_001n, 2n]) })
    const t = new arrow.Table({ id: arrow.makeVector(BigInt64Array.from([1n, 2n])), ts: arrow.makeVector(ts), name: arrow.vectorFromArray(['a', null]) })
    await append(await loadSnapshot(store), t)
    const snap = await loadSnapshot(store)
    const stats = JSON.parse(snap.activeFiles()[0].stats!)
    expect(stats.minValues.ts).toBe('1970-01-01T00:00:00.000Z')
    expect(stats.maxValues.ts).toBe('1970-01-01T00:00:01.001Z') // 1.000001 s rounded up to the ms
    expect((await rows(store, { sortBy: 'id' })).map((r) => r.name)).toEqual(['a', null])
  })

  it('partitions Hive-style with escaped values and a null partition', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('region', 'string'), f('day', 'date'), f('v', 'long')), partitionBy: ['region', 'day'] })
    await append(await loadSnapshot(store), [
      { region: 'eu/west', day: '2024-01-01', v: 1n }, { region: null, day: '2024-01-02', v: 2n }, { region: 'eu/west', day: '2024-01-01', v: 3n }, { region: 'a b%', day: null, v: 4n },
    ])
    const snap = await loadSnapshot(store)
    const paths = snap.activeFiles().map((a) => a.path).sort()
    expect(paths).toHaveLength(3)
    expect(paths[0]).toMatch(/^region=__HIVE_DEFAULT_PARTITION__\/day=2024-01-02\/part-/)
    expect(paths[1]).toMatch(/^region=a%20b%2525\/day=__HIVE_DEFAULT_PARTITION__\/part-/)
    expect(paths[2]).toMatch(/^region=eu%252Fwest\/day=2024-01-01\/part-/)
    const pv = snap.activeFiles().map((a) => a.partitionValues)
    expect(pv).toContainEqual({ region: 'eu/west', day: '2024-01-01' })
    expect(pv).toContainEqual({ region: null, day: '2024-01-02' })
    expect(pv).toContainEqual({ region: 'a b%', day: null })
    const out = await rows(store, { sortBy: 'v' })
    expect(out.map((r) => [r.region, r.v])).toEqual([['eu/west', 1n], [null, 2n], ['eu/west', 3n], ['a b%', 4n]])
    await checkProtocol(store)
  })

  it('splits files at the target size', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('id', 'long'), f('s', 'string')) })
    const data = Array.from({ length: 1000 }, (_, i) => ({ id: BigInt(i), s: `value-${i}` }))
    const r = await append(await loadSnapshot(store), data, { targetFileSize: 4000 })
    expect(r.metrics.numFiles).toBeGreaterThan(3)
    const snap = await loadSnapshot(store)
    expect(snap.activeFiles().reduce((n, a) => n + JSON.parse(a.stats!).numRecords, 0)).toBe(1000)
    expect((await rows(store)).length).toBe(1000)
  })

  it('a bad value fails before anything is written, naming column and row', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('id', 'long', false), f('n', 'integer')) })
    const before = [...(store as unknown as { objects: Map<string, unknown> }).objects.keys()].sort()
    const snap = await loadSnapshot(store)
    const err = await append(snap, [{ id: 1n, n: 1 }, { id: 2n, n: 'x' }]).catch((e) => e)
    expect(err).toBeInstanceOf(SchemaMismatchError)
    expect(err.message).toMatch(/column n/)
    expect(err.message).toMatch(/row 1/)
    await expect(append(snap, [{ id: null, n: 1 }])).rejects.toThrow(ConstraintViolationError)
    await expect(append(snap, [{ n: 1 }])).rejects.toThrow(/NOT NULL column id/)
    await expect(append(snap, [{ id: 1n, extra: 1 }])).rejects.toThrow(/column extra \(row 0\)/)
    const after = [...(store as unknown as { objects: Map<string, unknown> }).objects.keys()].sort()
    expect(after).toEqual(before)
    expect((await loadSnapshot(store)).version).toBe(0)
  })

  it('mergeSchema adds new columns (with column mapping ids)', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('id', 'long')), properties: { 'delta.columnMapping.mode': 'name' } })
    await append(await loadSnapshot(store), [{ id: 1n }])
    const r = await append(await loadSnapshot(store), [{ id: 2n, name: 'x', when: new Date(0) }], { mergeSchema: true })
    const snap = await loadSnapshot(store)
    expect(snap.schema.fields.map((x) => [x.name, x.type])).toEqual([['id', 'long'], ['name', 'string'], ['when', 'timestamp']])
    expect(snap.properties['delta.columnMapping.maxColumnId']).toBe('3')
    expect(snap.schema.fields[2].metadata['delta.columnMapping.id']).toBe(3)
    expect(r.version).toBe(2)
    expect(await rows(store, { sortBy: 'id' })).toEqual([{ id: 1n, name: null, when: null }, { id: 2n, name: 'x', when: new Date(0) }])
  })

  it('idempotent appends with txn are written once', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('id', 'long')) })
    await append(await loadSnapshot(store), [{ id: 1n }], { txn: { appId: 'job', version: 7 } })
    const again = await append(await loadSnapshot(store), [{ id: 1n }], { txn: { appId: 'job', version: 7 } })
    expect(again.version).toBe(1)
    expect((await loadSnapshot(store)).txns.get('job')).toBe(7)
    expect(await rows(store)).toHaveLength(1)
  })

  it('enforces CHECK constraints, invariants and generated columns', async () => {
    const store = new MemoryStore()
    const schema = struct(
      f('x', 'integer', true, { 'delta.invariants': JSON.stringify({ expression: { expression: 'x > 0' } }) }),
      f('y', 'integer', true, { 'delta.generationExpression': 'x * 2' }),
    )
    await createTable(store, { schema, properties: { 'delta.constraints.small': 'x < 100' } })
    const snap = await loadSnapshot(store)
    expect(snap.protocol.writerFeatures).toEqual(expect.arrayContaining(['checkConstraints', 'generatedColumns', 'invariants']))
    await append(snap, [{ x: 1 }, { x: 2, y: 4 }])
    expect((await rows(store, { sortBy: 'x' })).map((r) => r.y)).toEqual([2, 4])
    await expect(append(snap, [{ x: 0 }])).rejects.toThrow(/invariant x > 0/)
    await expect(append(snap, [{ x: 1000 }])).rejects.toThrow(/CHECK constraint small/)
    await expect(append(snap, [{ x: 3, y: 5 }])).rejects.toThrow(/generation expression/)
  })
})

describe('overwrite', () => {
  it('full overwrite: one commit removes every file and adds the new ones', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('p', 'string'), f('v', 'long')), partitionBy: ['p'] })
    await append(await loadSnapshot(store), [{ p: 'a', v: 1n }, { p: 'b', v: 2n }])
    const r = await overwrite(await loadSnapshot(store), [{ p: 'c', v: 3n }])
    expect(r.metrics).toMatchObject({ numFiles: 1, numRemovedFiles: 2, numOutputRows: 1 })
    const actions = await commit(store, r.version)
    expect(actions.filter((a) => 'remove' in a)).toHaveLength(2)
    expect(actions.filter((a) => 'add' in a)).toHaveLength(1)
    expect(await rows(store)).toEqual([{ p: 'c', v: 3n }])
    await checkProtocol(store)
  })

  it('replaceWhere on a partition removes only covered files and refuses rows outside it', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('p', 'string'), f('v', 'long')), partitionBy: ['p'] })
    await append(await loadSnapshot(store), [{ p: 'a', v: 1n }, { p: 'b', v: 2n }])
    const r = await overwrite(await loadSnapshot(store), [{ p: 'a', v: 10n }], { replaceWhere: "p = 'a'" })
    expect(r.metrics).toMatchObject({ numRemovedFiles: 1, numCopiedRows: 0 })
    expect(await rows(store, { sortBy: 'v' })).toEqual([{ p: 'b', v: 2n }, { p: 'a', v: 10n }])
    await expect(overwrite(await loadSnapshot(store), [{ p: 'b', v: 0n }], { replaceWhere: "p = 'a'" })).rejects.toThrow(/does not satisfy replaceWhere/)
  })

  it('replaceWhere on a data column rewrites partly covered files keeping the other rows', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('id', 'long'), f('v', 'string')) })
    await append(await loadSnapshot(store), [{ id: 1n, v: 'a' }, { id: 5n, v: 'b' }, { id: 9n, v: null }])
    await append(await loadSnapshot(store), [{ id: 100n, v: 'far' }])
    const r = await overwrite(await loadSnapshot(store), [{ id: 6n, v: 'new' }], { replaceWhere: 'id >= 5 AND id < 50' })
    expect(r.metrics).toMatchObject({ numRemovedFiles: 1, numCopiedRows: 1 })
    expect(await rows(store, { sortBy: 'id' })).toEqual([{ id: 1n, v: 'a' }, { id: 6n, v: 'new' }, { id: 100n, v: 'far' }])
    const info = (await commit(store, r.version))[0] as { commitInfo: { operationParameters: Record<string, string> } }
    expect(info.commitInfo.operationParameters).toMatchObject({ mode: 'Overwrite', predicate: '["id >= 5 AND id < 50"]' })
  })

  it('overwriteSchema replaces the schema; appendOnly tables refuse overwrite', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('a', 'long')) })
    await append(await loadSnapshot(store), [{ a: 1n }])
    await overwrite(await loadSnapshot(store), [{ b: 'x' }], { overwriteSchema: true })
    expect(await rows(store)).toEqual([{ b: 'x' }])
    const ao = new MemoryStore()
    await createTable(ao, { schema: struct(f('a', 'long')), properties: { 'delta.appendOnly': 'true' } })
    await expect(overwrite(await loadSnapshot(ao), [{ a: 1n }])).rejects.toThrow(/append-only/)
  })
})

describe('checkpoints after commits', () => {
  it('every delta.checkpointInterval commits; reading from it equals JSON replay', async () => {
    const store = new MemoryStore()
    const t = await DeltaTable.create(store, { schema: struct(f('p', 'integer'), f('v', 'long')), partitionBy: ['p'], properties: { 'delta.checkpointInterval': '3' } })
    for (let i = 1; i <= 6; i++) {
      if (i === 4) await t.overwrite([{ p: 1, v: 40n }], { replaceWhere: 'p = 1' })
      else await t.append([{ p: i % 2, v: BigInt(i) }])
    }
    const checkpoints = (await listAll(store, '_delta_log/')).map((m) => m.key).filter((k) => k.endsWith('.checkpoint.parquet'))
    expect(checkpoints).toEqual(['_delta_log/00000000000000000003.checkpoint.parquet', '_delta_log/00000000000000000006.checkpoint.parquet'])
    const a = await loadSnapshot(store)
    const b = await loadSnapshot(store, { jsonOnly: true })
    const key = (s: typeof a) => s.activeFiles().map((x) => `${x.path}|${x.size}|${x.stats}|${JSON.stringify(x.partitionValues)}`).sort()
    expect(key(a)).toEqual(key(b))
    const sortDeep = (v: unknown): unknown => v === null || typeof v !== 'object' ? v : Array.isArray(v) ? v.map(sortDeep)
      : Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== null).map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]))
    const canon = (o: object) => JSON.stringify(sortDeep(o))
    expect(canon(a.metadata)).toEqual(canon(b.metadata))
    expect(canon(a.protocol)).toEqual(canon(b.protocol))
    expect(await toRows(a)).toEqual(await toRows(b))
  })
})

describe('partition values of every primitive type', () => {
  it('round-trip through partition folders and partitionValues', async () => {
    const store = new MemoryStore()
    const schema = struct(
      f('s', 'string'), f('i', 'integer'), f('l', 'long'), f('sh', 'short'), f('by', 'byte'), f('fl', 'float'), f('db', 'double'),
      f('bo', 'boolean'), f('d', 'date'), f('ts', 'timestamp'), f('ntz', 'timestamp_ntz'), f('dec', 'decimal(9,3)'), f('v', 'long'),
    )
    const parts = schema.fields.slice(0, -1).map((x) => x.name)
    await createTable(store, { schema, partitionBy: parts, properties: { 'delta.enableDeletionVectors': 'false' } })
    const input = [
      { s: 'a=b/c d:é', i: -1, l: 2n ** 62n, sh: 7, by: -8, fl: 0.5, db: -1e-7, bo: true, d: '1969-12-31', ts: new Date('2001-02-03T04:05:06.789Z'), ntz: '2020-02-29 23:59:59.123456', dec: '-1.250', v: 1n },
      { s: '', i: null, l: null, sh: null, by: null, fl: null, db: null, bo: false, d: null, ts: null, ntz: null, dec: null, v: 2n },
    ]
    await append(await loadSnapshot(store), input)
    const out = await rows(store, { sortBy: 'v' })
    expect(out[0]).toEqual({ s: 'a=b/c d:é', i: -1, l: 2n ** 62n, sh: 7, by: -8, fl: 0.5, db: -1e-7, bo: true, d: new Date('1969-12-31T00:00:00Z'), ts: new Date('2001-02-03T04:05:06.789Z'), ntz: new Date('2020-02-29T23:59:59.123Z'), dec: '-1.250', v: 1n })
    // an empty string partition value is null (PROTOCOL.md "Partition Value Serialization")
    expect(out[1]).toEqual({ s: null, i: null, l: null, sh: null, by: null, fl: null, db: null, bo: false, d: null, ts: null, ntz: null, dec: null, v: 2n })
    const pv = (await loadSnapshot(store)).activeFiles().map((a) => a.partitionValues).find((p) => p.bo === 'true')!
    expect(pv).toMatchObject({ l: '4611686018427387904', fl: '0.5', db: '-1.0E-7', d: '1969-12-31', ts: '2001-02-03T04:05:06.789000Z', ntz: '2020-02-29 23:59:59.123456', dec: '-1.250' })
    await checkProtocol(store)
  })
})

describe('column mapping', () => {
  it('partition values, stats and folders use physical names; rows read back by logical name', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('Region Name', 'string'), f('v', 'long')), partitionBy: ['Region Name'], properties: { 'delta.columnMapping.mode': 'id' } })
    await append(await loadSnapshot(store), [{ 'Region Name': 'eu', v: 1n }, { 'Region Name': 'us', v: 2n }])
    const snap = await loadSnapshot(store)
    const phys = (name: string) => String(snap.schema.fields.find((x) => x.name === name)!.metadata['delta.columnMapping.physicalName'])
    for (const a of snap.activeFiles()) {
      expect(Object.keys(a.partitionValues)).toEqual([phys('Region Name')])
      expect(a.path.startsWith(`${phys('Region Name')}=`)).toBe(true)
      expect(Object.keys(JSON.parse(a.stats!).minValues)).toEqual([phys('v')])
    }
    expect(await rows(store, { sortBy: 'v' })).toEqual([{ 'Region Name': 'eu', v: 1n }, { 'Region Name': 'us', v: 2n }])
  })
})
