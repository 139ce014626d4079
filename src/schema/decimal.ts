// Exact decimal arithmetic on Delta's decimal model: a bigint unscaled value whose scale comes from
// the column type `decimal(p,s)`. Parsing accepts Java BigDecimal text (`1.5`, `-0.25`, `1E+3`, `0E-10`).

const DEC_RE = /^\s*([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/

/** The unscaled digits and scale written in a decimal text, exactly; undefined if not a number. */
export function parseDecimalParts(text: string): { unscaled: bigint; scale: number } | undefined {
  const m = DEC_RE.exec(text)
  if (!m) return undefined
  const int = m[2] ?? ''
  const frac = m[3] ?? ''
  if (int === '' && frac === '') return undefined
  const exp = m[4] === undefined ? 0 : Number(m[4])
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 10_000) return undefined
  let unscaled = BigInt(int + frac || '0')
  if (m[1] === '-') unscaled = -unscaled
  return { unscaled, scale: frac.length - exp }
}

export function pow10(n: number): bigint {
  return 10n ** BigInt(n)
}

/**
 * Move an unscaled value from one scale to another. Scaling down rounds HALF_UP (Spark's rule) when
 * `round` is true; otherwise a non-zero dropped digit makes the result undefined (inexact).
 */
export function rescale(unscaled: bigint, from: number, to: number, round = false): bigint | undefined {
  if (to >= from) return unscaled * pow10(to - from)
  const div = pow10(from - to)
  const q = unscaled / div
  const r = unscaled % div
  if (r === 0n) return q
  if (!round) return undefined
  const twice = (r < 0n ? -r : r) * 2n
  if (twice >= div) return unscaled < 0n ? q - 1n : q + 1n
  return q
}

/** Parse decimal text into the unscaled value at `scale`; undefined when not a number or inexact. */
export function parseDecimal(text: string, scale: number, round = false): bigint | undefined {
  const p = parseDecimalParts(text)
  if (!p) return undefined
  return rescale(p.unscaled, p.scale, scale, round)
}

/** Whether an unscaled value has at most `precision` digits. */
export function fitsPrecision(unscaled: bigint, precision: number): boolean {
  const abs = unscaled < 0n ? -unscaled : unscaled
  return abs < pow10(precision)
}

/** The plain text of an unscaled value at a scale, always with exactly `scale` fraction digits. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n
  let digits = (neg ? -unscaled : unscaled).toString()
  if (scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-scale)
  if (digits.length <= scale) digits = digits.padStart(scale + 1, '0')
  const cut = digits.length - scale
  return `${neg ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`
}

/** Number of digits of |v| (1 for zero). */
export function digitCount(v: bigint): number {
  return (v < 0n ? -v : v).toString().length
}

/** A JS number as exact decimal parts (its shortest round-trip text, which is what users typed). */
export function decimalPartsOfNumber(n: number): { unscaled: bigint; scale: number } | undefined {
  if (!Number.isFinite(n)) return undefined
  return parseDecimalParts(String(n))
}

/** Decimal → nearest double (for comparisons and arithmetic with floating columns). */
export function decimalToNumber(unscaled: bigint, scale: number): number {
  return Number(formatDecimal(unscaled, scale))
}
