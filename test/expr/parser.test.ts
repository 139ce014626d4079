import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ExpressionError } from '../../src/errors.js'
import { col, exprToSql, fn, lit, not, parseExpression, type Expr } from '../../src/expr/index.js'

/** Plain data (drops the builder's methods, which are non-enumerable anyway). */
const data = (e: Expr): unknown => JSON.parse(JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v)))

describe('parseExpression', () => {
  it('parses comparisons, junctions and predicates with SQL precedence', () => {
    expect(data(parseExpression("a = 1 OR b = 'x' AND NOT c"))).toEqual(data(
      col('a').eq(1).or(col('b').eq('x').and(not(col('c')))),
    ))
    expect(data(parseExpression('a + 2 * b > 3'))).toEqual(data(col('a').plus(lit(2).times(col('b'))).gt(3)))
    expect(data(parseExpression('(a - b) - c'))).toEqual(data(col('a').minus(col('b')).minus(col('c'))))
    expect(data(parseExpression('a - (b - c)'))).toEqual(data(col('a').minus(col('b').minus(col('c')))))
    expect(data(parseExpression('x NOT IN (1, 2) AND y NOT BETWEEN 1 AND 5 AND z IS NOT NULL'))).toEqual(data(
      col('x').notIn(1, 2).and(col('y').notBetween(1, 5), col('z').isNotNull()),
    ))
    expect(data(parseExpression("s NOT LIKE 'a%'"))).toEqual(data(col('s').notLike('a%')))
    expect(data(parseExpression('a != 1'))).toEqual(data(col('a').ne(1)))
    expect(data(parseExpression('a == 1'))).toEqual(data(col('a').eq(1)))
    expect(data(parseExpression('a <=> NULL'))).toEqual(data(col('a').eqNullSafe(null)))
    expect(data(parseExpression('a IS DISTINCT FROM b'))).toEqual(data(not(col('a').eqNullSafe(col('b')))))
  })

  it('types literals as Spark does', () => {
    const litOf = (sql: string): unknown => data(parseExpression(sql))
    expect(litOf('5')).toEqual({ kind: 'literal', value: 5, type: 'integer' })
    expect(litOf('-2147483648')).toEqual({ kind: 'literal', value: -2147483648, type: 'integer' })
    expect(litOf('2147483648')).toEqual({ kind: 'literal', value: '2147483648n', type: 'long' })
    expect(litOf('5L')).toEqual({ kind: 'literal', value: '5n', type: 'long' })
    expect(litOf('1.50')).toEqual({ kind: 'literal', value: '150n', type: 'decimal(3,2)' })
    expect(litOf('0.05')).toEqual({ kind: 'literal', value: '5n', type: 'decimal(2,2)' })
    expect(litOf('1e3')).toEqual({ kind: 'literal', value: 1000, type: 'double' })
    expect(litOf('1.5D')).toEqual({ kind: 'literal', value: 1.5, type: 'double' })
    expect(litOf("DATE '1970-01-02'")).toEqual({ kind: 'literal', value: 1, type: 'date' })
    expect(litOf("TIMESTAMP '1970-01-01 00:00:01.5'")).toEqual({ kind: 'literal', value: '1500000n', type: 'timestamp' })
    expect(litOf("TIMESTAMP '1970-01-01T01:00:00+01:00'")).toEqual({ kind: 'literal', value: '0n', type: 'timestamp' })
    expect(litOf("TIMESTAMP_NTZ '2000-01-01 00:00:00'")).toEqual({ kind: 'literal', value: '946684800000000n', type: 'timestamp_ntz' })
    expect(litOf("X'0aFF'")).toEqual({ kind: 'literal', value: [10, 255], type: 'binary' })
    expect(litOf("'it''s'")).toEqual({ kind: 'literal', value: "it's", type: 'string' })
    expect(litOf("'a\\'b'")).toEqual({ kind: 'literal', value: "a'b", type: 'string' })
    expect(litOf('CAST(NULL AS INT)')).toEqual({ kind: 'literal', value: null, type: 'integer' })
    expect(litOf('CAST(1.5 AS DECIMAL(10,2))')).toEqual({ kind: 'literal', value: '150n', type: 'decimal(10,2)' })
    expect(litOf('NULL')).toEqual({ kind: 'literal', value: null, type: null })
  })

  it('reads dotted and quoted column names, functions and CASE', () => {
    expect(data(parseExpression('a.b.c = 1'))).toEqual(data(col(['a', 'b', 'c']).eq(1)))
    expect(data(parseExpression('`my col`.`x``y` = 1'))).toEqual(data(col(['my col', 'x`y']).eq(1)))
    expect(data(parseExpression('`date` = date'))).toEqual(data(col('date').eq(col('date'))))
    expect(data(parseExpression('COALESCE(a, 0)'))).toEqual(data(fn('coalesce', col('a'), 0)))
    expect(data(parseExpression("a || 'x'"))).toEqual(data(fn('concat', col('a'), 'x')))
    expect(parseExpression('CASE a WHEN 1 THEN 2 ELSE 3 END').kind).toBe('case')
  })

  it('reports the position of syntax errors', () => {
    const cases: [string, RegExp][] = [
      ['a IN (1, 2', /position 11 .*end of input/],
      ['a = ', /position 5/],
      ["a = 'open", /unterminated string literal at position 5/],
      ['a = 1 b', /unexpected "b" at position 7/],
      ['a NOT 5', /unexpected "NOT" at position 3/],
      ["DATE '2021-13-01' > d", /invalid DATE literal .* at position 6/],
      ['a # 1', /unexpected character "#" at position 3/],
      ['', /empty expression/],
      ['AND', /expected an expression/],
      ['CAST(a AS nope)', /unknown type nope at position 11/],
    ]
    for (const [sql, re] of cases) {
      const err = (() => { try { parseExpression(sql) } catch (e) { return e } })()
      expect(err, sql).toBeInstanceOf(ExpressionError)
      expect((err as Error).message, sql).toMatch(re)
    }
  })
})

