import { describe, expect, it } from 'vitest'
import * as arrow from 'apache-arrow'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { ConstraintViolationError, ExpressionError, InvalidArgumentError, MergeCardinalityError, SchemaMismatchError } from '../../src/errors.js'
import { parseActionLines, type Action } from '../../src/log/actions.js'
import type { StructField } from '../../src/schema/types.js'

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const SCHEMA = { type: 'struct' as const, fields: [f('id', 'long', false), f('name', 'string'), f('amount', 'integer'), f('region', 'string')] }

async function table(props: Record<string, string> = {}, partitionBy: string[] = []) {
  return DeltaTable.create(new MemoryStore(), { schema: SCHEMA, properties: props, partitionBy })
}
async function commit(t: DeltaTable, v = t.version): Promise<Action[]> {
  return parseActionLines(new TextDecoder().decode(await t.store.get(`_delta_log/${String(v).padStart(20, '0')}.json`)))
}
const rows = (n: number, start = 0) => Array.from({ length: n }, (_, i) => ({ id: BigInt(start + i), name: `n${start + i}`, amount: (start + i) % 100, region: ['eu', 'us', 'br'][(start + i) % 3] }))
const byId = (r: Record<string, unknown>[]) => [...r].sort((a, b) => Number(a.id) - Number(b.id))

