import { describe, expect, it } from 'vitest'
import { DeltaTable, InvalidArgumentError, MemoryStore, StorageError, UnsupportedFeatureError, listAll } from '../../src/index.js'
import { parseActionLines } from '../../src/log/actions.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { Transaction } from '../../src/txn/transaction.js'
import { append, createTable } from '../../src/write/operations.js'
import type { DataType, StructField, StructType } from '../../src/schema/types.js'

const f = (name: string, type: DataType, metadata: Record<string, unknown> = {}): StructField => ({ name, type, nullable: true, metadata })
const struct = (...fields: StructField[]): StructType => ({ type: 'struct', fields })

/** A store whose data-file puts fail after `okPuts` successes (a full disk, a crash mid-write). */
class FailingStore extends MemoryStore {
  puts = 0
  constructor(private readonly okPuts: number) { super() }
  override async put(key: string, data: Uint8Array): Promise<void> {
    if (!key.startsWith('_delta_log/') && ++this.puts > this.okPuts) throw new Error('ENOSPC: no space left on device')
    return super.put(key, data)
  }
}

describe('failed writes', () => {
  it('a storage failure mid-write leaves the log as it was: orphan files at most, no commit', async () => {
    const store = new FailingStore(1)
    await createTable(store, { schema: struct(f('p', 'string'), f('v', 'long')), partitionBy: ['p'] })
    const before = await loadSnapshot(store)
    const err = await append(before, [{ p: 'a', v: 1n }, { p: 'b', v: 2n }]).catch((e) => e)
    expect(err).toBeInstanceOf(StorageError)
    expect(err.message).toMatch(/ENOSPC/)
    const after = await loadSnapshot(store)
    expect(after.version).toBe(0)
    expect(after.activeFiles()).toEqual([])
  })

  it('refuses tables needing writer features it lacks, before writing anything', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('v', 'long')) })
    const snap = await loadSnapshot(store)
    // a table that turned on a writer feature lagomago does not implement (Iceberg compatibility)
    await Transaction.on(snap, { operation: 'SET TBLPROPERTIES' })
      .setProtocol({ ...snap.protocol, writerFeatures: [...(snap.protocol.writerFeatures ?? []), 'icebergCompatV2'] })
      .commit()
    const err = await append(await loadSnapshot(store), [{ v: 1n }]).catch((e) => e)
    expect(err).toBeInstanceOf(UnsupportedFeatureError)
    expect(err.message).toMatch(/icebergCompatV2/)
    expect((await loadSnapshot(store)).version).toBe(1)
    const identity = new MemoryStore()
    await expect(createTable(identity, { schema: struct(f('id', 'integer', { 'delta.identity.start': 1, 'delta.identity.step': 1 })) }))
      .rejects.toThrow(/identity column id .* must be of type long/)
    expect(await identity.head('_delta_log/00000000000000000000.json')).toBeUndefined()
  })

  it('in-commit timestamps: every commit carries one, increasing', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('v', 'long')), properties: { 'delta.enableInCommitTimestamps': 'true', 'delta.enableDeletionVectors': 'false' } })
    const snap = await loadSnapshot(store)
    expect(snap.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly', 'inCommitTimestamp', 'invariants'] })
    await append(snap, [{ v: 1n }])
    await append(await loadSnapshot(store), [{ v: 2n }])
    const ict: number[] = []
    for (let v = 0; v <= 2; v++) {
      const actions = parseActionLines(new TextDecoder().decode(await store.get(`_delta_log/${String(v).padStart(20, '0')}.json`)))
      ict.push((actions[0] as { commitInfo: { inCommitTimestamp: number } }).commitInfo.inCommitTimestamp)
    }
    expect(ict.every((t) => typeof t === 'number')).toBe(true)
    expect(ict[1]).toBeGreaterThan(ict[0])
    expect(ict[2]).toBeGreaterThan(ict[1])
  })
})

