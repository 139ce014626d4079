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
    await expect(t.setProperties({ 'delta.enableRowTracking': 'true' })).rejects.toThrow(UnsupportedFeatureError)
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
    await expect(t.dropColumn('v')).rejects.toThrow(UnsupportedFeatureError)
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
    await expect(t.dropColumn('region')).rejects.toThrow(/partition column/)
    await t.dropColumn('value')
    expect((await t.toRows()).find((r) => r.id === 10n)).toEqual({ id: 10n, region: 'a' })
    // old versions still read with their own schema
    expect(canon(await (await DeltaTable.open(store, { version: 1 })).toRows())).toBe(before)
    await expect(t.renameColumn('nope', 'x')).rejects.toThrow(SchemaMismatchError)
  })

  it('renaming or dropping a column a CHECK constraint uses is refused', async () => {
    const { t } = await newTable({ properties: { 'delta.columnMapping.mode': 'name' } })
    await t.addConstraint('positive', 'v >= 0')
    await expect(t.dropColumn('v')).rejects.toThrow(/positive/)
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
