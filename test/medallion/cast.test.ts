// Casts to a declared schema: text read as ISO unless a locale or date pattern says otherwise (a US
// date is never read as day/month), exact decimals, and nothing lost without a trace (rescued as
// JSON, or a CastError naming column, value, row and file). Expected values come from models here.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, SchemaMismatchError, UnknownOptionError, type DataType, type StructField, type StructType } from '../../src/index.js'
import { CastError, CastFailure, castRows, castValue } from '../../src/medallion/cast.js'
import { parseJsonExact } from '../../src/medallion/raw-files.js'
import { castToSchema } from '../../src/medallion/silver.js'

const field = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const PT = { locale: 'pt-BR' } as const
const fails = (v: unknown, t: string | DataType, o = {}): void => { expect(castValue(v, t as never, o)).toBeInstanceOf(CastFailure) }

describe('castValue: ISO by default, locale rules only when asked', () => {
  it('a US or Brazilian date, sim/não and decimal commas are refused by default, read under pt-BR', () => {
    for (const v of ['03/04/2024', '31/12/2023', '2024/03/04', '2024-3-4x']) fails(v, 'date')
    fails('sim', 'boolean'); fails('1,5', 'double'); fails('1.234,56', 'decimal(10,2)'); fails('03/04/2024 10:00', 'timestamp')
    expect(castValue('2024-03-04', 'date')).toBe('2024-03-04')
    expect(castValue('TRUE', 'boolean')).toBe(true)
    expect(castValue('1.5', 'double')).toBe(1.5)
    expect(castValue('03/04/2024', 'date', PT)).toBe('2024-04-03')
    expect(castValue('Não', 'boolean', PT)).toBe(false)
    expect(castValue('sim', 'boolean', PT)).toBe(true)
    expect(castValue('1.234,56', 'decimal(10,2)', PT)).toBe('1234.56')
    expect(castValue('-1,5', 'double', PT)).toBe(-1.5)
    expect(castValue('1.234', 'long', PT)).toBe(1234n)
    fails('12.5', 'double', PT) // no thousands group: refused, not read as a decimal point
    fails('2024-03-04', 'date', PT)
    expect(castValue('03/04/2024', 'date', { dateFormat: 'MM/dd/yyyy' })).toBe('2024-03-04')
    expect(castValue('3.4.2024', 'date', { dateFormat: 'd.M.yyyy' })).toBe('2024-04-03')
    expect(() => castValue('x', 'date', { dateFormat: 'dd/mm/yy' })).toThrow(InvalidArgumentError)
    expect(() => castValue('x', 'date', { locale: 'en-US' } as never)).toThrow(/unknown locale "en-US"/)
  })

  it('timestamps: ISO text (with or without zone), or the date pattern plus a time', () => {
    expect(castValue('2024-03-01 10:20:30', 'timestamp')).toBe('2024-03-01T10:20:30')
    expect(castValue('2024-03-01T10:20+03:00', 'timestamp')).toBe('2024-03-01T10:20:00+03:00')
    expect(castValue('2024-03-01', 'timestamp')).toBe('2024-03-01T00:00:00')
    expect(castValue('01/03/2024 10:20:30.5Z', 'timestamp', PT)).toBe('2024-03-01T10:20:30.5Z')
    for (const v of ['2024-03-01 25:00', '2024-02-30', '2024-03-01T10:20+19:00', 'March 1, 2024']) fails(v, 'timestamp')
  })

  it('integers in range, no fractions, no booleans; doubles in range; blank text is null', () => {
    expect(castValue('42', 'long')).toBe(42n)
    expect(castValue(7, 'integer')).toBe(7)
    expect(castValue(' -128 ', 'byte')).toBe(-128)
    expect(castValue('', 'integer')).toBeNull()
    fails('1e400', 'double'); fails('1e39', 'float')
    expect(castValue(2n ** 60n, 'double')).toBe(2 ** 60)
    for (const [v, t] of [['x', 'long'], ['1.5', 'integer'], ['2147483648', 'integer'], [128, 'byte'], [true, 'integer'], ['9223372036854775808', 'long'], [1.5, 'long']] as const) fails(v, t)
  })

  it('decimals are exact: any rendering of a value gives its canonical text; digits beyond the scale or the precision are refused', () => {
    const canonical = (u: bigint, scale: number): string => {
      const a = u < 0n ? -u : u
      const t = a.toString().padStart(scale + 1, '0')
      const body = scale ? `${t.slice(0, -scale)}.${t.slice(-scale)}` : t
      return u < 0n ? `-${body}` : body
    }
    const grouped = (int: string): string => int.replace(/\B(?=(\d{3})+(?!\d))/g, '.')
    fc.assert(fc.property(fc.bigInt(-(10n ** 14n), 10n ** 14n), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 }), (u, scale, zeros) => {
      const type = `decimal(20,${scale})` as DataType
      const want = canonical(u, scale)
      const [int, frac = ''] = want.replace('-', '').split('.')
      const sign = u < 0n ? '-' : ''
      expect(castValue(`${sign}${int}${scale || zeros ? '.' : ''}${frac}${'0'.repeat(zeros)}`, type)).toBe(want)
      expect(castValue(`${sign}${grouped(int)}${scale ? ',' : ''}${frac}`, type, PT)).toBe(want)
      if (scale === 0) expect(castValue(u, type)).toBe(want)
      fails(`${sign}${int}.${frac}${'0'.repeat(zeros)}7`, type) // one more significant digit
    }))
    expect(castValue(12.5, 'decimal(4,2)')).toBe('12.50')
    expect(castValue(1e-7, 'decimal(10,8)')).toBe('0.00000010')
    fails(0.1 + 0.2, 'decimal(10,2)')
    fails('123.4', 'decimal(4,2)')
  })

  it('dates: every valid day in any pattern order is read, an impossible day is refused', () => {
    fc.assert(fc.property(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.constantFrom('yyyy-MM-dd', 'dd/MM/yyyy', 'MM/dd/yyyy', 'dd.MM.yyyy'), (y, m, d, pattern) => {
      const p2 = (n: number) => String(n).padStart(2, '0')
      const text = pattern.replace('yyyy', String(y)).replace('MM', p2(m)).replace('dd', p2(d))
      const valid = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d
      const got = castValue(text, 'date', { dateFormat: pattern })
      if (valid) expect(got).toBe(`${y}-${p2(m)}-${p2(d)}`)
      else expect(got).toBeInstanceOf(CastFailure)
    }))
  })
})

