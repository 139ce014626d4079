// Change feeds as they arrive (docs/change-feeds.md): each format told by its columns or forced,
// with one example each, and every refusal: the error class, a message naming column / value / row,
// and the table unchanged (same version, same rows).
import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { ChangeFeedError, DeltaTable, MemoryStore, SchemaMismatchError, UnknownOptionError } from '../../src/index.js'
import type { CdcMergeOptions, StructField } from '../../src/index.js'

/** Options a caller passes without type checking (JavaScript, parsed config). */
const bad = (o: object) => o as CdcMergeOptions
const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })

async function customers(extra: StructField[] = [], properties: Record<string, string> = {}) {
  const t = await DeltaTable.create(new MemoryStore(), { schema: { type: 'struct', fields: [f('id', 'long', false), f('name', 'string'), f('city', 'string'), ...extra] }, primaryKey: 'id', properties })
  await t.append([{ id: 1n, name: 'ana', city: 'rio' }, { id: 2n, name: 'bia', city: 'sp' }, { id: 3n, name: 'caio', city: 'bh' }])
  return t
}
const live = async (t: DeltaTable) => (await t.toRows()).sort((a, b) => Number(a.id) - Number(b.id)).map((r) => `${r.id}:${r.name}:${r.city}`)

/** The refusal contract: `run` rejects with `cls` whose message matches every pattern; the table is as it was. */
async function refused(t: DeltaTable, run: () => Promise<unknown>, cls: new (...a: never[]) => Error, ...patterns: RegExp[]) {
  const version = t.version
  const rows = await live(t)
  const e = await run().then(() => undefined, (x: unknown) => x)
  expect(e).toBeInstanceOf(cls)
  for (const p of patterns) expect((e as Error).message).toMatch(p)
  expect(t.version).toBe(version)
  const fresh = await DeltaTable.open(t.store)
  expect(fresh.version).toBe(version)
  expect(await live(fresh)).toEqual(rows)
}

