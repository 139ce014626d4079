import { makeVector, RecordBatch, Table, tableFromIPC, tableToIPC, Type } from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { deltaColumnToArrow, fromArrowSchema, toArrowSchema } from '../../src/schema/arrow.js'
import { ArrowTypeId } from '../../src/schema/arrow-input.js'
import { parseSchema, type StructType } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'

const schema: StructType = parseSchema(JSON.stringify({
  type: 'struct', fields: [
    { name: 'b', type: 'byte', nullable: true, metadata: {} },
    { name: 's', type: 'short', nullable: true, metadata: {} },
    { name: 'i', type: 'integer', nullable: false, metadata: {} },
    { name: 'l', type: 'long', nullable: true, metadata: {} },
    { name: 'f', type: 'float', nullable: true, metadata: {} },
    { name: 'd', type: 'double', nullable: true, metadata: {} },
    { name: 'dec', type: 'decimal(38,2)', nullable: true, metadata: {} },
    { name: 'str', type: 'string', nullable: true, metadata: {} },
    { name: 'bin', type: 'binary', nullable: true, metadata: {} },
    { name: 'bool', type: 'boolean', nullable: true, metadata: {} },
    { name: 'date', type: 'date', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'ntz', type: 'timestamp_ntz', nullable: true, metadata: {} },
    { name: 'st', type: { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: true, metadata: {} }] }, nullable: true, metadata: {} },
    { name: 'arr', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true, metadata: {} },
    { name: 'm', type: { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }, nullable: true, metadata: {} },
    { name: 'v', type: 'variant', nullable: true, metadata: {} },
  ],
}))

describe('Delta ↔ Arrow schema', () => {
  it('reads Arrow types by the typeIds of apache-arrow\'s own Type enum (arrow itself is not imported on input)', () => {
    for (const [name, id] of Object.entries(ArrowTypeId)) expect(Type[name as keyof typeof Type], name).toBe(id)
  })

  it('maps every type exactly', () => {
    const a = toArrowSchema(schema)
    const t = Object.fromEntries(a.fields.map((f) => [f.name, f.type]))
    expect(String(t.b)).toBe('Int8')
    expect(String(t.l)).toBe('Int64')
    expect([(t.dec as any).precision, (t.dec as any).scale]).toEqual([38, 2])
    expect(t.date.typeId).toBe(Type.Date)
    expect((t.ts as any).timezone).toBe('UTC')
    expect((t.ntz as any).timezone ?? null).toBe(null)
    expect((t.ts as any).unit).toBe(2) // MICROSECOND
    expect(String(t.v)).toBe('Struct<{metadata:Binary, value:Binary}>')
    expect(a.fields.find((f) => f.name === 'i')!.nullable).toBe(false)
  })
  it('round-trips through Arrow', () => {
    expect(fromArrowSchema(toArrowSchema(schema))).toEqual(schema)
  })
})

describe('Arrow vectors from Delta values', () => {
  it('builds every type with nulls and survives IPC', () => {
    const rows: Record<string, DeltaValue>[] = [
      { b: 1, s: 2, i: 3, l: 2n ** 62n, f: 1.5, d: 2.25, dec: -12345n, str: 'héllo', bin: new Uint8Array([1, 2]), bool: true, date: 19000,
        ts: 1_700_000_000_123_456n, ntz: -1n, st: { x: 7 }, arr: ['a', null], m: new Map<DeltaValue, DeltaValue>([['k', 5n]]),
        v: { metadata: new Uint8Array([1]), value: new Uint8Array([2]) } },
      Object.fromEntries(schema.fields.map((f) => [f.name, f.name === 'i' ? 0 : null])),
    ]
    const a = toArrowSchema(schema)
    const children = schema.fields.map((f, i) => deltaColumnToArrow(rows.map((r) => r[f.name]), f.type, a.fields[i].type))
    const table = tableFromIPC(tableToIPC(new Table(a, children.reduce((acc, d, i) => ({ ...acc, [a.fields[i].name]: makeVector(d) }), {}))))
    expect(table.numRows).toBe(2)
    const r0 = table.get(0)!.toJSON()
    expect(r0.l).toBe(2n ** 62n)
    expect(r0.str).toBe('héllo')
    expect(r0.ts).toBe(1_700_000_000_123.456) // arrow-js reads timestamps as epoch ms
    expect((table.getChild('ts')!.data[0].values as BigInt64Array)[0]).toBe(1_700_000_000_123_456n)
    expect(r0.date).toBe(19000 * 86400000)
    expect(r0.st.toJSON()).toEqual({ x: 7 })
    expect(r0.arr.toArray()).toEqual(['a', null])
    expect(r0.bool).toBe(true)
    expect(String(table.getChild('dec')!.get(0))).toBe('-12345')
    const r1 = table.get(1)!.toJSON()
    for (const f of schema.fields) if (f.name !== 'i') expect(r1[f.name]).toBeNull()
    expect(RecordBatch).toBeDefined()
  })
  it('encodes decimals as 128-bit two\'s complement', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), (v) => {
      const data = deltaColumnToArrow([v], 'decimal(38,0)')
      const words = data.values as Uint32Array
      let x = 0n
      for (let w = 3; w >= 0; w--) x = (x << 32n) | BigInt(words[w])
      expect(BigInt.asIntN(128, x)).toBe(v)
    }))
  })
})
