// Read-only ObjectStore over plain HTTP(S): a table published on a static file server, a CDN or a
// public bucket, readable from a browser with ranged GETs. Static servers cannot list folders, so the
// log is "listed" by probing: `_last_checkpoint` names the newest checkpoint, then HEAD requests walk
// the commit files upward until the first 404 (commits are numbered without gaps, PROTOCOL.md
// "Delta Log Entries").
import { MissingFileError, ReadOnlyStoreError, UnsupportedFeatureError } from '../errors.js'
import { bodyBytes, checkStoreOptions, fetchWithRetry, httpError, newCounts, type FetchLike, type RequestCounts, type RequestKind, type RetryOptions, lastModified } from './http-common.js'
import type { ListOptions, ObjectMeta, ObjectStore } from './object-store.js'
import { uriEncode } from './sigv4.js'
import { optionKeys } from '../options.js'

/** Options of `HttpStore`. */
export interface HttpStoreOptions {
  /** Extra request headers (e.g. an Authorization header for a private server). */
  headers?: Record<string, string>
  retry?: RetryOptions
  fetch?: FetchLike
}
export const HTTP_STORE_OPTION_KEYS = optionKeys<HttpStoreOptions>()(['headers', 'retry', 'fetch'])

const LOG_DIR = '_delta_log/'
const LAST_CHECKPOINT = '_delta_log/_last_checkpoint'
/** How long a fetched `_last_checkpoint` may stand in for a new GET when the listing follows. */
const HINT_REUSE_MS = 2000
const pad = (v: number) => String(v).padStart(20, '0')

/**
 * A read-only ObjectStore over plain HTTP(S) (a table published on a static server or CDN; ranged
 * GETs, no listing needed). Writes throw `ReadOnlyStoreError`.
 * @example
 * const t = await DeltaTable.open(new HttpStore('https://example.com/tables/events'))
 */
export class HttpStore implements ObjectStore {
  readonly url: string
  /** HTTP requests sent, by kind (probing HEADs count as `head`). */
  readonly requests: RequestCounts = newCounts()
  private readonly opts: HttpStoreOptions
  private readonly doFetch: FetchLike
  /** The last `_last_checkpoint` reply (bytes, or none for a 404), reused by the listing that follows. */
  private recentHint?: { at: number; bytes?: Uint8Array; mtime?: number }

  /** `baseUrl`: the table root, e.g. `https://cdn.example.com/tables/sales`. */
  constructor(baseUrl: string, options: HttpStoreOptions = {}) {
    checkStoreOptions('HttpStore', options, HTTP_STORE_OPTION_KEYS)
    this.url = baseUrl.replace(/\/+$/, '')
    this.opts = options
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  }

  async get(key: string): Promise<Uint8Array> {
    const res = await this.send('get', 'GET', key)
    if (res.ok && res.status !== 206) {
      const bytes = await bodyBytes(res)
      if (key === LAST_CHECKPOINT) this.recentHint = { at: Date.now(), bytes, mtime: lastModified(res) }
      return bytes
    }
    if (key === LAST_CHECKPOINT && res.status === 404) this.recentHint = { at: Date.now() }
    throw await this.failure(res, `GET ${this.url}/${key}`, key)
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    if (end <= start) {
      if (!(await this.head(key))) throw new MissingFileError(`no such object ${this.url}/${key}`, { file: key })
      return new Uint8Array(0)
    }
    const res = await this.send('get', 'GET', key, { range: `bytes=${start}-${end - 1}` })
    if (res.status === 206) return bodyBytes(res)
    if (res.status === 200) return (await bodyBytes(res)).subarray(start, end) // no range support: whole file
    if (res.status === 416) { await res.body?.cancel(); return new Uint8Array(0) }
    throw await this.failure(res, `GET ${this.url}/${key} bytes ${start}-${end - 1}`, key)
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    const res = await this.send('head', 'HEAD', key)
    if (res.status === 404 || res.status === 410) return undefined
    if (!res.ok) throw await this.failure(res, `HEAD ${this.url}/${key}`, key)
    const mtime = lastModified(res)
    const length = res.headers.get('content-length')
    // Compressed or chunked replies may omit the length: ask for one byte and read Content-Range.
    if (length !== null && res.headers.get('content-encoding') === null) return { key, size: Number(length), mtime }
    const probe = await this.send('get', 'GET', key, { range: 'bytes=0-0' })
    const total = /\/(\d+)\s*$/.exec(probe.headers.get('content-range') ?? '')?.[1]
    const size = total !== undefined ? Number(total) : (await bodyBytes(probe)).length
    if (total !== undefined) await probe.body?.cancel()
    return { key, size, mtime }
  }

