// Z85 (ZeroMQ Base-85, rfc.zeromq.org/spec/32) as Delta uses it: inline deletion vectors, the UUID of
// `u` DV paths and variant stats. Delta pads the input to a multiple of 4 bytes with zeros and the
// reader truncates to the known size (PROTOCOL.md "Deletion Vector Descriptor Schema").
import { CorruptLogError } from '../errors.js'

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'
const DECODE = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i

/** Encode bytes; input not a multiple of 4 is zero-padded (the decoder needs the real length). */
export function z85Encode(bytes: Uint8Array): string {
  const padded = bytes.length % 4 === 0 ? bytes : padTo4(bytes)
  const out: string[] = []
  for (let i = 0; i < padded.length; i += 4) {
    let v = ((padded[i] << 24) | (padded[i + 1] << 16) | (padded[i + 2] << 8) | padded[i + 3]) >>> 0
    const chunk = new Array<string>(5)
    for (let j = 4; j >= 0; j--) {
      chunk[j] = ALPHABET[v % 85]
      v = Math.floor(v / 85)
    }
    out.push(chunk.join(''))
  }
  return out.join('')
}

/**
 * Decode a Z85 string (length a multiple of 5). `size`, when given, truncates the zero padding the
 * encoder added; it must not exceed the decoded length.
 */
export function z85Decode(text: string, size?: number): Uint8Array {
  if (text.length % 5 !== 0) throw new CorruptLogError(`Z85 text of length ${text.length} is not a multiple of 5`)
  const out = new Uint8Array((text.length / 5) * 4)
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    const v = groupValue(text, i, 5)
    if (v <= 0xffffffff) {
      out[o] = v >>> 24
      out[o + 1] = (v >>> 16) & 0xff
      out[o + 2] = (v >>> 8) & 0xff
      out[o + 3] = v & 0xff
      continue
    }
    // Some writers encode a final partial group of k bytes right-aligned in its last k+1 characters
    // behind filler characters (seen in kernel-rs's cdf-table-with-dv); a zero-padded group never overflows.
    const k = size === undefined ? 0 : size - o
    if (i + 5 !== text.length || k < 1 || k > 3) throw new CorruptLogError(`Z85 group at offset ${i} overflows 32 bits`)
    let tail = groupValue(text, i + 4 - k, k + 1)
    if (tail >= 2 ** (8 * k)) throw new CorruptLogError(`Z85 group at offset ${i} overflows 32 bits`)
    for (let j = k - 1; j >= 0; j--) {
      out[o + j] = tail & 0xff
      tail = Math.floor(tail / 256)
    }
  }
  if (size === undefined) return out
  if (size > out.length || size < 0) throw new CorruptLogError(`Z85 text holds ${out.length} bytes, fewer than the stated ${size}`)
  return out.subarray(0, size)
}

function groupValue(text: string, start: number, length: number): number {
  let v = 0
  for (let j = start; j < start + length; j++) {
    const c = text.charCodeAt(j)
    const d = c < 128 ? DECODE[c] : -1
    if (d < 0) throw new CorruptLogError(`invalid Z85 character ${JSON.stringify(text[j])} at offset ${j}`)
    v = v * 85 + d
  }
  return v
}

/** The 16 bytes of a UUID from its 20-character Z85 form, in canonical 8-4-4-4-12 text. */
export function uuidFromZ85(text: string): string {
  if (text.length !== 20) throw new CorruptLogError(`a Z85 UUID has 20 characters, got ${text.length}`)
  const hex = Array.from(z85Decode(text), (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The 20-character Z85 form of a canonical UUID string (write path: `u` DV descriptors). */
export function uuidToZ85(uuid: string): string {
  const hex = uuid.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new CorruptLogError(`not a UUID: ${JSON.stringify(uuid)}`)
  const bytes = new Uint8Array(16)
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return z85Encode(bytes)
}

function padTo4(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length / 4) * 4)
  out.set(bytes)
  return out
}