const SCHEMA: StructType = { type: 'struct', fields: [field('Id', 'long', false), field('v', 'integer'), field('day', 'date')] }

describe('castRows and silver cast: rescued, or refused', () => {
  it('rescues uncastable values and unknown columns as JSON (with the file), null when nothing was rescued', () => {
    const rows = castRows([
      { id: '1', v: '2', day: '2024-03-01' },
      { id: '2', v: 'bad', extra: 'x', nothing: null },
      { ID: '3', Id: '4', day: '01/03/2024' }, // two spellings of one column: the exact one is used, the other rescued
    ], SCHEMA, { source: 'f.json' })
    expect(rows).toEqual([
      { Id: 1n, v: 2, day: '2024-03-01', _rescued_data: null },
      { Id: 2n, v: null, day: null, _rescued_data: '{"v":"bad","extra":"x","_file_path":"f.json"}' },
      { Id: 4n, v: null, day: null, _rescued_data: '{"day":"01/03/2024","ID":"3","_file_path":"f.json"}' },
    ])
    // a column named in the schema as the rescued-data column, and rescued data of an earlier cast, are kept
    const again = castRows([{ id: '5', v: 'x', _r: '{"old":1}' }], { type: 'struct', fields: [...SCHEMA.fields, field('_r', 'string')] }, { rescuedDataColumn: '_r' })
    expect(again).toEqual([{ Id: 5n, v: null, day: null, _r: '{"old":1,"v":"x"}' }])
  })

  it('onError fail: a CastError naming column, value, row and file, for a bad value or an unknown column', () => {
    const e = (() => { try { castRows([{ id: 1 }, { id: 2, v: 'bad' }], SCHEMA, { onError: 'fail', source: 'f.json' }) } catch (x) { return x } })() as CastError
    expect(e).toBeInstanceOf(CastError)
    expect(e).toBeInstanceOf(SchemaMismatchError)
    expect(e).toMatchObject({ column: 'v', value: 'bad', row: 1, file: 'f.json' })
    expect(e.message).toMatch(/cannot cast "bad" to integer in column v at row 1 of f\.json/)
    expect(() => castRows([{ id: 1, extra: 'x' }], SCHEMA, { onError: 'fail' })).toThrow(/column extra \(value "x"\) at row 0 is not in the declared schema/)
    expect(castRows([{ id: 1, v: null, extra: null }], SCHEMA, { onError: 'fail' })).toEqual([{ Id: 1n, v: null, day: null }])
  })

  it('silver cast rescues by default, reads pt-BR when asked, and checks its options', () => {
    expect(castToSchema(SCHEMA)([{ id: 1, day: '31/12/2023' }])).toEqual([{ Id: 1n, v: null, day: null, _rescued_data: '{"day":"31/12/2023"}' }])
    expect(castToSchema(SCHEMA, PT)([{ id: 1, day: '31/12/2023' }])).toEqual([{ Id: 1n, v: null, day: '2023-12-31', _rescued_data: null }])
    expect(() => castToSchema(SCHEMA, { mode: 'permissive' } as never)).toThrow(UnknownOptionError)
    expect(() => castToSchema(SCHEMA, { onError: 'drop' } as never)).toThrow(/onError must be 'rescue' or 'fail'/)
    expect(() => castToSchema(SCHEMA, { dateFormat: 'yy' })).toThrow(InvalidArgumentError)
  })
})

describe('JSON lines keep every digit', () => {
  it('numbers a double cannot hold exactly stay bigint or text; other JSON parses as JSON.parse does', () => {
    fc.assert(fc.property(fc.bigInt(-(10n ** 30n), 10n ** 30n), fc.nat(999), fc.string(), (big, frac, str) => {
      const line = `{"id": ${big}, "amount": ${big}.${String(frac).padStart(3, '0')}, "s": ${JSON.stringify(str)}, "n": [1.5, -2, 0, 1e3]}`
      const got = parseJsonExact(line) as Record<string, unknown>
      const exact = big >= -(2n ** 53n) && big <= 2n ** 53n
      expect(got.id).toEqual(exact ? Number(big) : big)
      expect(got.s).toBe(str)
      expect(got.n).toEqual([1.5, -2, 0, 1000])
      // through the cast the decimal is exact whatever its size
      const row = castRows([got], { type: 'struct', fields: [field('id', 'long'), field('amount', 'decimal(38,3)'), field('s', 'string'), field('n', 'string')] })[0]
      expect(row.amount).toBe(`${big < 0n ? '-' : ''}${big < 0n ? -big : big}.${String(frac).padStart(3, '0')}`)
      if (big >= -(2n ** 63n) && big < 2n ** 63n) expect(row.id).toBe(big)
    }))
    expect(parseJsonExact('{"a":1e400,"b":1e-400,"c":"\\u0000x"}')).toEqual({ a: '1e400', b: '1e-400', c: '\u0000x' })
    expect(() => parseJsonExact('{"a": 12345678901234567-1}')).toThrow(SyntaxError)
  })
})