describe('change feeds: format told by the columns', () => {
  it('Debezium flattened: __op and __deleted decide, other __ columns are inputs, deletes carry the before image', async () => {
    const t = await customers()
    const r = await t.merge([
      { id: 4n, name: 'davi', city: 'poa', __op: 'c', __deleted: 'false', __lsn: 10n, __source_ts_ms: 1000n, __table: 'customers' },
      { id: 1n, name: 'ana', city: 'rio', __op: 'd', __deleted: 'true', __lsn: 11n, __source_ts_ms: 1001n, __table: 'customers' },
      { id: 2n, name: 'bia', city: 'recife', __op: 'u', __deleted: 'false', __lsn: 12n, __source_ts_ms: 1002n, __table: 'customers' },
      { id: 3n, name: 'caio', city: 'bh', __op: 'r', __deleted: 'false', __lsn: 13n, __source_ts_ms: 1003n, __table: 'customers' },
    ], { sequence: '__lsn' })
    expect(r.cdc).toEqual({ format: 'debezium', opColumn: '__op', sequence: '__lsn' })
    expect(await live(t)).toEqual(['2:bia:recife', '3:caio:bh', '4:davi:poa'])
    expect(t.schema.fields.map((x) => x.name)).toEqual(['id', 'name', 'city'])
    // __deleted alone (boolean) is enough; with a true flag the row is a delete
    const r2 = await t.merge([{ id: 3n, name: 'caio', city: 'bh', __deleted: true }, { id: 5n, name: 'eva', city: 'ssa', __deleted: false }])
    expect(r2.cdc).toEqual({ format: 'debezium', opColumn: null, sequence: null })
    expect(await live(t)).toEqual(['2:bia:recife', '4:davi:poa', '5:eva:ssa'])
  })

  it('Debezium envelope, bare or wrapped in payload: c/r/u take after, d takes the key from before; sequence a path; tombstones skipped', async () => {
    const t = await customers()
    const src = (lsn: number) => ({ connector: 'postgresql', lsn, ts_ms: 5000 + lsn })
    const r = await t.merge(([
      { before: null, after: { id: 9, name: 'ivo', city: 'cwb' }, op: 'c', source: src(30), ts_ms: 1 },
      { payload: { before: { id: 1, name: 'ana', city: 'rio' }, after: null, op: 'd', source: src(31), ts_ms: 2 } },
      null, // Kafka tombstone after the delete
      { payload: null },
      { before: { id: 2, name: 'bia', city: 'sp' }, after: { id: 2, name: 'bia', city: 'natal' }, op: 'u', source: src(33), ts_ms: 3 },
      { before: { id: 2, name: 'bia', city: 'sp' }, after: { id: 2, name: 'bia', city: 'old' }, op: 'u', source: src(32), ts_ms: 4 },
    ]) as Record<string, unknown>[], { sequence: 'source.lsn' })
    expect(r.cdc).toEqual({ format: 'debezium-envelope', opColumn: 'op', sequence: 'source.lsn' })
    expect(await live(t)).toEqual(['2:bia:natal', '3:caio:bh', '9:ivo:cwb'])
  })

  it('Debezium envelope as Arrow struct columns', async () => {
    const t = await customers()
    const image = new arrow.Struct([new arrow.Field('id', new arrow.Int64(), false), new arrow.Field('name', new arrow.Utf8(), true), new arrow.Field('city', new arrow.Utf8(), true)])
    const table = new arrow.Table({
      before: arrow.vectorFromArray([null, { id: 3n, name: 'caio', city: 'bh' }], image),
      after: arrow.vectorFromArray([{ id: 7n, name: 'gil', city: 'fln' }, null], image),
      op: arrow.vectorFromArray(['c', 'd'], new arrow.Utf8()),
    })
    const r = await t.merge(table)
    expect(r.cdc.format).toBe('debezium-envelope')
    expect(await live(t)).toEqual(['1:ana:rio', '2:bia:sp', '7:gil:fln'])
    // one RecordBatch of it too: the insert is now an update, the delete finds nothing
    const again = await t.merge(table.batches[0])
    expect(again.metrics).toMatchObject({ numTargetRowsUpdated: 1, numTargetRowsInserted: 0, numTargetRowsDeleted: 0 })
  })

  it('AWS DMS: Op I/U/D', async () => {
    const t = await customers()
    const r = await t.merge([{ Op: 'U', id: 1n, name: 'ana', city: 'vix' }, { Op: 'D', id: 2n, name: null, city: null }, { Op: 'I', id: 6n, name: 'flor', city: 'mao' }])
    expect(r.cdc).toEqual({ format: 'dms', opColumn: 'Op', sequence: null })
    expect(await live(t)).toEqual(['1:ana:vix', '3:caio:bh', '6:flor:mao'])
  })

  it('Delta change data feed: another table\'s changes(), pre-images ignored, _commit_version the sequence, CDF columns never stored', async () => {
    const bronze = await customers([], { 'delta.enableChangeDataFeed': 'true' })
    const silver = await customers()
    await bronze.update('id = 1', { city: "'niteroi'" })
    await bronze.delete('id = 2')
    await bronze.append([{ id: 8n, name: 'hugo', city: 'bel' }])
    const feed = await bronze.changes({ startVersion: 2 })
    expect(feed.map((c) => c._change_type).sort()).toEqual(['delete', 'insert', 'update_postimage', 'update_preimage'])
    // pre-images placed after post-images, batch reversed: still exact
    const r = await silver.merge(feed.reverse())
    expect(r.cdc).toEqual({ format: 'delta-cdf', opColumn: '_change_type', sequence: '_commit_version' })
    expect(await live(silver)).toEqual(await live(bronze))
    expect(silver.schema.fields.map((x) => x.name)).toEqual(['id', 'name', 'city'])
  })

  it('Delta change data feed as Arrow', async () => {
    const t = await customers()
    const table = new arrow.Table({
      id: arrow.vectorFromArray([1n, 1n, 3n, 4n], new arrow.Int64()),
      name: arrow.vectorFromArray(['ana', 'ana', 'caio', 'duda'], new arrow.Utf8()),
      city: arrow.vectorFromArray(['rio', 'angra', 'bh', 'poa'], new arrow.Utf8()),
      _change_type: arrow.vectorFromArray(['update_preimage', 'update_postimage', 'delete', 'insert'], new arrow.Utf8()),
      _commit_version: arrow.vectorFromArray([5n, 5n, 6n, 4n], new arrow.Int64()),
      _commit_timestamp: arrow.vectorFromArray([new Date(5), new Date(5), new Date(6), new Date(4)], new arrow.TimestampMillisecond()),
    })
    const r = await t.merge(table)
    expect(r.cdc.format).toBe('delta-cdf')
    expect(await live(t)).toEqual(['1:ana:angra', '2:bia:sp', '4:duda:poa'])
  })

  it('forcing a format reads that format\'s op column; opColumn picks any column', async () => {
    const t = await customers()
    const r = await t.merge([{ kind: 'delete', id: 3n, name: null, city: null }], { opColumn: 'kind' })
    expect(r.cdc).toEqual({ format: 'plain', opColumn: 'kind', sequence: null })
    const r2 = await t.merge([{ op: 'd', id: 2n, name: null, city: null }], { format: 'debezium', opColumn: 'op' })
    expect(r2.cdc.format).toBe('debezium')
    expect(await live(t)).toEqual(['1:ana:rio'])
  })

  it('a candidate op column the table stores is data: bronze keeping its raw op feeds silver through the CDF', async () => {
    const bronze = await customers([f('op', 'string')], { 'delta.enableChangeDataFeed': 'true' })
    const silver = await customers([f('op', 'string')])
    await bronze.merge([{ op: 'U', id: 2n, name: 'bia', city: 'sp2' }, { op: 'D', id: 3n, name: null, city: null }])
    const r = await silver.merge(await bronze.changes({ startVersion: 2 }))
    expect(r.cdc.format).toBe('delta-cdf')
    expect(await live(silver)).toEqual(await live(bronze))
    expect((await silver.toRows({ filter: 'id = 2' }))[0].op).toBe('U')
    // both candidates stored: still ambiguous
    const both = await customers([f('op', 'string'), f('__op', 'string')])
    await refused(both, () => both.merge([{ op: 'U', __op: 'u', id: 1n, name: 'a', city: 'b' }]), ChangeFeedError, /candidate op columns/)
  })

  it('the docs\' DMS and incremental bronze → silver examples run as written', async () => {
    const t = await customers()
    await t.merge([{ Op: 'U', id: 1n, name: 'ana', city: 'vix', ts: '2026-01-02T10:00:00Z' }, { Op: 'D', id: 2n, name: 'bia', city: 'sp', ts: '2026-01-02T10:00:01Z' }], { sequence: 'ts' })
    expect(await live(t)).toEqual(['1:ana:vix', '3:caio:bh'])
    const bronze = await customers([], { 'delta.enableChangeDataFeed': 'true' })
    const silver = await DeltaTable.create(new MemoryStore(), { schema: bronze.schema, primaryKey: 'id' })
    const step = async () => {
      let next = silver.txns.get('from-bronze') ?? -1
      next += 1
      if (bronze.version >= next) {
        await silver.merge(await bronze.changes({ startVersion: next }), { txn: { appId: 'from-bronze', version: bronze.version } })
      }
    }
    await step()
    await bronze.delete('id = 1')
    await bronze.update('id = 2', { city: "'santos'" })
    await step()
    await step()
    expect(await live(silver)).toEqual(await live(bronze))
    expect(silver.txns.get('from-bronze')).toBe(bronze.version)
  })

  it('a batch of only tombstones or pre-images changes nothing; null records outside envelopes are refused', async () => {
    const t = await customers()
    const v = t.version
    expect((await t.merge([{ payload: null }, null] as never)).cdc.format).toBe('debezium-envelope')
    expect((await t.merge([{ _change_type: 'update_preimage', _commit_version: 3n, id: 1n, name: 'ana', city: 'rio' }])).version).toBe(v)
    await refused(t, () => t.merge([{ __op: 'c', id: 5n, name: 'e', city: 'f' }, null] as never), SchemaMismatchError, /row 1 is not an object/)
    expect(t.version).toBe(v)
  })

  it('a delete of a key not in the table does nothing, soft or hard', async () => {
    const t = await customers([f('gone', 'boolean')])
    const v = t.version
    const r = await t.merge([{ op: 'D', id: 99n }], { softDelete: { column: 'gone' } })
    expect(r.version).toBe(v)
    expect(r.metrics.numTargetRowsInserted).toBe(0)
  })
})

