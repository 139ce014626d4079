// The lean checkpoint reader must give exactly the rows hyparquet's generic reader gives, on every
// Parquet checkpoint and sidecar of the conformance corpus.
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import * as path from 'node:path'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { describe, expect, it } from 'vitest'
import { readCheckpointRows, UnsupportedShapeError } from '../../src/log/checkpoint-columns.js'
import { decimalText, PARQUET_PARSERS, ParsedDecimal } from '../../src/log/stats-parsed.js'
import { asyncBufferFromBytes } from '../../src/storage/async-buffer.js'
import { CONFORMANCE_DIR, corpusAvailable } from '../conformance/manifest.js'

function checkpointFiles(): string[] {
  const out: string[] = []
  const tables = path.join(CONFORMANCE_DIR, 'tables')
  for (const t of readdirSync(tables)) {
    for (const dir of ['delta/_delta_log', 'delta/_delta_log/_sidecars']) {
      const d = path.join(tables, t, dir)
      if (!existsSync(d)) continue
      for (const f of readdirSync(d)) if (f.endsWith('.parquet')) out.push(path.join(d, f))
    }
  }
  return out
}

/** Replace exact decimals by the float hyparquet gives, after checking the text is that number. */
function normaliseDecimals(o: unknown): number {
  let n = 0
  if (o === null || typeof o !== 'object') return 0
  for (const [k, v] of Object.entries(o)) {
    if (v instanceof ParsedDecimal) {
      expect(v.text).toMatch(/^-?\d+(\.\d+)?$/);
      (o as Record<string, unknown>)[k] = Number(v.text)
      n++
    } else n += normaliseDecimals(v)
  }
  return n
}

function safeNumbers(o: unknown): unknown {
  if (typeof o === 'bigint') return Number.isSafeInteger(Number(o)) ? Number(o) : o
  if (o === null || typeof o !== 'object' || o instanceof Date || o instanceof ParsedDecimal) return o
  if (Array.isArray(o)) return o.map(safeNumbers)
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, safeNumbers(v)]))
}

const COLUMNS = ['protocol', 'metaData', 'txn', 'domainMetadata', 'add', 'remove', 'checkpointMetadata', 'sidecar']

describe.skipIf(!corpusAvailable())('lean checkpoint reader', () => {
  it('matches parquetReadObjects on every corpus checkpoint and sidecar', async () => {
    const files = checkpointFiles()
    expect(files.length).toBeGreaterThan(30)
    let lean = 0
    let decimals = 0
    for (const f of files) {
      const file = asyncBufferFromBytes(new Uint8Array(readFileSync(f)))
      const metadata = parquetMetadata(await file.slice(0))
      const present = new Set(metadata.schema.slice(1).map((s) => s.name))
      const columns = COLUMNS.filter((c) => present.has(c))
      const expected = await parquetReadObjects({ file, metadata, columns, compressors, parsers: PARQUET_PARSERS })
      let got: Record<string, unknown[]>
      try {
        got = await readCheckpointRows(file, metadata, columns, { compressors, parsers: PARQUET_PARSERS })
      } catch (e) {
        if (e instanceof UnsupportedShapeError) continue // the caller falls back to parquetReadObjects
        throw e
      }
      lean++
      decimals += normaliseDecimals(got)
      // The lean reader gives plain int64 values that fit as numbers (hyparquet: bigints).
      expect(safeNumbers(got), f).toEqual(safeNumbers(Object.fromEntries(columns.map((c) => [c, expected.map((r) => r[c])]))))
    }
    expect(lean).toBe(files.length)
    expect(decimals).toBeGreaterThan(0) // the corpus has decimal stats_parsed: exact text, equal to hyparquet's float
  })
})

describe('decimalText', () => {
  it.each([[12345n, 2, '123.45'], [-5n, 3, '-0.005'], [7n, 0, '7'], [-120n, 1, '-12.0'], [12n, -2, '1200']])('%s at scale %s → %s', (u, scale, text) => {
    expect(decimalText(u, scale)).toBe(text)
  })
})
