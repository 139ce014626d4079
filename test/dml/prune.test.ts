import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { filesHoldingKeys, keyRangePredicate, PRUNE_SCAN } from '../../src/dml/prune.js'
import { keyValues, sideBatch } from '../../src/dml/join.js'
import { bindExpr } from '../../src/expr/bind.js'
import type { AddFile } from '../../src/log/actions.js'
import type { DataType } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'

function keyOf(type: DataType, nullSafe = false) {
  const schema = { type: 'struct' as const, fields: [{ name: 'k', type, nullable: true, metadata: {} }] }
  const scope = { sides: [{ name: 'target', schema }, { name: 'source', schema }] }
  return { target: bindExpr({ kind: 'column', path: ['target', 'k'] }, scope), source: bindExpr({ kind: 'column', path: ['source', 'k'] }, scope), nullSafe }
}

const long = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -40n, max: 40n }), fc.constantFrom(2n ** 53n, -(2n ** 53n), 2n ** 53n - 1n))

describe('MERGE pruning by source keys', () => {
  it('the range from hashed keys equals the one from the values (IN list or min/max; nulls; bigints beyond 2^53)', () => {
    const many = fc.oneof(fc.array(fc.option(long), { maxLength: 30 }), fc.array(fc.option(long, { freq: 20 }), { minLength: 60, maxLength: 150 }), fc.array(fc.bigInt({ min: 0n, max: 3n }), { minLength: 70, maxLength: 100 }))
    fc.assert(fc.property(many, fc.constantFrom<DataType>('long', 'integer', 'timestamp'), fc.boolean(), (values, type, typed) => {
      const plain: DeltaValue[] = type === 'integer' ? values.map((v) => (v === null ? null : Number(BigInt.asIntN(31, v)))) : values
      // a column without nulls may come as a BigInt64Array (the object input's typed columns)
      const vals = typed && type !== 'integer' && !plain.includes(null) ? BigInt64Array.from(plain as bigint[]) as unknown as DeltaValue[] : plain
      const key = keyOf(type)
      const src = { numRows: vals.length, schema: { type: 'struct' as const, fields: [] }, columns: new Map([['k', vals]]) }
      const batch = sideBatch(vals.length, { source: { columns: src.columns } })
      const hashed = keyValues([key], 'source', batch)
      // no hashed keys: the generic path over the values
      expect(keyRangePredicate([key], hashed, src, batch)).toEqual(keyRangePredicate([key], [], src, batch))
    }), { numRuns: 400 })
  })

  it('keeps exactly the files whose key stats hold a source key', () => {
    const stats = (lo: bigint, hi: bigint) => JSON.stringify({ numRecords: 1, minValues: { k: Number(lo) }, maxValues: { k: Number(hi) }, nullCount: {} })
    const range = fc.tuple(fc.bigInt({ min: -500n, max: 500n }), fc.bigInt({ min: 0n, max: 200n })).map(([lo, w]) => [lo, lo + w] as const)
    const keyList = fc.oneof(fc.array(fc.option(fc.bigInt({ min: -800n, max: 800n })), { maxLength: 30 }), fc.array(fc.option(fc.bigInt({ min: -800n, max: 800n }), { freq: 30 }), { minLength: 60, maxLength: 300 }))
    fc.assert(fc.property(keyList, fc.array(range, { minLength: 1, maxLength: 8 }), (keys, ranges) => {
      const files = ranges.map(([lo, hi], i) => ({ path: `f${i}`, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true, stats: stats(lo, hi) })) as AddFile[]
      const snapshot = { schema: { type: 'struct', fields: [{ name: 'k', type: 'long', nullable: true, metadata: {} }] }, partitionColumns: [], columnMappingMode: 'none' } as never
      const key = keyOf('long')
      const hashed = keyValues([key], 'source', sideBatch(keys.length, { source: { columns: new Map([['k', keys]]) } }))
      const got = filesHoldingKeys(files, snapshot, key, hashed).map((f) => f.path)
      // the sorted-keys path (many files) agrees
      const saved = PRUNE_SCAN.maxWork
      PRUNE_SCAN.maxWork = 0
      try { expect(filesHoldingKeys(files, snapshot, key, hashed).map((f) => f.path)).toEqual(got) } finally { PRUNE_SCAN.maxWork = saved }
      const live = keys.filter((k): k is bigint => k !== null)
      const want = live.length <= 64 ? files.map((f) => f.path) : files.filter((_, i) => live.some((k) => k >= ranges[i][0] && k <= ranges[i][1])).map((f) => f.path)
      expect(got).toEqual(want)
    }), { numRuns: 300 })
  })
})