  /**
   * Only the log can be listed, by probing. `startAfter` (as the log reader passes it, just before a
   * version) lets the probe start at that version instead of at the checkpoint or 0.
   */
  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    if (!(prefix.startsWith(LOG_DIR) || LOG_DIR.startsWith(prefix)) || prefix === '') {
      throw new UnsupportedFeatureError(`${this.url} is a read-only HTTP store: it can list only ${LOG_DIR} (asked for '${prefix}')`, { table: this.url })
    }
    const found: ObjectMeta[] = []
    const hint = await this.lastCheckpoint(found)
    let from = 0
    const after = options.startAfter !== undefined ? /^_delta_log\/(\d{20})/.exec(options.startAfter) : null
    if (after) from = Number(after[1]) + (options.startAfter! >= `${LOG_DIR}${after[1]}.json` ? 1 : 0)
    if (hint && hint.version >= from) {
      for (const name of checkpointNames(hint)) {
        const meta = await this.head(name)
        if (meta) found.push(meta)
      }
    }
    // Walk the commits. From 0 (a full listing) a cleaned-up prefix of the log jumps to the checkpoint.
    for (let v = from; ;) {
      const meta = await this.head(`${LOG_DIR}${pad(v)}.json`)
      if (meta) { found.push(meta); v++; continue }
      if (hint && v < hint.version) { v = hint.version; continue }
      if (hint && v === hint.version) { v++; continue } // the checkpoint's own commit may be gone
      break
    }
    const keys = found.filter((m) => m.key.startsWith(prefix) && (options.startAfter === undefined || m.key > options.startAfter))
    keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    yield* keys
  }

  async put(key: string, _data?: Uint8Array): Promise<void> { throw this.readOnly(key) }
  async putIfAbsent(key: string, _data?: Uint8Array): Promise<boolean> { throw this.readOnly(key) }
  async delete(key: string): Promise<void> { throw this.readOnly(key) }

  private readOnly(key: string): ReadOnlyStoreError {
    return new ReadOnlyStoreError(`${this.url} is a read-only HTTP store: cannot write ${key}`, { table: this.url, file: key })
  }

  /** `_last_checkpoint` as a hint (and as a listed file); missing or malformed → undefined. */
  private async lastCheckpoint(found: ObjectMeta[]): Promise<LastCheckpoint | undefined> {
    // The log reader fetched `_last_checkpoint` just before listing: reuse that reply (it is a hint).
    let hint = this.recentHint && Date.now() - this.recentHint.at < HINT_REUSE_MS ? this.recentHint : undefined
    this.recentHint = undefined
    if (!hint) {
      const res = await this.send('get', 'GET', LAST_CHECKPOINT)
      if (res.ok) hint = { at: Date.now(), bytes: await bodyBytes(res), mtime: lastModified(res) }
      else await res.body?.cancel()
    }
    if (!hint?.bytes) return undefined
    found.push({ key: LAST_CHECKPOINT, size: hint.bytes.length, mtime: hint.mtime ?? 0 })
    try {
      const json = JSON.parse(new TextDecoder().decode(hint.bytes)) as LastCheckpoint
      return Number.isSafeInteger(json.version) && json.version >= 0 ? json : undefined
    } catch {
      return undefined
    }
  }

  private send(kind: RequestKind, method: string, key: string, extra: { range?: string } = {}): Promise<Response> {
    const target = `${this.url}/${uriEncode(key, true)}`
    return fetchWithRetry(this.doFetch, async () => {
      this.requests[kind]++
      const headers: Record<string, string> = { ...this.opts.headers }
      if (extra.range) headers.range = extra.range
      return [target, { method, headers }]
    }, `${method} ${target}`, this.opts.retry, key)
  }

  private async failure(res: Response, what: string, key: string): Promise<Error> {
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel()
      return new MissingFileError(`no such object ${this.url}/${key}`, { file: key })
    }
    return httpError(res, what, key)
  }
}

interface LastCheckpoint {
  version: number
  parts?: number
  v2Checkpoint?: { path?: string }
}

/** The file names of the checkpoint `_last_checkpoint` describes (classic, multi-part or V2). */
function checkpointNames(hint: LastCheckpoint): string[] {
  if (hint.v2Checkpoint?.path) return [`${LOG_DIR}${hint.v2Checkpoint.path}`]
  if (hint.parts && hint.parts > 1) {
    return Array.from({ length: hint.parts }, (_, i) => `${LOG_DIR}${pad(hint.version)}.checkpoint.${String(i + 1).padStart(10, '0')}.${String(hint.parts).padStart(10, '0')}.parquet`)
  }
  return [`${LOG_DIR}${pad(hint.version)}.checkpoint.parquet`]
}