describe('change feeds: refusals (typed error, named column / value / row, table unchanged)', () => {
  it('two candidate op columns', async () => {
    const t = await customers()
    await refused(t, () => t.merge([{ op: 'U', __op: 'u', id: 1n, name: 'x', city: 'y' }]), ChangeFeedError, /candidate op columns/, /\bop\b/, /__op/)
    await refused(t, () => t.merge([{ Op: 'U', _change_type: 'insert', id: 1n, name: 'x', city: 'y' }]), ChangeFeedError, /Op \(dms\)/, /_change_type \(delta-cdf\)/)
  })

  it('an op value outside the format\'s set, named with its row', async () => {
    const t = await customers()
    await refused(t, () => t.merge([{ Op: 'U', id: 1n, name: 'x', city: 'y' }, { Op: 'c', id: 4n, name: 'x', city: 'y' }]), ChangeFeedError, /column Op at row 1/, /"c"/)
    await refused(t, () => t.merge([{ __op: 'u', id: 1n, name: 'x', city: 'y' }, { __op: 'x', id: 2n, name: 'x', city: 'y' }]), ChangeFeedError, /column __op at row 1/, /"x"/)
    await refused(t, () => t.merge([{ _change_type: 'insert', id: 5n, name: 'x', city: 'y', _commit_version: 1n }, { _change_type: 'upsert', id: 6n, name: 'x', city: 'y', _commit_version: 1n }]), ChangeFeedError, /_change_type at row 1/, /"upsert"/)
    await refused(t, () => t.merge([{ _change_type: null, id: 5n, name: 'x', city: 'y', _commit_version: 1n }]), ChangeFeedError, /operation null in column _change_type/, /row 0/)
    await refused(t, () => t.merge([{ op: 'merge', id: 1n, name: 'x', city: 'y' }]), ChangeFeedError, /column op at row 0/, /"merge"/)
    const e = await t.merge([{ Op: 'X', id: 1n, name: 'x', city: 'y' }]).catch((x: unknown) => x)
    expect(e).toMatchObject({ row: 0, value: 'X', column: 'Op' })
  })

  it('a Debezium truncate, and a __deleted that contradicts __op', async () => {
    const t = await customers()
    await refused(t, () => t.merge([{ __op: 't', id: 1n, name: null, city: null }]), ChangeFeedError, /truncate/, /row 0/, /"t"/)
    await refused(t, () => t.merge([{ before: null, after: null, op: 't', source: {} }]), ChangeFeedError, /truncate/, /row 0/)
    await refused(t, () => t.merge([{ __op: 'u', __deleted: 'false', id: 1n, name: 'a', city: 'b' }, { __op: 'd', __deleted: 'false', id: 2n, name: 'a', city: 'b' }]), ChangeFeedError, /column __deleted at row 1 of the CDC batch contradicts __op = "d"/, /row 1/)
    await refused(t, () => t.merge([{ __op: 'c', __deleted: 'true', id: 2n, name: 'a', city: 'b' }]), ChangeFeedError, /contradicts __op = "c"/, /row 0/)
    await refused(t, () => t.merge([{ __op: 'c', __deleted: 'maybe', id: 2n, name: 'a', city: 'b' }]), ChangeFeedError, /__deleted/, /"maybe"/, /row 0/)
  })

  it('a malformed envelope', async () => {
    const t = await customers()
    await refused(t, () => t.merge([{ before: null, after: null, op: 'c', source: {} }]), ChangeFeedError, /after image/, /row 0/)
    await refused(t, () => t.merge([{ before: null, after: { id: 1, name: 'a', city: 'b' }, op: 'c' }], { sequence: 'source.lsn' }), SchemaMismatchError, /source\.lsn/)
  })

  it('a batch column neither in the table nor the format\'s: refused as append refuses it, unless mergeSchema or ignoreColumns', async () => {
    const t = await customers()
    await refused(t, () => t.merge([{ id: 1n, name: 'a', city: 'b', nickname: 'aninha' }]), SchemaMismatchError, /column nickname/, /mergeSchema/, /ignoreColumns/)
    await refused(t, () => t.append([{ id: 1n, name: 'a', city: 'b', nickname: 'aninha' }]), SchemaMismatchError, /nickname/)
    await refused(t, () => t.merge([{ before: null, after: { id: 7, name: 'a', city: 'b', extra: 1 }, op: 'c' }]), SchemaMismatchError, /column extra/)
    // a plain feed's `__lsn` is not metadata (only Debezium's `__` columns are)
    await refused(t, () => t.merge([{ op: 'u', id: 1n, name: 'a', city: 'b', __lsn: 3n }]), SchemaMismatchError, /__lsn/)
    await t.merge([{ id: 1n, name: 'a', city: 'b', nickname: 'aninha' }], { ignoreColumns: ['nickname'] })
    expect(t.schema.fields.map((x) => x.name)).toEqual(['id', 'name', 'city'])
    await t.merge([{ id: 2n, name: 'b', city: 'c', nickname: 'bibi' }], { mergeSchema: true })
    expect(t.schema.fields.map((x) => x.name)).toEqual(['id', 'name', 'city', 'nickname'])
    expect((await t.toRows()).map((r) => r.nickname).sort()).toEqual(['bibi', null, null])
  })

  it('a target column the whole batch lacks: refused for upserts unless mergeSchema (updates keep, inserts NULL); deletes need only the key', async () => {
    const t = await customers()
    await refused(t, () => t.merge([{ id: 1n, name: 'x' }]), SchemaMismatchError, /cannot resolve target column city/)
    await refused(t, () => t.merge([{ op: 'D', id: 1n }, { op: 'U', id: 2n, name: 'x' }]), SchemaMismatchError, /city/)
    await t.merge([{ op: 'D', id: 3n }])
    await t.merge([{ id: 1n, name: 'x' }, { id: 4n, name: 'y' }], { mergeSchema: true })
    expect(await live(t)).toEqual(['1:x:rio', '2:bia:sp', '4:y:null'])
  })

  it('unknown options: the medallion spelling `op`, a misspelled `sequense`, a nested key, an unknown format', async () => {
    const t = await customers()
    await refused(t, () => t.merge([{ __op: 'd', id: 1n }], bad({ op: '__op' })), UnknownOptionError, /"op"/, /opColumn/)
    await refused(t, () => t.merge([{ id: 1n, name: 'a', city: 'b', seq: 1n }], bad({ sequense: 'seq' })), UnknownOptionError, /"sequense"/, /did you mean sequence/)
    await refused(t, () => t.merge([{ op: 'D', id: 1n }], bad({ softDelete: { colum: 'gone' } })), UnknownOptionError, /colum/)
    await refused(t, () => t.merge([{ op: 'D', id: 1n }], bad({ format: 'maxwell' })), Error, /unknown format "maxwell"/)
    expect(() => t.merge([{ id: 1n }], { on: ['id'], mergeSchma: true } as never)).toThrow(UnknownOptionError)
  })
})

