import { describe, expect, it } from 'vitest'
import { CorruptLogError } from '../../src/errors.js'
import { parseAction, parseActionLines } from '../../src/log/actions.js'

const ctx = { table: 'memory://t', file: '_delta_log/00000000000000000007.json', version: 7 }

describe('parseAction', () => {
  it('validates an add and keeps unknown fields out of the way', () => {
    const a = parseAction({ add: { path: 'a.parquet', partitionValues: { p: '1' }, size: 10, modificationTime: 5, dataChange: true, futureField: [1] } }, ctx)
    expect(a).toMatchObject({ add: { path: 'a.parquet', size: 10, partitionValues: { p: '1' } } })
  })

  it('ignores unknown action types', () => {
    expect(parseAction({ somethingNew: { x: 1 } }, ctx)).toBeUndefined()
  })

  it('normalises Parquet-decoded int64 (bigint) to numbers', () => {
    const a = parseAction({ add: { path: 'a', partitionValues: {}, size: 10n, modificationTime: 5n, dataChange: false } }, ctx)
    expect(a).toMatchObject({ add: { size: 10, modificationTime: 5 } })
  })

  it('defaults a missing partitionValues map and a missing schemaString', () => {
    expect(parseAction({ add: { path: 'a', size: 1 } }, ctx)).toMatchObject({ add: { partitionValues: {} } })
    const m = parseAction({ metaData: { id: 'x', partitionColumns: [], configuration: {} } }, ctx) as { metaData: { schemaString: string } }
    expect(JSON.parse(m.metaData.schemaString)).toEqual({ type: 'struct', fields: [] })
  })

  it.each([
    [{ add: { path: 7, partitionValues: {}, size: 1 } }, 'add.path'],
    [{ add: { path: 'a', partitionValues: {}, size: '1' } }, 'add.size'],
    [{ add: { path: 'a', partitionValues: { p: 1 }, size: 1 } }, 'add.partitionValues.p'],
    [{ remove: { path: 'a', dataChange: 'yes' } }, 'remove.dataChange'],
    [{ protocol: { minReaderVersion: '1', minWriterVersion: 2 } }, 'protocol.minReaderVersion'],
    [{ txn: { appId: 'a' } }, 'txn.version'],
    [{ add: { path: 'a', partitionValues: {}, size: 1, deletionVector: { storageType: 'x', pathOrInlineDv: 'a', sizeInBytes: 1, cardinality: 1 } } }, 'storageType'],
  ])('wrong field types raise CorruptLogError naming field, file and table (%#)', (json, field) => {
    let err: unknown
    try { parseAction(json, { ...ctx, line: 3 }) } catch (e) { err = e }
    expect(err).toBeInstanceOf(CorruptLogError)
    const msg = (err as Error).message
    expect(msg).toContain(field)
    expect(msg).toContain('line 3 of _delta_log/00000000000000000007.json')
    expect(msg).toContain('memory://t')
  })
})

describe('parseActionLines', () => {
  it('parses lines, skipping blank ones and unknown actions', () => {
    const text = '{"commitInfo":{"timestamp":1}}\n\n{"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}}\n{"newThing":{}}\n'
    expect(parseActionLines(text, ctx).map((a) => Object.keys(a)[0])).toEqual(['commitInfo', 'add'])
  })

  it('reports malformed JSON with file and line', () => {
    const text = '{"commitInfo":{"timestamp":1}}\n{"add":{"path":"a",\n'
    expect(() => parseActionLines(text, ctx)).toThrowError(CorruptLogError)
    expect(() => parseActionLines(text, ctx)).toThrowError(/line 2 of _delta_log\/00000000000000000007\.json/)
  })

  it('rejects a line that is JSON but not an object', () => {
    expect(() => parseActionLines('[1,2]\n', ctx)).toThrowError(/line 1/)
  })
})
