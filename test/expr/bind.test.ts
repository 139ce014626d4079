import { describe, expect, it } from 'vitest'
import { ExpressionError } from '../../src/errors.js'
import { parseSchema, type StructType } from '../../src/schema/types.js'
import { bindExpr, bindPredicate, boundToSql, col, conjunction, conjuncts, conjunctsOver, equiJoin, evalRow, lit, referencedColumns, type BoundExpr } from '../../src/expr/index.js'

const field = (name: string, type: unknown, nullable = true) => ({ name, type, nullable, metadata: {} })
const schema: StructType = parseSchema(JSON.stringify({
  type: 'struct',
  fields: [
    field('id', 'long'), field('Amount', 'decimal(10,2)'), field('status', 'string'), field('day', 'date'),
    field('ts', 'timestamp'), field('n', 'integer'), field('ratio', 'double'), field('ok', 'boolean'),
    field('addr', { type: 'struct', fields: [field('city', 'string'), field('zip', 'integer')] }),
  ],
}))

function errorOf(f: () => unknown): ExpressionError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError)
    return e as ExpressionError
  }
  throw new Error('expected an ExpressionError')
}

describe('bindExpr', () => {
  it('resolves columns case-insensitively to their logical names, nested paths included', () => {
    const b = bindPredicate('AMOUNT > 1 AND Addr.CITY = \'x\' AND ID = 1', schema)
    expect(referencedColumns(b)).toEqual(['Amount', 'addr.city', 'id'])
  })

  it('names the unknown column and lists the available ones', () => {
    const e = errorOf(() => bindPredicate('nope = 1', schema))
    expect(e.column).toBe('nope')
    expect(e.message).toMatch(/unknown column nope.*available: id, Amount, status/)
    expect(errorOf(() => bindPredicate('addr.street = 1', schema)).message).toMatch(/unknown column addr\.street/)
  })

  it('rejects comparisons of incompatible types naming the column', () => {
    const e = errorOf(() => bindPredicate('status > 5', schema))
    expect(e.column).toBe('status')
    expect(e.message).toMatch(/column status \(string\)/)
    expect(errorOf(() => bindPredicate("n = 'abc'", schema)).message).toMatch(/invalid integer literal "abc" for column n/)
    expect(errorOf(() => bindPredicate("day = '2021-02-30'", schema)).message).toMatch(/invalid date literal.*column day/)
    expect(errorOf(() => bindPredicate('ok = day', schema)).message).toMatch(/cannot apply = to column ok \(boolean\) and column day \(date\)/)
    expect(errorOf(() => bindPredicate('id AND ok', schema)).message).toMatch(/AND needs boolean operands, got long column id/)
    expect(errorOf(() => bindPredicate('id + 1', schema)).message).toMatch(/must be a boolean condition/)
    expect(errorOf(() => bindPredicate("status LIKE 5", schema)).message).toMatch(/LIKE pattern must be a string/)
    expect(errorOf(() => bindExpr('nosuchfn(id)', schema)).message).toMatch(/unknown function nosuchfn/)
    expect(errorOf(() => bindExpr('coalesce(id, status)', schema)).message).toMatch(/incompatible types long and string/)
  })

  it('coerces literals to the column type, widening when the literal does not fit', () => {
    const cmp = (sql: string): BoundExpr => bindPredicate(sql, schema)
    const right = (sql: string): BoundExpr => {
      const b = cmp(sql)
      if (b.kind !== 'compare') throw new Error('not a compare')
      return b.right
    }
    expect(right('id = 5')).toMatchObject({ kind: 'literal', type: 'long', value: 5n })
    expect(right('Amount = 5')).toMatchObject({ kind: 'literal', type: 'decimal(10,2)', value: 500n })
    expect(right('Amount = 1.5')).toMatchObject({ kind: 'literal', type: 'decimal(10,2)', value: 150n })
    expect(right("day >= '2021-01-02'")).toMatchObject({ kind: 'literal', type: 'date', value: 18629 })
    expect(right("ts >= '1970-01-01 00:00:01'")).toMatchObject({ kind: 'literal', type: 'timestamp', value: 1_000_000n })
    expect(right("ratio > '2.5'")).toMatchObject({ kind: 'literal', type: 'double', value: 2.5 })
    // 1.5 does not fit a long: the column is widened to decimal instead
    const wide = cmp('id = 1.5')
    expect(wide).toMatchObject({ kind: 'compare', left: { kind: 'cast', type: 'decimal(21,1)' }, right: { value: 15n } })
    expect(evalRow(wide, { id: 1n })).toBe(false)
    expect(evalRow(cmp('id < 1.5'), { id: 1n })).toBe(true)
    expect(evalRow(cmp('Amount = 1.005'), { Amount: 100n })).toBe(false)
    // a date column against a timestamp literal compares as timestamps
    expect(evalRow(cmp("day < TIMESTAMP '2021-01-02 00:00:01'"), { day: 18629 })).toBe(true)
  })

  it('coerces IN lists to one type', () => {
    const b = bindPredicate("id IN (1, 2.5, '3')", schema)
    expect(b).toMatchObject({ kind: 'in', value: { kind: 'cast' } })
    expect(evalRow(b, { id: 3n })).toBe(true)
    expect(evalRow(b, { id: 2n })).toBe(false)
    expect(evalRow(bindPredicate('n IN (1, 2)', schema), { n: 2 })).toBe(true)
  })

  it('binds MERGE conditions against named sides with aliases', () => {
    const source = parseSchema(JSON.stringify({ type: 'struct', fields: [field('id', 'long'), field('new_status', 'string')] }))
    const scope = { sides: [{ name: 'target', aliases: ['t'], schema }, { name: 'source', aliases: ['s'], schema: source }] }
    const b = bindPredicate('t.id = s.ID AND target.status <> new_status', scope)
    expect(referencedColumns(b)).toEqual(['target.id', 'source.id', 'target.status', 'source.new_status'])
    const amb = errorOf(() => bindPredicate('id = 1', scope))
    expect(amb.message).toMatch(/column id is ambiguous.*target and source.*qualify/)
    expect(errorOf(() => bindPredicate('s.status = 1', scope)).message).toMatch(/unknown column status in source/)
    expect(evalRow(b, { 'target.id': 1n, 'source.id': 1n, 'target.status': 'a', 'source.new_status': 'b' })).toBe(true)
    // a struct column named like a side alias still resolves when the side has no such field
    const withS = parseSchema(JSON.stringify({ type: 'struct', fields: [field('s', { type: 'struct', fields: [field('zip', 'integer')] })] }))
    const scope2 = { sides: [{ name: 'target', aliases: ['t'], schema: withS }, { name: 'source', aliases: ['s'], schema: source }] }
    expect(referencedColumns(bindPredicate('s.zip = 1', scope2))).toEqual(['target.s.zip'])
  })

  it('accepts builder expressions and computes types of arithmetic', () => {
    expect(bindExpr(col('Amount').times(2), schema).type).toBe('decimal(12,2)')
    expect(bindExpr(col('Amount').times(col('n')), schema).type).toBe('decimal(21,2)')
    expect(bindExpr(col('Amount').plus(col('Amount')), schema).type).toBe('decimal(11,2)')
    expect(bindExpr(col('Amount').div(3), schema).type).toBe('decimal(14,6)')
    expect(bindExpr(col('n').div(2), schema).type).toBe('double')
    expect(bindExpr(col('n').plus(col('id')), schema).type).toBe('long')
    expect(bindExpr(col('n').plus(lit(1.5, 'double')), schema).type).toBe('double')
    expect(bindExpr(col('day').plus(1), schema).type).toBe('date')
    expect(errorOf(() => bindExpr(col('status').plus(1), schema)).message).toMatch(/cannot apply \+ to column status/)
  })
})

