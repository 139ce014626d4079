import { describe, expect, it } from 'vitest'
import { assignColumnMapping, featuresInUse, maxColumnIdOf, mergeProtocols, protocolFor, sameProtocol } from '../../src/write/features.js'
import type { StructType } from '../../src/schema/types.js'

describe('protocol selection', () => {
  it('legacy versions when every feature has one, table features otherwise', () => {
    expect(protocolFor(new Set())).toEqual({ minReaderVersion: 1, minWriterVersion: 2 })
    expect(protocolFor(new Set(['checkConstraints', 'generatedColumns']))).toEqual({ minReaderVersion: 1, minWriterVersion: 4 })
    expect(protocolFor(new Set(['columnMapping']))).toEqual({ minReaderVersion: 2, minWriterVersion: 5 })
    expect(protocolFor(new Set(['deletionVectors', 'checkConstraints']))).toEqual({
      minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['appendOnly', 'checkConstraints', 'deletionVectors', 'invariants'],
    })
    expect(protocolFor(new Set(['inCommitTimestamp']))).toEqual({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly', 'inCommitTimestamp', 'invariants'] })
  })

  it('upgrading a legacy protocol keeps every feature it implied', () => {
    const up = mergeProtocols({ minReaderVersion: 2, minWriterVersion: 5 }, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures: ['timestampNtz'] })
    expect(up.readerFeatures).toEqual(['columnMapping', 'timestampNtz'])
    expect(up.writerFeatures).toEqual(['appendOnly', 'changeDataFeed', 'checkConstraints', 'columnMapping', 'generatedColumns', 'invariants', 'timestampNtz'])
  })

  it('merging adds nothing a table did not list (no spurious protocol actions)', () => {
    const deltaRs = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] }
    const schema: StructType = { type: 'struct', fields: [{ name: 'a', type: 'long', nullable: true, metadata: {} }] }
    const merged = mergeProtocols(deltaRs, protocolFor(featuresInUse(schema, { 'delta.enableDeletionVectors': 'true' }), undefined, false))
    expect(sameProtocol(merged, deltaRs)).toBe(true)
    expect(sameProtocol(mergeProtocols(deltaRs, { minReaderVersion: 1, minWriterVersion: 2 }), deltaRs)).toBe(false) // (1,2) implies appendOnly + invariants
    expect(merged.writerFeatures).toContain('deletionVectors')
    expect(sameProtocol({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['b', 'a'], writerFeatures: ['a', 'b'] }, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['a', 'b'], writerFeatures: ['b', 'a'] })).toBe(true)
  })

  it('column mapping ids and physical names for every nested field, continuing from the max id', () => {
    const schema: StructType = { type: 'struct', fields: [
      { name: 'a', type: 'long', nullable: true, metadata: { 'delta.columnMapping.id': 4, 'delta.columnMapping.physicalName': 'col-a' } },
      { name: 's', type: { type: 'array', elementType: { type: 'struct', fields: [{ name: 'x', type: 'string', nullable: true, metadata: {} }] }, containsNull: true }, nullable: true, metadata: {} },
    ] }
    const { schema: out, maxColumnId } = assignColumnMapping(schema, maxColumnIdOf(schema))
    expect(maxColumnId).toBe(6)
    expect(out.fields[0].metadata['delta.columnMapping.physicalName']).toBe('col-a')
    expect(out.fields[1].metadata['delta.columnMapping.id']).toBe(5)
    const inner = (out.fields[1].type as { elementType: StructType }).elementType.fields[0]
    expect(inner.metadata['delta.columnMapping.id']).toBe(6)
    expect(String(inner.metadata['delta.columnMapping.physicalName'])).toMatch(/^col-[0-9a-f-]{36}$/)
  })
})
