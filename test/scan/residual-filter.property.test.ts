// A scan drops, per row group, the conjuncts of its filter that the group's statistics prove true
// for every row, and does not read the columns only those conjuncts need. Whatever it drops, the rows
// must be exactly the rows a plain evaluation keeps: checked against a three-valued model written
// here, over files and row groups that lie wholly inside, across and outside the generated ranges.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'

type Row = { id: bigint; n: number | null; s: string | null; x: number }
type Truth = boolean | null

/** One conjunct: its SQL and its value on a row (null: SQL NULL). */
interface Atom { sql: string; of: (r: Row) => Truth }

const cmp = (op: string, a: number | bigint, b: number | bigint): boolean =>
  op === '=' ? a === b : op === '<>' ? a !== b : op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b

const atom: fc.Arbitrary<Atom> = fc.oneof(
  fc.tuple(fc.constantFrom('>=', '<', '>', '<=', '=', '<>'), fc.integer({ min: -5, max: 205 })).map(([op, k]) => ({ sql: `id ${op} ${k}`, of: (r: Row) => cmp(op, r.id, BigInt(k)) })),
  fc.tuple(fc.constantFrom('>=', '<', '=', '<>'), fc.integer({ min: -1, max: 12 })).map(([op, k]) => ({ sql: `n ${op} ${k}`, of: (r: Row) => (r.n === null ? null : cmp(op, r.n, k)) })),
  fc.tuple(fc.constantFrom('=', '<>'), fc.constantFrom('a', 'b', 'c', 'z')).map(([op, v]) => ({ sql: `s ${op} '${v}'`, of: (r: Row) => (r.s === null ? null : op === '=' ? r.s === v : r.s !== v) })),
  fc.constantFrom<Atom>(
    { sql: 'n IS NULL', of: (r) => r.n === null },
    { sql: 's IS NOT NULL', of: (r) => r.s !== null },
    { sql: 'x >= 0', of: () => true },
  ),
)

/** SQL AND over three-valued truths. */
function and(ts: Truth[]): Truth {
  if (ts.includes(false)) return false
  return ts.includes(null) ? null : true
}

// ids ascending over 4 appends (4 files) of rowGroupSize 20: some groups and files lie wholly inside
// a generated id range, so their id conjuncts are dropped; n and s have nulls in some groups only.
function rowsFor(file: number): Row[] {
  return Array.from({ length: 50 }, (_, i) => {
    const id = file * 50 + i
    return { id: BigInt(id), n: file === 1 && i < 20 ? null : id % 11, s: file === 2 ? null : i >= 40 ? null : ['a', 'b', 'c'][id % 3], x: id / 2 }
  })
}

describe('scan with a filter, per row group', () => {
  it('keeps exactly the rows the filter is true for, whichever conjuncts statistics decide', async () => {
    const schema = { type: 'struct' as const, fields: [
      { name: 'id', type: 'long' as const, nullable: false, metadata: {} },
      { name: 'n', type: 'integer' as const, nullable: true, metadata: {} },
      { name: 's', type: 'string' as const, nullable: true, metadata: {} },
      { name: 'x', type: 'double' as const, nullable: false, metadata: {} },
    ] }
    const table = await DeltaTable.create(new MemoryStore('residual'), { schema })
    let model: Row[] = []
    for (let f = 0; f < 4; f++) {
      await table.append(rowsFor(f), { rowGroupSize: 20 })
      model.push(...rowsFor(f))
    }
    await table.delete('id % 7 = 3') // deletion vectors too
    model = model.filter((r) => r.id % 7n !== 3n)
    await fc.assert(fc.asyncProperty(fc.array(atom, { minLength: 1, maxLength: 3 }), fc.constantFrom<string[] | undefined>(['id'], ['x'], ['s', 'id'], undefined), async (atoms, columns) => {
      const sql = atoms.map((a) => `(${a.sql})`).join(' AND ')
      const want = model.filter((r) => and(atoms.map((a) => a.of(r))) === true)
      const got = await table.toRows({ filter: sql, columns })
      const names = columns ?? ['id', 'n', 's', 'x']
      const project = (r: Record<string, unknown>) => names.map((c) => String(r[c])).join('|')
      expect(got.map(project).sort(), sql).toEqual(want.map((r) => project(r as unknown as Record<string, unknown>)).sort())
    }), { numRuns: 150 })
  })
})
