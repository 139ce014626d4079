// Raw landing files: listing a landing folder (only finished files: names starting with `.` or `_`
// are in-flight temporaries or markers) and reading one file as plain rows, Parquet or JSON lines.
import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join, relative } from 'node:path'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { decompressorsFor } from '../scan/decompressors.js'
import { CorruptDataError, InvalidArgumentError } from '../index.js'

/** Formats of landing files. */
export type RawFormat = 'parquet' | 'json'

/** A landing file: name relative to the folder, size, mtime. */
export interface RawFile {
  /** Path relative to the landing folder, '/'-separated (the identity used by checkpoints). */
  name: string
  size: number
  mtime: number
}

/**
 * The format of a file by extension: `.parquet`, or `.json`/`.jsonl`/`.ndjson` for JSON lines.
 * @example
 * formatOf('orders.ndjson') // 'json'
 */
export function formatOf(name: string): RawFormat | undefined {
  const ext = extname(name).toLowerCase()
  if (ext === '.parquet') return 'parquet'
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 'json'
  return undefined
}

/**
 * Finished files of `format` (default: both) under `dir`, recursively, sorted by name.
 * @example
 * for (const f of await listRawFiles('./raw/orders', 'json')) console.log(f.name, f.size)
 */
export async function listRawFiles(dir: string, format?: RawFormat): Promise<RawFile[]> {
  const out: RawFile[] = []
  async function walk(d: string): Promise<void> {
    let entries
    try {
      entries = await readdir(d, { withFileTypes: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw e
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue
      const p = join(d, e.name)
      if (e.isDirectory()) { await walk(p); continue }
      const f = formatOf(e.name)
      if (!f || (format && f !== format)) continue
      const s = await stat(p)
      out.push({ name: relative(dir, p).split('\\').join('/'), size: s.size, mtime: Math.floor(s.mtimeMs) })
    }
  }
  await walk(dir)
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** A number token with more digits than a double holds exactly. */
const LONG_NUMBER = /-?\d[\d.eE+-]*/y

/**
 * JSON.parse, but numbers with more than 15 significant digits (or beyond a double's range) keep
 * every digit: an integer becomes a bigint, any other number its text (a double would round them
 * silently). Such tokens are wrapped
 * in a string with a NUL-and-nonce prefix before parsing, outside JSON strings only.
 */
export function parseJsonExact(text: string): unknown {
  let marked = ''
  let last = 0
  let tag: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) { // a string: skip to its closing quote
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++
      continue
    }
    if (c !== 45 && (c < 48 || c > 57)) continue
    LONG_NUMBER.lastIndex = i
    const token = LONG_NUMBER.exec(text)![0]
    const digits = token.replace(/[eE].*$/, '').replace(/\D/g, '').replace(/^0+/, '')
    const n = Number(token)
    const valid = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(token) // else JSON.parse reports it
    if (valid && (digits.length > 15 || !Number.isFinite(n) || (n === 0 && /[1-9]/.test(digits)))) {
      tag ??= `\u0000${Math.random().toString(36).slice(2)}:`
      marked += `${text.slice(last, i)}"${tag.replace('\u0000', '\\u0000')}${token}"`
      last = i + token.length
    }
    i += token.length - 1
  }
  if (tag === undefined) return JSON.parse(text)
  const prefix = tag
  return JSON.parse(marked + text.slice(last), (_k, v: unknown) => {
    if (typeof v !== 'string' || !v.startsWith(prefix)) return v
    const token = v.slice(prefix.length)
    return /^-?\d+$/.test(token) ? BigInt(token) : token
  })
}

/**
 * The rows of one raw file, values as the file holds them (cast them with `castRows`).
 * @example
 * const raw = await readRawFile('./raw/orders/part-1.parquet') // values as stored: cast with castRows
 */
export async function readRawFile(path: string, format: RawFormat | undefined = formatOf(path)): Promise<Record<string, unknown>[]> {
  if (!format) throw new InvalidArgumentError(`cannot tell the format of ${path}: expected .parquet, .json, .jsonl or .ndjson`, { file: path })
  const bytes = await readFile(path)
  if (format === 'json') {
    const rows: Record<string, unknown>[] = []
    const lines = bytes.toString('utf8').split('\n')
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim()
      if (!line) continue
      let v: unknown
      try {
        v = parseJsonExact(line)
      } catch (e) {
        throw new CorruptDataError(`line ${i + 1} of ${path} is not JSON: ${(e as Error).message}`, { file: path, cause: e })
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CorruptDataError(`line ${i + 1} of ${path} is not a JSON object`, { file: path })
      rows.push(v as Record<string, unknown>)
    }
    return rows
  }
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  try {
    const metadata = parquetMetadata(file)
    return await parquetReadObjects({ file, metadata, compressors: await decompressorsFor(metadata) }) as Record<string, unknown>[]
  } catch (e) {
    throw new CorruptDataError(`cannot read Parquet file ${path}: ${(e as Error).message}`, { file: path, cause: e })
  }
}