describe('condition analysis', () => {
  it('splits a MERGE condition into equi-join keys and residual conjuncts', () => {
    const source = parseSchema(JSON.stringify({ type: 'struct', fields: [field('id', 'long'), field('day', 'date'), field('v', 'integer')] }))
    const scope = { sides: [{ name: 'target', aliases: ['t'], schema }, { name: 'source', aliases: ['s'], schema: source }] }
    const b = bindPredicate('t.id = s.id AND s.day <=> t.day AND (t.n > s.v) AND t.status = \'x\'', scope)
    const j = equiJoin(b, 'target', 'source')
    expect(j.keys.map((k) => [k.left.key, k.right.key, k.nullSafe])).toEqual([['target.id', 'source.id', false], ['target.day', 'source.day', true]])
    expect(j.residual.length).toBe(2)
    expect(conjunctsOver(b, (k) => k.startsWith('target.')).length).toBe(1)
    expect(conjuncts(conjunction([]))).toEqual([{ bound: true, kind: 'literal', type: 'boolean', value: true }])
  })
})

describe('boundToSql', () => {
  it('prints a bound expression that binds back to the same tree', () => {
    for (const sql of ["id = 1.5 AND addr.city LIKE 'a!%%' ESCAPE '!'", "day < TIMESTAMP '2021-01-02 00:00:01' OR n IN (1, 2.5)", 'CASE WHEN ok THEN Amount * 2 ELSE -Amount END > 3']) {
      const b = bindExpr(sql, schema)
      expect(bindExpr(boundToSql(b), schema)).toEqual(b)
    }
  })
})