describe('MERGE builder', () => {
  it('applies clauses in order, first matching wins, with target/source and t/s aliases', async () => {
    const t = await table()
    await t.append(rows(6))
    const r = await t.merge([{ id: 1n, amount: 50 }, { id: 2n, amount: 5 }, { id: 3n, amount: 7 }, { id: 9n, name: 'new', amount: 1 }], { on: ['id'] })
      .whenMatchedUpdate({ set: { amount: 'target.amount + s.amount' }, condition: 's.amount > 10' })
      .whenMatchedDelete({ condition: 'source.amount = 5' })
      .whenMatchedUpdate({ set: { name: "'touched'" } })
      .whenNotMatchedInsert({ values: { id: 's.id', name: 'upper(s.name)', amount: 's.amount * 10' } })
      .execute()
    expect(r.version).toBe(t.version)
    expect(r.metrics).toMatchObject({ numSourceRows: 4, numTargetRowsInserted: 1, numTargetRowsUpdated: 2, numTargetRowsDeleted: 1, numTargetRowsMatchedUpdated: 2 })
    expect(byId(await t.toRows({ columns: ['id', 'name', 'amount'] }))).toEqual([
      { id: 0n, name: 'n0', amount: 0 }, { id: 1n, name: 'n1', amount: 51 }, { id: 3n, name: 'touched', amount: 3 },
      { id: 4n, name: 'n4', amount: 4 }, { id: 5n, name: 'n5', amount: 5 }, { id: 9n, name: 'NEW', amount: 10 },
    ])
    const info = (await commit(t))[0] as { commitInfo: { operation: string; operationParameters: Record<string, unknown> } }
    expect(info.commitInfo.operation).toBe('MERGE')
  })

  it('marks rows in a deletion vector and writes only new rows: a small batch does not rewrite a big file', async () => {
    const t = await table()
    await t.append(rows(20_000))
    const [big] = t.snapshot.activeFiles()
    const batch = [...rows(300, 100).map((r) => ({ ...r, amount: -1 })), ...rows(100, 50_000)]
    const r = await t.merge(batch, { on: 'target.id = source.id' }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    expect(r.metrics).toMatchObject({ numTargetRowsUpdated: 300, numTargetRowsInserted: 100, numTargetRowsCopied: 0, numTargetFilesAdded: 1, numTargetDeletionVectorsAdded: 1 })
    const actions = await commit(t)
    const adds = actions.flatMap((a) => ('add' in a ? [a.add] : []))
    const readded = adds.find((a) => a.path === big.path)!
    expect(readded.deletionVector).toMatchObject({ cardinality: 300 })
    expect(JSON.parse(readded.stats!)).toMatchObject({ numRecords: 20_000, tightBounds: false })
    expect(adds.filter((a) => a.path !== big.path).reduce((n, a) => n + JSON.parse(a.stats!).numRecords, 0)).toBe(400)
    expect(actions.some((a) => 'remove' in a && a.remove.path === big.path)).toBe(true)
    const all = await t.toRows({ columns: ['id', 'amount'] })
    expect(all.length).toBe(20_100)
    expect(all.filter((x) => x.amount === -1).length).toBe(300)
  })

  it('a second merge on the same file unions the deletion vectors; large ones go to a u-storage file with a prefix', async () => {
    const t = await table()
    await t.append(rows(5000))
    await t.merge(rows(2000).filter((r) => r.id % 2n === 0n), { on: ['id'] }).whenMatchedDelete().execute()
    const first = t.snapshot.activeFiles()[0].deletionVector!
    expect(first.storageType).toBe('u')
    expect(first.pathOrInlineDv.length).toBe(22) // 2-character random prefix + 20-character Z85 UUID
    expect(await t.store.head(`${first.pathOrInlineDv.slice(0, 2)}/`.replace(/\/$/, ''))).toBeUndefined()
    await t.merge([{ id: 1n }, { id: 3n }, { id: 4998n }], { on: ['id'] }).whenMatchedDelete().execute()
    const [file] = t.snapshot.activeFiles()
    expect(file.deletionVector!.cardinality).toBe(1003)
    expect(t.snapshot.activeFiles()).toHaveLength(1)
    const ids = (await t.toRows({ columns: ['id'] })).map((r) => r.id)
    expect(ids.length).toBe(3997)
    expect(ids.includes(0n) || ids.includes(1n) || ids.includes(4998n)).toBe(false)
  })

  it('tiny deletion vectors are stored inline', async () => {
    const t = await table()
    await t.append(rows(100))
    await t.merge([{ id: 7n }], { on: ['id'] }).whenMatchedDelete().execute()
    expect(t.snapshot.activeFiles()[0].deletionVector).toMatchObject({ storageType: 'i', cardinality: 1 })
  })

  it('without deletion vectors, touched files are copied on write', async () => {
    const t = await table({ 'delta.enableDeletionVectors': 'false' })
    await t.append(rows(1000))
    const r = await t.merge([{ id: 5n, name: 'x' }], { on: ['id'] }).whenMatchedUpdate({ set: { name: 's.name' } }).execute()
    expect(r.metrics).toMatchObject({ numTargetRowsUpdated: 1, numTargetRowsCopied: 999, numTargetFilesRemoved: 1, numTargetDeletionVectorsAdded: 0 })
    expect(t.snapshot.activeFiles().every((a) => !a.deletionVector)).toBe(true)
    expect((await t.toRows({ filter: 'id = 5' }))[0]).toMatchObject({ name: 'x', amount: 5 })
    expect((await t.toRows()).length).toBe(1000)
  })

  it('prunes target files by partition and key range, and records what it read', async () => {
    const t = await table({}, ['region'])
    await t.append(rows(300))
    await t.append(rows(300, 10_000))
    const files = t.snapshot.activeFiles()
    expect(files.length).toBe(6)
    const r = await t.merge([{ id: 10_003n, region: 'us', amount: 1 }], { on: 't.id = s.id AND t.region = s.region' }).whenMatchedUpdate({ set: { amount: 's.amount' } }).execute()
    expect(r.metrics).toMatchObject({ numTargetRowsUpdated: 1, numTargetFilesScanned: 1, numTargetFilesSkipped: 5 })
    const removes = (await commit(t)).filter((a) => 'remove' in a)
    expect(removes.length).toBe(1)
    expect(r.metrics.scanTimeMs).toBeGreaterThanOrEqual(0)
  })

  it('writes change data files with the four change types when CDF is on', async () => {
    const t = await table({ 'delta.enableChangeDataFeed': 'true' })
    await t.append(rows(10))
    const v = (await t.merge([{ id: 1n, name: 'u' }, { id: 2n }, { id: 42n, name: 'i' }], { on: ['id'], mergeSchema: true })
      .whenMatchedDelete({ condition: 's.name IS NULL' }).whenMatchedUpdate({ set: { name: 's.name' } }).whenNotMatchedInsertAll().execute()).version
    const cdc = (await commit(t, v)).filter((a) => 'cdc' in a)
    expect(cdc.length).toBeGreaterThan(0)
    expect(cdc.every((a) => 'cdc' in a && a.cdc.path.startsWith('_change_data/') && a.cdc.dataChange === false)).toBe(true)
    const changes = await t.changes({ startVersion: v })
    expect(changes.map((c) => `${c._change_type}:${c.id}:${c.name}`).sort()).toEqual(['delete:2:n2', 'insert:42:i', 'update_postimage:1:u', 'update_preimage:1:n1'])
  })

  it('mergeSchema adds source columns with updateAll/insertAll', async () => {
    const t = await table()
    await t.append(rows(3))
    await t.merge([{ id: 1n, name: 'a', amount: 1, region: 'eu', extra: 'x' }, { id: 8n, extra: 'y' }], { on: ['id'], mergeSchema: true })
      .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    expect(t.schema.fields.map((x) => x.name)).toEqual(['id', 'name', 'amount', 'region', 'extra'])
    expect(byId(await t.toRows({ columns: ['id', 'extra'] }))).toEqual([{ id: 0n, extra: null }, { id: 1n, extra: 'x' }, { id: 2n, extra: null }, { id: 8n, extra: 'y' }])
  })

  it('accepts an Arrow table as source', async () => {
    const t = await table()
    await t.append(rows(3))
    const src = arrow.tableFromArrays({ id: BigInt64Array.from([2n, 5n]), amount: Int32Array.from([20, 50]) })
    await t.merge(src, { on: ['id'] }).whenMatchedUpdate({ set: { amount: 's.amount' } }).whenNotMatchedInsert({ values: { id: 's.id', amount: 's.amount' } }).execute()
    expect(byId(await t.toRows({ columns: ['id', 'amount'] }))).toEqual([{ id: 0n, amount: 0 }, { id: 1n, amount: 1 }, { id: 2n, amount: 20 }, { id: 5n, amount: 50 }])
  })

  it('not matched by source clauses update and delete target rows the source lacks', async () => {
    const t = await table()
    await t.append(rows(6))
    const r = await t.merge([{ id: 0n }, { id: 1n }], { on: ['id'] })
      .whenNotMatchedBySourceDelete({ condition: 'amount > 3' }).whenNotMatchedBySourceUpdate({ set: { name: "'gone'" } }).execute()
    expect(r.metrics).toMatchObject({ numTargetRowsNotMatchedBySourceDeleted: 2, numTargetRowsNotMatchedBySourceUpdated: 2 })
    expect(byId(await t.toRows({ columns: ['id', 'name'] }))).toEqual([{ id: 0n, name: 'n0' }, { id: 1n, name: 'n1' }, { id: 2n, name: 'gone' }, { id: 3n, name: 'gone' }])
  })

  it('the same key twice in the source: MergeCardinalityError when a matched clause applies, table unchanged', async () => {
    const t = await table()
    await t.append(rows(5))
    const v = t.version
    const src = [{ id: 2n, name: 'a', amount: 1, region: 'eu' }, { id: 2n, name: 'b', amount: 2, region: 'us' }]
    await expect(t.merge(src, { on: ['id'] }).whenMatchedUpdateAll().execute()).rejects.toBeInstanceOf(MergeCardinalityError)
    expect(t.version).toBe(v)
    // a condition no pair satisfies, or a sole unconditional delete, is fine (as Delta)
    await t.merge(src, { on: ['id'] }).whenMatchedUpdateAll({ condition: "s.name = 'zzz'" }).execute()
    await t.merge(src, { on: ['id'] }).whenMatchedDelete().execute()
    expect((await t.toRows()).map((r) => r.id).sort()).toEqual([0n, 1n, 3n, 4n])
  })

  it('bad input fails with typed errors before anything is written', async () => {
    const t = await table()
    await t.append(rows(5))
    const v = t.version
    const keys = async () => { const out: string[] = []; for await (const m of t.store.list('')) out.push(m.key); return out.sort() }
    const files = await keys()
    const attempts: Array<[() => Promise<unknown>, new (...a: never[]) => Error]> = [
      [() => t.merge([{ id: 1n, name: 'x' }], { on: 't.id = s.id' }).whenMatchedUpdate({ set: { name: 'name' } }).execute(), ExpressionError], // ambiguous
      [() => t.merge([{ id: 1n }], { on: 't.id = s.nope' }).whenMatchedDelete().execute(), ExpressionError],
      [() => t.merge([{ id: 1n }], { on: ['nope'] }).whenMatchedDelete().execute(), SchemaMismatchError],
      [() => t.merge([{ name: 'x' }], { on: ['id'] }).whenMatchedDelete().execute(), SchemaMismatchError],
      [() => t.merge([{ id: 'abc' }], { on: ['id'] }).whenMatchedDelete().execute(), SchemaMismatchError],
      [() => t.merge([{ id: 1n }], { on: ['id'] }).whenMatchedUpdate({ set: { nope: '1' } }).execute(), SchemaMismatchError],
      [() => t.merge([{ id: 1n, name: 'x' }], { on: ['id'] }).whenMatchedUpdate({ set: { amount: 's.name' } }).execute(), SchemaMismatchError],
      [() => t.merge([{ id: 99n, name: 'x' }], { on: ['id'] }).whenNotMatchedInsert({ values: { name: 's.name' } }).execute(), ConstraintViolationError], // id NOT NULL
    ]
    for (const [run, cls] of attempts) {
      await expect(run()).rejects.toBeInstanceOf(cls)
      expect(t.version).toBe(v)
    }
    expect(await keys()).toEqual(files)
  })

  it('records the txn id atomically and skips a batch already applied', async () => {
    const t = await table()
    await t.append(rows(3))
    const r1 = await t.merge([{ id: 1n, name: 'x' }], { on: ['id'], mergeSchema: true, txn: { appId: 'job', version: 1 } }).whenMatchedUpdateAll().execute()
    expect(t.txns.get('job')).toBe(1)
    const r2 = await t.merge([{ id: 1n, name: 'y' }], { on: ['id'], mergeSchema: true, txn: { appId: 'job', version: 1 } }).whenMatchedUpdateAll().execute()
    expect(r2.version).toBe(r1.version)
    expect((await t.toRows({ filter: 'id = 1' }))[0].name).toBe('x')
  })

  it('column mapping, partitions, generated columns recomputed on update and insert, CDF, mergeSchema', async () => {
    const t = await DeltaTable.create(new MemoryStore(), {
      primaryKey: 'id', partitionBy: ['p'],
      properties: { 'delta.columnMapping.mode': 'name', 'delta.enableChangeDataFeed': 'true' },
      schema: { type: 'struct', fields: [f('id', 'long', false), f('p', 'string'), f('n', 'integer'), { ...f('n2', 'integer'), metadata: { 'delta.generationExpression': 'n * 2' } }] },
    })
    await t.append([{ id: 1n, p: 'a', n: 1 }, { id: 2n, p: 'b', n: 2 }, { id: 3n, p: 'a', n: 3 }])
    const v = (await t.merge([{ id: 1n, p: 'a', n: 10 }, { id: 4n, p: 'c', n: 4 }, { op: 'D', id: 3n }])).version
    await t.update('id = 2', { n: 'n + 100' })
    expect(byId(await t.toRows())).toEqual([{ id: 1n, p: 'a', n: 10, n2: 20 }, { id: 2n, p: 'b', n: 102, n2: 204 }, { id: 4n, p: 'c', n: 4, n2: 8 }])
    expect((await t.changes({ startVersion: v })).map((c) => `${c._commit_version}:${c._change_type}:${c.id}:${c.n2}`).sort()).toEqual(
      [`${v}:delete:3:6`, `${v}:insert:4:8`, `${v}:update_postimage:1:20`, `${v}:update_preimage:1:2`, `${v + 1}:update_postimage:2:204`, `${v + 1}:update_preimage:2:4`])
    await t.merge([{ id: 5n, p: 'z', n: 5, extra: 'e' }], { mergeSchema: true })
    expect(t.schema.fields.at(-1)!.metadata['delta.columnMapping.physicalName']).toMatch(/^col-/)
    expect(await t.toRows({ filter: 'id = 5' })).toEqual([{ id: 5n, p: 'z', n: 5, n2: 10, extra: 'e' }])
    await expect(t.merge([{ id: 5n, p: 'z', n: 1, n2: 3, extra: 'e' }], { on: ['id'] }).whenMatchedUpdateAll().execute()).rejects.toBeInstanceOf(ConstraintViolationError)
  })
})

describe('awaiting the MERGE builder (docs/api.md, decision 1)', () => {
  it('await without execute() merges; awaiting again or execute() afterwards does not merge twice', async () => {
    const t = await table()
    await t.append(rows(3))
    const v0 = t.version
    const m = t.merge([{ id: 1n, name: 'one', amount: 1, region: 'eu' }, { id: 7n, name: 'seven', amount: 7, region: 'us' }], { on: ['id'] })
      .whenMatchedUpdateAll().whenNotMatchedInsertAll()
    const [a, b] = await Promise.all([m, m]) // two awaits in flight share one run
    const c = await m.execute()
    const d = await m
    expect(t.version).toBe(v0 + 1)
    for (const r of [b, c, d]) expect(r).toBe(a)
    expect(a.version).toBe(v0 + 1)
    const model = new Map(rows(3).map((r) => [r.id, r.name]))
    model.set(1n, 'one').set(7n, 'seven')
    expect(byId(await t.toRows({ columns: ['id', 'name'] }))).toEqual([...model].map(([id, name]) => ({ id, name })).sort((x, y) => Number(x.id - y.id)))
    expect(() => m.whenMatchedDelete()).toThrow(InvalidArgumentError)
  })

  it('execute() then await commits once', async () => {
    const t = await table()
    await t.append(rows(2))
    const m = t.merge([{ id: 0n, amount: 40 }], { on: ['id'] }).whenMatchedUpdate({ set: { amount: 't.amount + s.amount' } })
    const first = await m.execute()
    expect(await m).toBe(first)
    expect(t.version).toBe(first.version)
    expect((await t.toRows({ filter: 'id = 0', columns: ['amount'] }))[0].amount).toBe(40)
  })

  it('a builder with no clause refuses with InvalidArgumentError, table unchanged', async () => {
    const t = await table()
    await t.append(rows(2))
    const v = t.version
    await expect(Promise.resolve(t.merge(rows(2), { on: ['id'] }))).rejects.toThrow(InvalidArgumentError)
    await expect(t.merge(rows(2), { on: ['id'] }).execute()).rejects.toThrow(/at least one when/)
    expect(t.version).toBe(v)
    expect(await t.history()).toHaveLength(v + 1)
  })
})

describe('MERGE without an equality key', () => {
  it('runs as a nested loop on small inputs (t.id > s.lo AND t.id < s.hi)', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA })
    await t.append(rows(10))
    await t.merge([{ lo: 2n, hi: 5n }], { on: 't.id > s.lo AND t.id < s.hi' }).whenMatchedDelete().execute()
    expect((await t.toRows()).map((r) => r.id).sort((a, b) => Number(a) - Number(b))).toEqual([0n, 1n, 2n, 5n, 6n, 7n, 8n, 9n])
  })
})

