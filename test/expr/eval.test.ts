import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ExpressionError } from '../../src/errors.js'
import { parseSchema, type StructType } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'
import {
  bindExpr, bindPredicate, evalExpression, evalPredicateRows, evalRow, likeMatcher, likeRegExp, parseExpression, type Expr,
} from '../../src/expr/index.js'

const field = (name: string, type: unknown) => ({ name, type, nullable: true, metadata: {} })
const schema: StructType = parseSchema(JSON.stringify({
  type: 'struct',
  fields: [
    field('x', 'boolean'), field('y', 'boolean'), field('i', 'integer'), field('j', 'integer'), field('l', 'long'),
    field('m', 'decimal(5,2)'), field('s', 'string'), field('f', 'double'), field('d', 'date'), field('t', 'timestamp'),
  ],
}))

const value = (sql: string, row: Record<string, DeltaValue> = {}): DeltaValue => evalRow(bindExpr(sql, schema), row)

// Reference three-valued logic, written as the SQL truth tables.
type TV = boolean | null
function ref(e: Expr, row: Record<string, DeltaValue>): TV {
  switch (e.kind) {
    case 'column': return row[e.path[0]] as TV
    case 'literal': return e.value as TV
    case 'not': { const v = ref(e.arg, row); return v === null ? null : !v }
    case 'and': {
      const vs = e.args.map((a) => ref(a, row))
      return vs.includes(false) ? false : vs.includes(null) ? null : true
    }
    case 'or': {
      const vs = e.args.map((a) => ref(a, row))
      return vs.includes(true) ? true : vs.includes(null) ? null : false
    }
    case 'isNull': return (ref(e.arg, row) === null) !== e.negated
    case 'compare': {
      const a = row[(e.left as { path: string[] }).path[0]] as number | null
      const b = (e.right as { value: number | null }).value
      if (e.op === '<=>') return a === b
      if (a === null || b === null) return null
      return e.op === '=' ? a === b : e.op === '<' ? a < b : a > b
    }
    case 'in': {
      const a = row[(e.value as { path: string[] }).path[0]] as number | null
      const list = e.list.map((x) => (x as { value: number | null }).value)
      if (a === null) return null
      const r: TV = list.includes(a) ? true : list.includes(null) ? null : false
      return e.negated ? (r === null ? null : !r) : r
    }
    default: throw new Error(`no reference for ${e.kind}`)
  }
}

const boolOrNull = fc.constantFrom<TV>(true, false, null)
const intOrNull = fc.constantFrom<number | null>(0, 1, 2, null)
const pred: fc.Arbitrary<Expr> = fc.letrec<{ p: Expr }>((tie) => ({
  p: fc.oneof({ depthSize: 'small' },
    fc.constantFrom<Expr>({ kind: 'column', path: ['x'] }, { kind: 'column', path: ['y'] }),
    boolOrNull.map((v): Expr => ({ kind: 'literal', value: v, type: v === null ? null : 'boolean' })),
    fc.tuple(fc.constantFrom<'=' | '<' | '>' | '<=>'>('=', '<', '>', '<=>'), intOrNull)
      .map(([op, v]): Expr => ({ kind: 'compare', op, left: { kind: 'column', path: ['i'] }, right: { kind: 'literal', value: v, type: v === null ? null : 'integer' } })),
    fc.tuple(fc.array(intOrNull, { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([vs, negated]): Expr => ({ kind: 'in', value: { kind: 'column', path: ['i'] }, list: vs.map((v) => ({ kind: 'literal', value: v, type: v === null ? null : 'integer' })), negated })),
    fc.tuple(tie('p'), fc.boolean()).map(([arg, negated]): Expr => ({ kind: 'isNull', arg, negated })),
    tie('p').map((arg): Expr => ({ kind: 'not', arg })),
    fc.array(tie('p'), { minLength: 2, maxLength: 3 }).map((args): Expr => ({ kind: 'and', args })),
    fc.array(tie('p'), { minLength: 2, maxLength: 3 }).map((args): Expr => ({ kind: 'or', args })),
  ),
})).p

describe('evalPredicateRows', () => {
  it('follows SQL three-valued logic (a row is kept only when TRUE)', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ x: boolOrNull, y: boolOrNull, i: intOrNull }), { minLength: 1, maxLength: 20 }),
      pred,
      (rows, e) => {
        const bound = bindPredicate(e, schema)
        const mask = evalPredicateRows(bound, { length: rows.length, column: (k) => rows.map((r) => (r as Record<string, DeltaValue>)[k] ?? null) })
        const values = evalExpression(bound, { length: rows.length, column: (k) => rows.map((r) => (r as Record<string, DeltaValue>)[k] ?? null) })
        rows.forEach((r, n) => {
          const expected = ref(e, r)
          expect(values[n]).toBe(expected)
          expect(mask[n]).toBe(expected === true ? 1 : 0)
        })
      },
    ), { numRuns: 300 })
  })

  it('handles NULL in IN lists and comparisons', () => {
    expect(value('i IN (1, NULL)', { i: 1 })).toBe(true)
    expect(value('i IN (1, NULL)', { i: 2 })).toBe(null)
    expect(value('i NOT IN (1, NULL)', { i: 2 })).toBe(null)
    expect(value('i NOT IN (1, 3)', { i: 2 })).toBe(true)
    expect(value('i = NULL', { i: 2 })).toBe(null)
    expect(value('i <=> NULL', { i: null })).toBe(true)
    expect(value('NOT (i > 1)', { i: null })).toBe(null)
    expect(value('i BETWEEN 1 AND 3', { i: 3 })).toBe(true)
    expect(value('i NOT BETWEEN 1 AND 3', { i: 4 })).toBe(true)
  })

  it('compares strings by UTF-8 bytes, doubles with NaN above all, decimals exactly', () => {
    expect(value("s > '\uFFFF'", { s: '\u{1F600}' })).toBe(true)
    expect(value("s < 'b'", { s: 'a\u{1F600}' })).toBe(true)
    expect(value("f > CAST('Infinity' AS DOUBLE)", { f: NaN })).toBe(true)
    expect(value("f = CAST('NaN' AS DOUBLE)", { f: NaN })).toBe(true)
    expect(value('f = 0', { f: -0 })).toBe(true)
    expect(value('m = 1.10', { m: 110n })).toBe(true)
    expect(value('m > 1.105', { m: 110n })).toBe(false)
  })
})

