// A streaming source over a raw landing folder (`raw/cdc/<table>/`), as Auto Loader's directory
// listing mode: each batch takes up to `maxFilesPerTrigger` files not taken before (oldest name
// first), reads them with the declared schema (values it cannot hold rescued, or refused), and adds
// `_source_file`. The files a batch takes are
// its offset, so a replay after a crash reads exactly the same files.
import { join } from 'node:path'
import { InvalidArgumentError, type StructType } from '../index.js'
import { CAST_OPTIONS, castRows, rescueColumn, type CastOptions } from './cast.js'
import { listRawFiles, readRawFile, type RawFile, type RawFormat } from './raw-files.js'
import type { Row, StreamSource } from './stream.js'

/** Options of `FileSource`: landing folder, declared schema, batch limits. */
export interface FileSourceOptions extends CastOptions {
  /** The landing folder. */
  path: string
  /** The declared schema every file is cast to (no inference). */
  schema: StructType
  format?: RawFormat
  /** At most this many files per batch (default 1000). */
  maxFilesPerTrigger?: number
  /** At most about this many bytes per batch (a batch holds at least one file). */
  maxBytesPerTrigger?: number
  /** Column receiving the file's name relative to the folder (default `_source_file`; null for none). */
  sourceFileColumn?: string | null
}

/** A `FileSource` offset: the landing files a batch read. */
export interface FileOffset {
  files: RawFile[]
}

/**
 * A stream source over a landing folder: each batch takes files not taken before (oldest name first),
 * cast to the declared schema.
 * @example
 * const source = new FileSource({ path: './raw/orders', schema, maxFilesPerTrigger: 10 })
 */
export class FileSource implements StreamSource<FileOffset, Set<string>> {
  private readonly seen = new Set<string>()
  private readonly maxFiles: number

  constructor(readonly options: FileSourceOptions) {
    rescueColumn('FileSource', options, ['path', 'schema', 'format', 'maxFilesPerTrigger', 'maxBytesPerTrigger', 'sourceFileColumn', ...CAST_OPTIONS])
    this.maxFiles = options.maxFilesPerTrigger ?? 1000
    if (!Number.isInteger(this.maxFiles) || this.maxFiles < 1) throw new InvalidArgumentError(`maxFilesPerTrigger must be a positive integer, got ${options.maxFilesPerTrigger}`)
    const b = options.maxBytesPerTrigger
    if (b !== undefined && !(Number.isInteger(b) && b >= 1)) throw new InvalidArgumentError(`maxBytesPerTrigger must be a positive integer, got ${b}`)
  }

  describe(): string { return `files ${this.options.path} (${this.options.format ?? 'parquet/json'})` }

  recover(planned: readonly FileOffset[]): void {
    for (const o of planned) for (const f of o.files) this.seen.add(f.name)
  }

  async latest(): Promise<Set<string>> {
    return new Set((await listRawFiles(this.options.path, this.options.format)).map((f) => f.name))
  }

  async planNext(_last: FileOffset | undefined, bound?: Set<string>): Promise<FileOffset | undefined> {
    const candidates = (await listRawFiles(this.options.path, this.options.format))
      .filter((f) => !this.seen.has(f.name) && (!bound || bound.has(f.name)))
    const maxBytes = this.options.maxBytesPerTrigger ?? Infinity
    const fresh: RawFile[] = []
    let bytes = 0
    for (const f of candidates) {
      if (fresh.length >= this.maxFiles || (fresh.length > 0 && bytes + f.size > maxBytes)) break
      fresh.push(f)
      bytes += f.size
    }
    if (!fresh.length) return undefined
    for (const f of fresh) this.seen.add(f.name)
    return { files: fresh }
  }

  async read(offset: FileOffset): Promise<Row[]> {
    const { schema, onError, rescuedDataColumn, locale, dateFormat } = this.options
    const col = this.options.sourceFileColumn === undefined ? '_source_file' : this.options.sourceFileColumn
    const out: Row[] = []
    for (const f of offset.files) {
      const raw = await readRawFile(join(this.options.path, f.name), this.options.format)
      const rows = castRows(raw, schema, { onError, rescuedDataColumn, locale, dateFormat, source: f.name })
      for (const r of rows) {
        if (col) r[col] = f.name
        out.push(r)
      }
    }
    return out
  }

  inputCount(offset: FileOffset): number { return offset.files.length }
}