describe('malformed schemas from the caller', () => {
  // A schema typed in plain JS (or cast) reaches createTable unchecked by the compiler.
  it('a malformed schema or added column is an InvalidArgumentError naming table and column; nothing is written', async () => {
    const store = new MemoryStore('mem://bad-schema')
    const bad = [
      { fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }, { name: 'd', type: 'decimal(40,2)', nullable: true, metadata: {} }], column: 'd' },
      { fields: [{ name: 'tags', type: { type: 'array' }, nullable: true, metadata: {} }], column: 'tags.element' },
      { fields: [{ name: 's', type: { type: 'struct', fields: 'x' }, nullable: true, metadata: {} }], column: 's' },
      { fields: [{ name: 'n', type: 42, nullable: true, metadata: {} }], column: 'n' },
    ]
    for (const b of bad) {
      const err = await DeltaTable.create(store, { schema: { type: 'struct', fields: b.fields } as unknown as StructType }).catch((e: unknown) => e)
      expect(err, JSON.stringify(b.fields)).toBeInstanceOf(InvalidArgumentError)
      expect((err as InvalidArgumentError).column).toBe(b.column)
      expect((err as Error).message).toContain('mem://bad-schema')
      expect(await listAll(store, '')).toEqual([])
    }
    const t = await DeltaTable.create(store, { schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] } })
    const err = await t.addColumns([{ name: 'm', type: { type: 'map', keyType: 'string' } as unknown as DataType }]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect((err as InvalidArgumentError).column).toBe('m.value')
    expect((await DeltaTable.open(store)).version).toBe(0)
    expect((await DeltaTable.open(store)).schema.fields.map((f) => f.name)).toEqual(['id'])
  })
})

describe('concurrent writers', () => {
  it('two blind appends planned on the same version both commit (the loser rebases)', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('v', 'long')) })
    const snap = await loadSnapshot(store)
    const [a, b] = await Promise.all([append(snap, [{ v: 1n }]), append(snap, [{ v: 2n }])])
    expect([a.version, b.version].sort()).toEqual([1, 2])
    expect((await loadSnapshot(store)).activeFiles()).toHaveLength(2)
  })

  it('a full overwrite racing a blind append: WriteSerializable orders the append after it (Delta semantics)', async () => {
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('v', 'long')) })
    await append(await loadSnapshot(store), [{ v: 0n }])
    const snap = await loadSnapshot(store)
    await append(snap, [{ v: 1n }])
    const { overwrite } = await import('../../src/write/operations.js')
    const r = await overwrite(snap, [{ v: 9n }])
    expect(r.version).toBe(3)
    const { toRows } = await import('../../src/scan/scan.js')
    expect((await toRows(await loadSnapshot(store))).map((x) => x.v).sort()).toEqual([1n, 9n])
  })
})

describe('row tracking', () => {
  it('assigns fresh row ids above the high water mark and records the mark', async () => {
    const { checkWriteSupport, rowIdHighWaterMark } = await import('../../src/write/features.js')
    const store = new MemoryStore()
    await createTable(store, { schema: struct(f('v', 'long')), properties: { 'delta.enableRowTracking': 'true' } })
    let snap = await loadSnapshot(store)
    expect(snap.protocol.writerFeatures).toEqual(expect.arrayContaining(['rowTracking', 'domainMetadata']))
    expect(snap.properties['delta.rowTracking.materializedRowIdColumnName']).toMatch(/^_row-id-col-/)
    // every operation writes to it now (the common check passes)
    expect(() => checkWriteSupport(snap.protocol, snap.schema, snap.properties)).not.toThrow()
    await append(snap, [{ v: 1n }, { v: 2n }, { v: 3n }])
    snap = await loadSnapshot(store)
    await append(snap, [{ v: 4n }])
    snap = await loadSnapshot(store)
    const files = snap.activeFiles().map((a) => [a.baseRowId, a.defaultRowCommitVersion]).sort()
    expect(files).toEqual([[0, 1], [3, 2]])
    expect(rowIdHighWaterMark(snap.domainMetadata)).toBe(3)
  })
})

describe('racing creators', () => {
  it('the loser of a create race gets TableExistsError (or the table with ifExists: ignore)', async () => {
    const { TableExistsError } = await import('../../src/index.js')
    const store = new MemoryStore()
    const schema = struct(f('v', 'long'))
    const results = await Promise.allSettled([createTable(store, { schema }), createTable(store, { schema })])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(lost.reason).toBeInstanceOf(TableExistsError)
    const other = new MemoryStore()
    const both = await Promise.all([createTable(other, { schema, ifExists: 'ignore' }), createTable(other, { schema, ifExists: 'ignore' })])
    expect(both.map((r) => r.version)).toEqual([0, 0])
  })
})