describe('LIKE', () => {
  it('matches % and _ by code point, with escapes and ILIKE', () => {
    expect(likeRegExp('a%').test('abc')).toBe(true)
    expect(likeRegExp('a_c').test('a\u{1F600}c')).toBe(true)
    expect(likeRegExp('a_c').test('abbc')).toBe(false)
    expect(likeRegExp('100\\%').test('100%')).toBe(true)
    expect(likeRegExp('100\\%').test('1000')).toBe(false)
    expect(likeRegExp('a.c').test('abc')).toBe(false)
    expect(likeRegExp('%\n%').test('x\ny')).toBe(true)
    expect(value("s LIKE 'a!%%' ESCAPE '!'", { s: 'a%b' })).toBe(true)
    expect(value("s ILIKE 'AB%'", { s: 'abc' })).toBe(true)
    expect(value("s NOT LIKE 'a%'", { s: null })).toBe(null)
    expect(() => likeRegExp('abc\\')).toThrow(ExpressionError)
  })

  it('takes the fast paths only where they agree with the RegExp', () => {
    const chars = fc.constantFrom('a', 'b', '%', '_', '\\', '\u{1F600}')
    fc.assert(fc.property(
      fc.array(chars, { maxLength: 6 }).map((c) => c.join('')),
      fc.array(fc.constantFrom('a', 'b', '%', '_', '\\', '\u{1F600}'), { maxLength: 6 }).map((c) => c.join('')),
      fc.boolean(),
      (pattern, text, ci) => {
        let re: RegExp
        try { re = likeRegExp(pattern, '\\', ci) } catch { return }
        expect(likeMatcher(pattern, '\\', ci)(text), `${pattern} ~ ${text}`).toBe(re.test(text))
      },
    ), { numRuns: 2000 })
  })
})

