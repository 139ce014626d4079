import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, UnknownOptionError } from '../../src/index.js'
import { checkOptions } from '../../src/options.js'

describe('checkOptions', () => {
  const allowed = ['keys', 'opColumn', 'sequence']
  it('accepts known keys, undefined and empty options', () => {
    expect(() => checkOptions('merge', { keys: ['id'], sequence: 'seq' }, allowed)).not.toThrow()
    expect(() => checkOptions('merge', undefined, allowed)).not.toThrow()
    expect(() => checkOptions('merge', {}, allowed)).not.toThrow()
  })
  it('names an unknown key, suggests the near one and lists the valid ones', () => {
    let err: unknown
    try { checkOptions('merge (CDC mode)', { sequense: 'seq' }, allowed, { table: 'memory://t' }) } catch (e) { err = e }
    expect(err).toBeInstanceOf(UnknownOptionError)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    const e = err as UnknownOptionError
    expect(e.option).toBe('sequense')
    expect(e.code).toBe('UNKNOWN_OPTION')
    expect(e.message).toContain('"sequense"')
    expect(e.message).toContain('did you mean sequence?')
    expect(e.message).toContain('keys, opColumn, sequence')
    expect(e.message).toContain('memory://t')
  })
  it('refuses a key even when its value is undefined, and a far key without a suggestion', () => {
    expect(() => checkOptions('merge', { sequense: undefined }, allowed)).toThrow(UnknownOptionError)
    expect(() => checkOptions('merge', { op: '__op' }, allowed)).toThrow(/unknown option "op"; valid/)
  })
  it('refuses options that are not an object', () => {
    expect(() => checkOptions('merge', 'id' as unknown, allowed)).toThrow(InvalidArgumentError)
    expect(() => checkOptions('merge', ['id'] as unknown, allowed)).toThrow(/an array/)
  })
})