describe('MERGE builder: updateAll / insertAll follow Delta\'s resolution rules', () => {
  it('a target column the source lacks: "cannot resolve target column", unless mergeSchema (update keeps, insert NULL)', async () => {
    const t = await customers()
    const src = [{ id: 1n, name: 'ANA' }, { id: 5n, name: 'EVA' }]
    await refused(t, () => t.merge(src, { on: ['id'] }).whenMatchedUpdateAll().execute(), SchemaMismatchError, /cannot resolve target column city in whenMatchedUpdateAll/)
    await refused(t, () => t.merge(src, { on: ['id'] }).whenNotMatchedInsertAll().execute(), SchemaMismatchError, /cannot resolve target column city in whenNotMatchedInsertAll/)
    await t.merge(src, { on: ['id'], mergeSchema: true }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    expect(await live(t)).toEqual(['1:ANA:rio', '2:bia:sp', '3:caio:bh', '5:EVA:null'])
    // explicit assignments are not `*`: columns they leave out keep their values, as Delta
    await t.merge([{ id: 2n, name: 'BIA' }], { on: ['id'] }).whenMatchedUpdate({ set: { name: 's.name' } }).execute()
    expect(await live(t)).toContain('2:BIA:sp')
  })

  it('generated and identity columns may be missing from the source: computed, generated on insert, kept on update', async () => {
    const t = await DeltaTable.create(new MemoryStore(), {
      schema: { type: 'struct', fields: [f('k', 'string', false), f('n', 'integer'), { ...f('twice', 'integer'), metadata: { 'delta.generationExpression': 'n * 2' } }, { ...f('rid', 'long'), metadata: { 'delta.identity.start': 1, 'delta.identity.step': 1, 'delta.identity.allowExplicitInsert': false } }] },
    })
    await t.append([{ k: 'a', n: 1 }])
    await t.merge([{ k: 'a', n: 5 }, { k: 'b', n: 7 }], { on: ['k'] }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    const rows = (await t.toRows()).sort((x, y) => String(x.k).localeCompare(String(y.k)))
    expect(rows.map((r) => `${r.k}:${r.n}:${r.twice}`)).toEqual(['a:5:10', 'b:7:14'])
    expect(rows[0].rid).toBe(1n)
    expect(rows[1].rid).not.toBe(rows[0].rid)
  })
})
