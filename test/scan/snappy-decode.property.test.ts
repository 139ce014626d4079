// Our Snappy decoder (src/scan/snappy-decode.ts) against an independent model: random element lists
// (literals and copies in every tag form) encoded by a test-side encoder, with the expected bytes
// computed by replaying the elements naively; round trips through two independent compressors
// (hysnappy's WASM and ours) checked against hyparquet's decoder; malformed streams throw.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { snappyUncompress } from 'hyparquet'
import * as hysnappy from 'hysnappy'
import { snappyDecompressInto } from '../../src/scan/snappy-decode.js'
import { snappyCompress } from '../../src/write/snappy.js'

type Element = { literal: Uint8Array; form: number } | { copy: number; offsetPick: number; form: number }

function varint(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  out.push(n)
  return out
}

/** The stream of `elements` (each in the chosen tag form where it allows) and the bytes it stands for. */
function encode(elements: Element[]): { stream: Uint8Array; expected: Uint8Array } {
  const model: number[] = []
  const body: number[] = []
  for (const e of elements) {
    if ('literal' in e) {
      const l = e.literal.length
      if (l === 0) continue
      // form 0: length in the tag when it fits; 1–4: that many length bytes
      const extra = l <= 60 && e.form === 0 ? 0 : Math.max(e.form, l - 1 < 256 ? 1 : l - 1 < 65536 ? 2 : 3)
      if (extra === 0) body.push((l - 1) << 2)
      else {
        body.push((59 + extra) << 2)
        for (let k = 0; k < extra; k++) body.push(Math.floor((l - 1) / 256 ** k) % 256)
      }
      body.push(...e.literal)
      model.push(...e.literal)
      continue
    }
    if (model.length === 0) continue
    const offset = 1 + (e.offsetPick % model.length)
    let l = e.copy
    // form 1 (1-byte offset): length 4–11, offset < 2048; form 2: 2-byte offset; else 4-byte offset
    if (e.form === 1 && offset < 2048) {
      l = 4 + (l % 8)
      body.push(1 | ((l - 4) << 2) | ((offset >> 8) << 5), offset & 0xff)
    } else if (e.form === 2 && offset < 65536) {
      body.push(2 | ((l - 1) << 2), offset & 0xff, offset >> 8)
    } else {
      body.push(3 | ((l - 1) << 2), offset & 0xff, (offset >> 8) & 0xff, (offset >> 16) & 0xff, (offset >>> 24) & 0xff)
    }
    // naive replay, byte by byte (overlapping copies repeat the pattern)
    for (let i = 0; i < l; i++) model.push(model[model.length - offset])
  }
  return { stream: Uint8Array.from([...varint(model.length), ...body]), expected: Uint8Array.from(model) }
}

const element: fc.Arbitrary<Element> = fc.oneof(
  fc.record({ literal: fc.uint8Array({ minLength: 1, maxLength: 80 }), form: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ literal: fc.uint8Array({ minLength: 250, maxLength: 700 }), form: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ copy: fc.integer({ min: 1, max: 64 }), offsetPick: fc.nat(), form: fc.integer({ min: 1, max: 3 }) }),
  // short offsets: overlapping copies
  fc.record({ copy: fc.integer({ min: 1, max: 64 }), offsetPick: fc.integer({ min: 0, max: 7 }), form: fc.integer({ min: 1, max: 3 }) }).map((e) => ({ ...e, offsetPick: e.offsetPick })),
)

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0

function decode(stream: Uint8Array, length: number): Uint8Array {
  // into a view inside a larger buffer: the bytes around it must stay untouched
  const big = new Uint8Array(length + 32).fill(0xa5)
  const view = big.subarray(16, 16 + length)
  snappyDecompressInto(stream, view)
  expect(big.subarray(0, 16).every((b) => b === 0xa5) && big.subarray(16 + length).every((b) => b === 0xa5)).toBe(true)
  return view.slice()
}

describe('snappyDecompressInto', () => {
  it('gives the bytes a naive replay of the elements gives (every literal and copy form, overlapping copies)', () => {
    // the shortest offsets resolve against the output so far; offsetPick % length keeps them valid
    fc.assert(fc.property(fc.array(element, { maxLength: 60 }), (elements) => {
      const { stream, expected } = encode(elements)
      expect(same(decode(stream, expected.length), expected)).toBe(true)
    }), { numRuns: 500 })
  })

  it('round-trips what two independent compressors write, as hyparquet decodes it', () => {
    // hysnappy's WASM compressor (exported by the package, missing from its type declarations)
    const wasm = (hysnappy as unknown as { snappyCompressor(): (input: Uint8Array) => Uint8Array }).snappyCompressor()
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 5000 }),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 4000 })).map(([unit, times]) => {
        const out = new Uint8Array(unit.length * times)
        for (let i = 0; i < times; i++) out.set(unit, i * unit.length)
        return out
      }),
      // int64 ids, as a key column's PLAIN page holds them
      fc.tuple(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n - 100_000n }), fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 3 }))
        .map(([start, n, step]) => new Uint8Array(BigInt64Array.from({ length: n }, (_, i) => start + BigInt(i * step)).buffer)),
    )
    fc.assert(fc.property(bytes, (input) => {
      for (const stream of [wasm(input), snappyCompress(input)]) {
        const reference = new Uint8Array(input.length)
        snappyUncompress(stream, reference)
        expect(same(reference, input)).toBe(true)
        expect(same(decode(stream, input.length), input)).toBe(true)
      }
    }), { numRuns: 200 })
  })

  it('throws on a stream cut short, a wrong stated length, a copy before the start, and garbage', () => {
    const input = new TextEncoder().encode('abcabcabcabc hello hello hello '.repeat(50))
    const stream = snappyCompress(input)
    for (let cut = 0; cut < stream.length; cut += 7) {
      expect(() => snappyDecompressInto(stream.subarray(0, cut), new Uint8Array(input.length))).toThrow(/snappy/)
    }
    expect(() => snappyDecompressInto(stream, new Uint8Array(input.length - 1))).toThrow(/snappy/)
    expect(() => snappyDecompressInto(stream, new Uint8Array(input.length + 1))).toThrow(/snappy/)
    // a copy at output 0 has nothing to copy from
    expect(() => snappyDecompressInto(Uint8Array.from([4, 1 | (0 << 2), 1]), new Uint8Array(4))).toThrow(/offset/)
    // garbage: a clean Error or exactly the stated bytes, never anything else
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(300), (junk, length) => {
      try {
        snappyDecompressInto(junk, new Uint8Array(length))
      } catch (e) {
        expect((e as Error).message).toMatch(/^snappy: /)
      }
    }), { numRuns: 500 })
  })

  it('decodes an empty stream into an empty buffer', () => {
    snappyDecompressInto(Uint8Array.from([0]), new Uint8Array(0))
    expect(() => snappyDecompressInto(new Uint8Array(0), new Uint8Array(0))).toThrow(/preamble/)
  })
})
