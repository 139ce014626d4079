import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { snappyUncompress } from 'hyparquet'
import { maxCompressedLength, snappyCompress } from '../../src/write/snappy.js'

/** Byte equality without vitest's per-element deep comparison (slow on large arrays). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

function roundTrip(input: Uint8Array): Uint8Array {
  const compressed = snappyCompress(input)
  expect(compressed.length).toBeLessThanOrEqual(maxCompressedLength(input.length))
  const output = new Uint8Array(input.length)
  snappyUncompress(compressed, output)
  return output
}

describe('snappyCompress', () => {
  it('round-trips through an independent Snappy decoder (property)', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      // repetitive data exercises copies (short, long, far offsets)
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3000 })).map(([unit, times]) => {
        const out = new Uint8Array(unit.length * times)
        for (let i = 0; i < times; i++) out.set(unit, i * unit.length)
        return out
      }),
      fc.array(fc.constantFrom(0, 1, 2, 97, 98), { maxLength: 5000 }).map((a) => Uint8Array.from(a)),
    )
    fc.assert(fc.property(bytes, (input) => same(roundTrip(input), input)), { numRuns: 300 })
  })

  it('handles multi-block inputs and compresses repetitive data', () => {
    const text = new TextEncoder().encode('lorem ipsum dolor sit amet '.repeat(20000)) // > 64 KiB, several blocks
    const c = snappyCompress(text)
    expect(c.length).toBeLessThan(text.length / 10)
    expect(same(roundTrip(text), text)).toBe(true)
    const random = new Uint8Array(200_000)
    let x = 1
    for (let i = 0; i < random.length; i++) { x = (x * 1103515245 + 12345) >>> 0; random[i] = x >>> 24 }
    expect(same(roundTrip(random), random)).toBe(true)
    expect(roundTrip(new Uint8Array(0))).toEqual(new Uint8Array(0))
  })

  it('blocks that hardly compress are stored, and later compressible blocks are compressed again', () => {
    const BLOCK = 1 << 16
    const random = (n: number, seed: number) => {
      const out = new Uint8Array(n)
      let x = seed
      for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24 }
      return out
    }
    const text = (n: number) => new TextEncoder().encode('lorem ipsum dolor sit amet '.repeat(Math.ceil(n / 27))).subarray(0, n)
    // one random block, then 20 of text: the text after the retry compresses
    const mixed = new Uint8Array(21 * BLOCK)
    mixed.set(random(BLOCK, 7))
    mixed.set(text(20 * BLOCK), BLOCK)
    const c = snappyCompress(mixed)
    expect(c.length).toBeLessThan(mixed.length / 4)
    expect(same(roundTrip(mixed), mixed)).toBe(true)
    // any sequence of random, text and partial blocks round-trips
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 2 * BLOCK }), fc.nat()), { minLength: 1, maxLength: 14 }), (parts) => {
      const chunks = parts.map(([isText, n, seed]) => (isText ? text(n) : random(n, seed)))
      const input = new Uint8Array(chunks.reduce((a, x) => a + x.length, 0))
      let o = 0
      for (const x of chunks) { input.set(x, o); o += x.length }
      return same(roundTrip(input), input)
    }), { numRuns: 40 })
  })
})