describe('MERGE file pruning by the source keys', () => {
  it('scattered keys: only files whose id range holds a key are read', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA })
    for (let p = 0; p < 10; p++) await t.append(rows(100, p * 1000))
    const keys = [...Array.from({ length: 50 }, (_, i) => 2000n + BigInt(i)), ...Array.from({ length: 50 }, (_, i) => 7050n + BigInt(i)), 9999n, 500n]
    const r = await t.merge(keys.map((id) => ({ id, name: 'hit' })), { on: ['id'] }).whenMatchedUpdate({ set: { name: 's.name' } }).execute()
    expect(r.metrics).toMatchObject({ numTargetFilesScanned: 2, numTargetFilesSkipped: 8, numTargetRowsUpdated: 100 })
    expect((await t.toRows({ filter: "name = 'hit'" })).length).toBe(100)
  })
})

describe('deletion vector files written by MERGE (PROTOCOL.md "Deletion Vector File Storage Format")', () => {
  it('version byte, big-endian size, RoaringBitmapArray payload, CRC-32; rows exactly the deleted ones', async () => {
    const { crc32, decodeRoaringBitmapArray, uuidDvRelativePath } = await import('../../src/scan/deletion-vectors.js')
    const t = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA })
    await t.append(rows(100_000))
    const gone = Array.from({ length: 3000 }, (_, i) => i * 31 + (i % 7))
    await t.merge(gone.map((i) => ({ id: BigInt(i) })), { on: ['id'] }).whenMatchedDelete().execute()
    const dv = t.snapshot.activeFiles()[0].deletionVector!
    expect(dv.storageType).toBe('u')
    const bytes = await t.store.get(uuidDvRelativePath(dv.pathOrInlineDv))
    expect(bytes[0]).toBe(1)
    const view = new DataView(bytes.buffer, bytes.byteOffset)
    expect(view.getInt32(dv.offset!, false)).toBe(dv.sizeInBytes)
    const payload = bytes.subarray(dv.offset! + 4, dv.offset! + 4 + dv.sizeInBytes)
    expect(view.getUint32(dv.offset! + 4 + dv.sizeInBytes, false)).toBe(crc32(payload))
    expect(Array.from(decodeRoaringBitmapArray(payload, dv.cardinality))).toEqual(gone)
    expect(dv).toMatchObject({ cardinality: 3000, maxRowIndex: gone.at(-1) })
    expect((await t.toRows({ columns: ['id'] })).length).toBe(97_000)
  })
})
