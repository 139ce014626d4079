// Z-order clustering: a row order in which rows close in every chosen column stay close, so each
// output file covers a narrow range of each column and min/max stats skipping works on all of
// them. Each column's values are normalised to their rank among the distinct values (robust to
// skew, any ordered type), scaled to a fixed number of bits; the bits of the columns are
// interleaved (Morton code) into one key, and rows are sorted by it.
import type { DataType } from '../schema/types.js'
import { compareValues, type DeltaValue } from '../schema/values.js'

/** Key bits in total: the interleaved key stays an exact integer in a double (< 2^53). */
const KEY_BITS = 48
const MAX_BITS_PER_COLUMN = 16

/** Bits each column gets in the key when `k` columns are interleaved. */
export function bitsPerColumn(k: number): number {
  return Math.max(1, Math.min(MAX_BITS_PER_COLUMN, Math.floor(KEY_BITS / Math.max(1, k))))
}

/**
 * Each row's value mapped to [0, 2^bits): dense rank among the column's distinct values (nulls
 * first, rank 0), spread evenly over the range.
 */
export function normalizedRanks(values: ArrayLike<DeltaValue>, type: DataType, bits: number): Uint32Array {
  const n = values.length
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  const cmp = (a: number, b: number): number => {
    const x = values[a] ?? null
    const y = values[b] ?? null
    if (x === null) return y === null ? 0 : -1
    if (y === null) return 1
    return compareValues(x, y, type)
  }
  order.sort(cmp)
  const rank = new Uint32Array(n)
  let distinct = 0
  for (let i = 0; i < n; i++) {
    if (i > 0 && cmp(order[i - 1], order[i]) !== 0) distinct++
    rank[order[i]] = distinct
  }
  const max = 2 ** bits - 1
  if (distinct > 0) for (let i = 0; i < n; i++) rank[i] = Math.floor((rank[i] * max) / distinct)
  return rank
}

/** Interleave the normalised columns' bits, most significant first: the Z-order key of each row. */
export function zOrderKeys(ranks: readonly Uint32Array[], bits: number, n: number): Float64Array {
  const keys = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let key = 0
    for (let b = bits - 1; b >= 0; b--) {
      for (let c = 0; c < ranks.length; c++) key = key * 2 + ((ranks[c][i] >>> b) & 1)
    }
    keys[i] = key
  }
  return keys
}

/** The row permutation that sorts rows by their Z-order key over `columns` (stable for ties). */
export function zOrderPermutation(columns: readonly ArrayLike<DeltaValue>[], types: readonly DataType[], n: number): Int32Array {
  const bits = bitsPerColumn(columns.length)
  const ranks = columns.map((c, j) => normalizedRanks(c, types[j], bits))
  const keys = zOrderKeys(ranks, bits, n)
  const perm = new Int32Array(n)
  for (let i = 0; i < n; i++) perm[i] = i
  perm.sort((a, b) => keys[a] - keys[b] || a - b)
  return perm
}
