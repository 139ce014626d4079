import { describe, expect, it } from 'vitest'
import { ConstraintViolationError, ExpressionError, InvalidArgumentError, SchemaMismatchError, UnsupportedFeatureError } from '../../src/errors.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { canon, newTable, rowsOf } from './fixtures.js'

describe('table properties', () => {
  it('set and unset are commits; values are validated; enabling a feature upgrades the protocol', async () => {
    const { t } = await newTable({ properties: { 'delta.enableDeletionVectors': 'false' } })
    expect(t.protocol.writerFeatures ?? []).not.toContain('changeDataFeed')
    const r = await t.setProperties({ 'delta.enableChangeDataFeed': 'true', 'owner': 'ana' })
    expect(r.version).toBe(1)
    expect(t.properties).toMatchObject({ 'delta.enableChangeDataFeed': 'true', owner: 'ana' })
    expect(t.protocol.minWriterVersion).toBeGreaterThanOrEqual(4)
    const [h] = await t.history({ limit: 1 })
    expect(h.operation).toBe('SET TBLPROPERTIES')
    await expect(t.setProperties({ 'delta.appendOnly': 'yes' })).rejects.toThrow(InvalidArgumentError)
    await expect(t.setProperties({ 'delta.isolationLevel': 'Snapshot' })).rejects.toThrow(InvalidArgumentError)
    await expect(t.setProperties({ 'delta.constraints.x': 'id > 0' })).rejects.toThrow(/addConstraint/)
    await expect(t.setProperties({ 'delta.columnMapping.mode': 'id' })).rejects.toThrow(UnsupportedFeatureError)
    await t.unsetProperties(['owner'])
    expect(t.properties.owner).toBeUndefined()
    await expect(t.unsetProperties(['owner'])).rejects.toThrow(/ifExists/)
    const v = t.version
    await t.unsetProperties(['owner'], { ifExists: true })
    expect(t.version).toBe(v + 1)
    // enabling row tracking on a table with files backfills row ids on every file (PROTOCOL.md)
    await t.append(rowsOf(0, 2, 'x'))
    await t.append(rowsOf(2, 3, 'y'))
    const before = t.version
    await t.setProperties({ 'delta.enableRowTracking': 'true' })
    expect(t.version).toBe(before + 1)
    expect(t.properties['delta.rowTracking.materializedRowIdColumnName']).toMatch(/^_row-id-col-/)
    expect(t.protocol.writerFeatures).toEqual(expect.arrayContaining(['rowTracking', 'domainMetadata']))
    for (const f of await t.files()) {
      expect(typeof f.baseRowId).toBe('number')
      expect(f.defaultRowCommitVersion).toBe(before + 1)
    }
    const ids = await t.toRows({ rowTracking: true })
    expect(new Set(ids.map((r) => r._row_id)).size).toBe(5)
    // ids survive an update of other rows
    await t.update('id = 0', { v: '1.5' })
    const after = await t.toRows({ rowTracking: true })
    for (const r of after) expect(r._row_id).toBe(ids.find((x) => x.id === r.id)!._row_id)
    await expect(t.setProperties({ 'delta.rowTrackingSuspended': 'true' })).resolves.toBeDefined()
  })

  it('enabling in-commit timestamps records the enablement version and timestamp', async () => {
    const { t } = await newTable()
    await t.setProperties({ 'delta.enableInCommitTimestamps': 'true' })
    expect(t.properties['delta.inCommitTimestampEnablementVersion']).toBe(String(t.version))
    expect(Number(t.properties['delta.inCommitTimestampEnablementTimestamp'])).toBe(t.timestamp)
    await t.append(rowsOf(0, 2, 'x'))
    expect((await DeltaTable.open(t.store)).version).toBe(2)
  })
})