// Generated expressions for the print → parse round trip.
const ident = fc.constantFrom('a', 'b', 'Col_1', 'my col', 'select', 'x`y', 'date', 'interval')
const literal: fc.Arbitrary<Expr> = fc.oneof(
  fc.integer({ min: -2147483648, max: 2147483647 }).map((v) => lit(v)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => lit(v)),
  fc.double({ noNaN: false }).map((v) => lit(v, 'double')),
  fc.float().map((v) => lit(v, 'float')),
  fc.string().map((v) => lit(v)),
  fc.boolean().map((v) => lit(v)),
  fc.constant(lit(null)),
  fc.constant(lit(null, 'date')),
  fc.integer({ min: -100000, max: 100000 }).map((v) => lit(v, 'date')),
  fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }).map((v) => lit(v, 'timestamp')),
  fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }).map((v) => lit(v, 'timestamp_ntz')),
  fc.tuple(fc.integer({ min: 1, max: 38 }), fc.integer({ min: 0, max: 38 }), fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n }))
    .filter(([p, s]) => s <= p)
    .map(([p, s, v]) => lit(v % 10n ** BigInt(p), `decimal(${p},${s})`)),
  fc.uint8Array({ maxLength: 4 }).map((v) => lit(v)),
  fc.integer({ min: -32768, max: 32767 }).map((v) => lit(v, 'short')),
  fc.integer({ min: -128, max: 127 }).map((v) => lit(v, 'byte')),
)
const column: fc.Arbitrary<Expr> = fc.array(ident, { minLength: 1, maxLength: 3 }).map((p) => col(p))

const expr: fc.Arbitrary<Expr> = fc.letrec((tie) => ({
  e: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    literal, column,
    fc.tuple(fc.constantFrom('=', '<>', '<', '<=', '>', '>=', '<=>'), tie('e'), tie('e')).map(([op, l, r]) => ({ kind: 'compare', op, left: l, right: r }) as Expr),
    fc.array(tie('e'), { minLength: 2, maxLength: 3 }).map((args) => ({ kind: 'and', args }) as Expr),
    fc.array(tie('e'), { minLength: 2, maxLength: 3 }).map((args) => ({ kind: 'or', args }) as Expr),
    tie('e').map((arg) => ({ kind: 'not', arg }) as Expr),
    tie('e').map((arg) => ({ kind: 'negate', arg }) as Expr),
    fc.tuple(tie('e'), fc.array(tie('e'), { maxLength: 3 }), fc.boolean()).map(([value, list, negated]) => ({ kind: 'in', value, list, negated }) as Expr),
    fc.tuple(tie('e'), tie('e'), tie('e'), fc.boolean()).map(([value, low, high, negated]) => ({ kind: 'between', value, low, high, negated }) as Expr),
    fc.tuple(tie('e'), fc.boolean()).map(([arg, negated]) => ({ kind: 'isNull', arg, negated }) as Expr),
    fc.tuple(tie('e'), fc.string(), fc.boolean()).map(([value, p, negated]) => ({ kind: 'like', value, pattern: lit(p), negated }) as Expr),
    fc.tuple(fc.constantFrom('+', '-', '*', '/', '%'), tie('e'), tie('e')).map(([op, l, r]) => ({ kind: 'arith', op, left: l, right: r }) as Expr),
    fc.tuple(fc.constantFrom('coalesce', 'lower', 'f'), fc.array(tie('e'), { maxLength: 2 })).map(([name, args]) => ({ kind: 'call', name, args }) as Expr),
    fc.tuple(tie('e'), fc.constantFrom('integer', 'string', 'decimal(5,2)', 'timestamp_ntz')).filter(([a]) => (a as Expr).kind !== 'literal')
      .map(([arg, to]) => ({ kind: 'cast', arg, to }) as Expr),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([w, t, e]) => ({ kind: 'case', branches: [{ when: w, then: t }], else: e }) as Expr),
  ),
})).e

describe('exprToSql', () => {
  it('round-trips through parseExpression', () => {
    fc.assert(fc.property(expr, (e) => {
      const sql = exprToSql(e)
      expect(data(parseExpression(sql)), sql).toEqual(data(e))
    }), { numRuns: 500 })
  })
})