describe('evalExpression', () => {
  it('computes arithmetic with Spark result types', () => {
    expect(value('m * 2', { m: 123n })).toBe(246n)
    expect(value('m / 3', { m: 100n })).toBe(333333n) // decimal(14,6): 0.333333
    expect(value('m + 0.005', { m: 100n })).toBe(1005n) // decimal(7,3)
    expect(value('i / 2', { i: 3 })).toBe(1.5)
    expect(value('i % 2', { i: -3 })).toBe(-1)
    expect(value('i / 0', { i: 3 })).toBe(null)
    expect(value('l * 2', { l: 2n ** 61n })).toBe(2n ** 62n)
    expect(() => value('l * 4', { l: 2n ** 61n })).toThrow(/overflow/)
    expect(() => value('i + 2147483647', { i: 1 })).toThrow(/overflow/)
    expect(value('d + 1', { d: 10 })).toBe(11)
    expect(value('-i', { i: 5 })).toBe(-5)
    expect(value('i + NULL', { i: 5 })).toBe(null)
  })

  it('evaluates functions, CASE and CAST', () => {
    expect(value("coalesce(s, 'none')", { s: null })).toBe('none')
    expect(value("concat(s, '-', i)", { s: 'a', i: 1 })).toBe('a-1')
    expect(value("s || 'x'", { s: null })).toBe(null)
    expect(value('upper(s)', { s: 'ab' })).toBe('AB')
    expect(value('length(s)', { s: 'a\u{1F600}' })).toBe(2)
    expect(value('substring(s, 2, 2)', { s: 'abcd' })).toBe('bc')
    expect(value('substr(s, -2)', { s: 'abcd' })).toBe('cd')
    expect(value('year(d)', { d: 0 })).toBe(1970)
    expect(value('month(t)', { t: 86_400_000_000n * 40n })).toBe(2)
    expect(value('CASE WHEN i > 1 THEN \'big\' WHEN i = 1 THEN \'one\' ELSE \'small\' END', { i: 1 })).toBe('one')
    expect(value('CASE i WHEN 1 THEN 10 END', { i: 2 })).toBe(null)
    expect(value('if(x, 1, 2)', { x: null })).toBe(2)
    expect(value('nullif(i, 1)', { i: 1 })).toBe(null)
    expect(value('greatest(i, j)', { i: 1, j: 3 })).toBe(3)
    expect(value('abs(m)', { m: -5n })).toBe(5n)
    expect(value('round(m, 1)', { m: 125n })).toBe(130n)
    expect(value('CAST(s AS INT)', { s: ' 42 ' })).toBe(42)
    expect(value('CAST(m AS INT)', { m: -199n })).toBe(-1)
    expect(value('CAST(f AS STRING)', { f: 1 })).toBe('1.0')
    expect(value('CAST(t AS DATE)', { t: -1n })).toBe(-1)
    expect(value("CAST(s AS DATE)", { s: '2021-01-02' })).toBe(18629)
    expect(() => value('CAST(s AS INT)', { s: 'x' })).toThrow(ExpressionError)
    expect(value("startswith(s, 'ab')", { s: 'abc' })).toBe(true)
  })

  it('evaluates array and map functions', () => {
    const nested = parseSchema(JSON.stringify({
      type: 'struct',
      fields: [
        field('tags', { type: 'array', elementType: 'string', containsNull: true }),
        field('attrs', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }),
      ],
    }))
    const v = (sql: string, row: Record<string, DeltaValue>): DeltaValue => evalRow(bindExpr(sql, nested), row)
    expect(v('size(tags)', { tags: ['a', 'b'] })).toBe(2)
    expect(v('size(attrs) = 0', { attrs: new Map() })).toBe(true)
    expect(v("array_contains(tags, 'b')", { tags: ['a', 'b'] })).toBe(true)
    expect(v("array_contains(tags, 'c')", { tags: ['a', null] })).toBe(null)
    expect(v('element_at(tags, -1)', { tags: ['a', 'b'] })).toBe('b')
    expect(v('element_at(tags, 5)', { tags: ['a'] })).toBe(null)
    expect(v("element_at(attrs, 'k') > 1", { attrs: new Map([['k', 2n]]) })).toBe(true)
    expect(() => bindExpr('array_contains(tags, 1)', nested)).toThrow(/cannot look for integer in array<string>/)
  })

  it('evaluates date and time functions in UTC', () => {
    const ts = 1_700_000_123_456_789n // 2023-11-14T22:15:23.456789Z, a Tuesday
    expect(value('hour(t)', { t: ts })).toBe(22)
    expect(value('minute(t)', { t: ts })).toBe(15)
    expect(value('second(t)', { t: ts })).toBe(23)
    expect(value('hour(t)', { t: -1n })).toBe(23)
    expect(value("date_format(t, 'yyyy-MM-dd HH:mm:ss.SSS')", { t: ts })).toBe('2023-11-14 22:15:23.456')
    expect(value("date_format(t, 'yy/M/d ''at'' H')", { t: ts })).toBe('23/11/14 at 22')
    expect(value("date_trunc('month', t)", { t: ts })).toBe(BigInt(Date.UTC(2023, 10, 1)) * 1000n)
    expect(value("date_trunc('week', t)", { t: ts })).toBe(BigInt(Date.UTC(2023, 10, 13)) * 1000n)
    expect(value("date_trunc('HOUR', t)", { t: ts })).toBe(BigInt(Date.UTC(2023, 10, 14, 22)) * 1000n)
    expect(value("date_trunc('quarter', t)", { t: ts })).toBe(BigInt(Date.UTC(2023, 9, 1)) * 1000n)
    expect(value("trunc(d, 'year')", { d: 19675 })).toBe(19358) // 2023-11-14 → 2023-01-01
    expect(value("datediff(d, DATE '2023-01-01')", { d: 19675 })).toBe(317)
    expect(value('t + INTERVAL 1 HOUR', { t: 0n })).toBe(3_600_000_000n)
    expect(value("t - INTERVAL '2' DAYS", { t: 0n })).toBe(-2n * 86_400_000_000n)
    expect(value('t + INTERVAL -1 SECOND', { t: 0n })).toBe(-1_000_000n)
    expect(value('d + INTERVAL 1 MONTH', { d: 30 })).toBe(58) // 1970-01-31 + 1 month = 1970-02-28
    expect(value('d - INTERVAL 1 YEAR', { d: 0 })).toBe(-365)
    expect(value("t > TIMESTAMP '2024-03-01 00:00:00' - INTERVAL 7 DAYS", { t: BigInt(Date.UTC(2024, 1, 24)) * 1000n })).toBe(true)
    expect(() => parseExpression('t + INTERVAL 1 FORTNIGHT')).toThrow(/unknown INTERVAL unit "FORTNIGHT"/)
    expect(value('floor(m)', { m: -150n })).toBe(-2n)
    expect(value('ceil(m)', { m: -150n })).toBe(-1n)
    expect(value('ceil(f)', { f: 1.2 })).toBe(2n)
    expect(value('floor(l)', { l: 5n })).toBe(5n)
  })
})