describe('schema changes', () => {
  it('add columns (existing rows read null); refuses NOT NULL and duplicates', async () => {
    const { t } = await newTable()
    await t.append(rowsOf(0, 2, 'x'))
    await t.addColumns([{ name: 'note', type: 'string' }, { name: 'meta', type: { type: 'struct', fields: [{ name: 'k', type: 'integer', nullable: true, metadata: {} }] } }])
    await t.append([{ id: 5n, part: 'x', v: 1, note: 'hi', meta: { k: 3 } }])
    const rows = await t.toRows()
    expect(rows.map((r) => r.note)).toEqual([null, null, 'hi'])
    expect(rows[2].meta).toEqual({ k: 3 })
    await expect(t.addColumns([{ name: 'NOTE', type: 'string' }])).rejects.toThrow(SchemaMismatchError)
    await expect(t.addColumns([{ name: 'n2', type: 'long', nullable: false }])).rejects.toThrow(/NOT NULL/)
  })

  it('rename and drop need column mapping; enabling it keeps existing files readable', async () => {
    const { store, t } = await newTable({ partitioned: true })
    await t.append([...rowsOf(0, 3, 'a'), ...rowsOf(3, 3, 'b')])
    await expect(t.renameColumn('v', 'value')).rejects.toThrow(/column mapping/)
    await expect(t.dropColumns(['v'])).rejects.toThrow(UnsupportedFeatureError)
    const before = canon(await t.toRows())
    await t.setProperties({ 'delta.columnMapping.mode': 'name' })
    expect(t.protocol.minReaderVersion).toBeGreaterThanOrEqual(2)
    expect(t.schema.fields.map((f) => f.metadata['delta.columnMapping.physicalName'])).toEqual(['id', 'part', 'v'])
    expect(canon(await t.toRows())).toBe(before)
    await t.renameColumn('v', 'value')
    await t.renameColumn('part', 'region')
    expect(t.partitionColumns).toEqual(['region'])
    await t.append([{ id: 10n, region: 'a', value: 2.5 }])
    const rows = await t.toRows()
    expect(rows.find((r) => r.id === 0n)).toEqual({ id: 0n, region: 'a', value: 0 })
    expect(rows.find((r) => r.id === 10n)).toEqual({ id: 10n, region: 'a', value: 2.5 })
    await expect(t.dropColumns(['region'])).rejects.toThrow(/partition column/)
    await t.dropColumns(['value'])
    expect((await t.toRows()).find((r) => r.id === 10n)).toEqual({ id: 10n, region: 'a' })
    // old versions still read with their own schema
    expect(canon(await (await DeltaTable.open(store, { version: 1 })).toRows())).toBe(before)
    await expect(t.renameColumn('nope', 'x')).rejects.toThrow(SchemaMismatchError)
  })

  it('delta.dataSkippingStatsColumns follows renames and drops', async () => {
    const { t } = await newTable({ properties: { 'delta.columnMapping.mode': 'name', 'delta.dataSkippingStatsColumns': 'v,id' } })
    await t.renameColumn('v', 'value')
    expect(t.properties['delta.dataSkippingStatsColumns']).toBe('value,id')
    await t.append([{ id: 1n, part: 'x', value: 0.5 }])
    const phys = t.schema.fields.find((f) => f.name === 'value')!.metadata['delta.columnMapping.physicalName'] as string
    expect(JSON.parse((await t.files())[0].stats!).minValues).toHaveProperty(phys)
    await t.dropColumns(['value'])
    expect(t.properties['delta.dataSkippingStatsColumns']).toBe('id')
  })

  it('dropColumns drops several columns in one commit and takes only an array', async () => {
    const { t } = await newTable({ properties: { 'delta.columnMapping.mode': 'name' } })
    await t.addColumns([{ name: 'a', type: 'string' }, { name: 'b', type: 'integer' }])
    const before = t.schema.fields.map((f) => f.name)
    const v = t.version
    await expect(t.dropColumns('a' as never)).rejects.toThrow(InvalidArgumentError)
    await expect(t.dropColumns([], { extra: 1 } as never)).rejects.toThrow(/extra/)
    expect(t.version).toBe(v)
    await t.dropColumns(['a', 'b'])
    expect(t.version).toBe(v + 1)
    expect(t.schema.fields.map((f) => f.name)).toEqual(before.filter((n) => n !== 'a' && n !== 'b'))
  })

  it('renaming or dropping a column a CHECK constraint uses is refused', async () => {
    const { t } = await newTable({ properties: { 'delta.columnMapping.mode': 'name' } })
    await t.addConstraint('positive', 'v >= 0')
    await expect(t.dropColumns(['v'])).rejects.toThrow(/positive/)
    await expect(t.renameColumn('v', 'w')).rejects.toThrow(/positive/)
  })
})

describe('CHECK constraints', () => {
  it('added after validating existing rows, enforced on later writes, dropped', async () => {
    const { t } = await newTable()
    await t.append(rowsOf(0, 5, 'x'))
    const e = await t.addConstraint('small', 'id < 3').catch((x) => x)
    expect(e).toBeInstanceOf(ConstraintViolationError)
    expect(e.message).toMatch(/2 existing rows violate it/)
    await expect(t.addConstraint('bad', 'nope > 1')).rejects.toThrow(ExpressionError)
    await expect(t.addConstraint('bad name', 'id > 0')).rejects.toThrow(InvalidArgumentError)
    await t.addConstraint('idNonNegative', 'id >= 0 AND v IS NOT NULL')
    expect(t.properties['delta.constraints.idnonnegative']).toBe('id >= 0 AND v IS NOT NULL')
    expect(t.protocol.minWriterVersion).toBeGreaterThanOrEqual(3)
    await expect(t.addConstraint('idNonNegative', 'id > 0')).rejects.toThrow(/already/)
    await expect(t.append([{ id: -1n, part: 'x', v: 1 }])).rejects.toThrow(ConstraintViolationError)
    const [h] = await t.history({ limit: 1 })
    expect(h.operation).toBe('ADD CONSTRAINT')
    await t.dropConstraint('IDNONNEGATIVE')
    await t.append([{ id: -1n, part: 'x', v: 1 }])
    await expect(t.dropConstraint('idNonNegative')).rejects.toThrow(/ifExists/)
    const v = t.version
    await t.dropConstraint('idNonNegative', { ifExists: true })
    expect(t.version).toBe(v)
  })
})

describe('property keys', () => {
  it('delta.* keys: canonical case, unknown ones refused, features and legacy versions', async () => {
    const { t } = await newTable({ properties: { 'delta.enableDeletionVectors': 'false' } })
    expect(t.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 })
    await expect(t.setProperties({ 'delta.deletedFileRetentionDurations': 'interval 1 days' })).rejects.toThrow(/allowArbitraryProperties/)
    await t.setProperties({ 'delta.deletedFileRetentionDurations': 'x' }, { allowArbitraryProperties: true })
    await t.setProperties({ 'DELTA.APPENDONLY': 'false' })
    expect(t.properties['delta.appendOnly']).toBe('false')
    await t.setProperties({ 'delta.minWriterVersion': '4' })
    expect(t.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 4 })
    expect(t.properties['delta.minWriterVersion']).toBeUndefined()
    await expect(t.setProperties({ 'delta.minWriterVersion': '7' })).rejects.toThrow(/delta.feature/)
    await t.setProperties({ 'delta.feature.deletionVectors': 'supported' })
    expect(t.protocol.readerFeatures).toContain('deletionVectors')
    expect(t.protocol.writerFeatures).toEqual(expect.arrayContaining(['deletionVectors', 'changeDataFeed', 'checkConstraints']))
    expect(Object.keys(t.properties).some((k) => k.startsWith('delta.feature'))).toBe(false)
    await t.append(rowsOf(0, 2, 'x'))
    // supporting row tracking on a table with files gives them row ids
    await t.setProperties({ 'delta.feature.rowTracking': 'supported' })
    expect((await t.files()).every((f) => typeof f.baseRowId === 'number')).toBe(true)
    expect((await t.toRows()).length).toBe(2)
  })
})

describe('nested columns', () => {
  it('adds a field inside a struct column; renames and drops nested fields under column mapping', async () => {
    const { t } = await newTable({ properties: { 'delta.columnMapping.mode': 'name' } })
    await t.addColumns([{ name: 'meta', type: { type: 'struct', fields: [{ name: 'k', type: 'integer', nullable: true, metadata: {} }] } }])
    await t.append([{ id: 1n, part: 'x', v: 1, meta: { k: 1 } }])
    await t.addColumns([{ name: 'tag', type: 'string', parent: 'meta' }])
    await expect(t.addColumns([{ name: 'K', type: 'string', parent: 'meta' }])).rejects.toThrow(SchemaMismatchError)
    await expect(t.addColumns([{ name: 'z', type: 'string', parent: 'v' }])).rejects.toThrow(/not a struct/)
    await t.append([{ id: 2n, part: 'x', v: 2, meta: { k: 2, tag: 'b' } }])
    expect((await t.toRows()).map((r) => r.meta)).toEqual([{ k: 1, tag: null }, { k: 2, tag: 'b' }])
    await t.renameColumn('meta.k', 'key')
    await t.dropColumns(['meta.tag'])
    expect((await t.toRows()).map((r) => r.meta)).toEqual([{ key: 1 }, { key: 2 }])
    const [h] = await t.history({ limit: 1 })
    expect(h.operation).toBe('DROP COLUMNS')
  })
})
