// Pieces shared by the HTTP-based stores (S3, Azure Blob, read-only HTTP): a fetch with bounded
// retries of transient failures, request counting, a tiny XML reader for listing replies, and the
// error mapping. No Node-only imports: these stores also run in browsers.
import { StorageError } from '../errors.js'
import type { ObjectMeta } from './object-store.js'
import { checkOptions, optionKeys } from '../options.js'

/** The `fetch` the HTTP stores call (inject one for proxies, tests or custom agents). */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>

/** Requests a store has sent, by kind (what costs money on a cloud store; see docs/storage.md). */
export interface RequestCounts {
  get: number
  head: number
  put: number
  list: number
  delete: number
  other: number
}

export type RequestKind = keyof RequestCounts

export function newCounts(): RequestCounts {
  return { get: 0, head: 0, put: 0, list: 0, delete: 0, other: 0 }
}

/**
 * Sum of a store's request counters.
 * @example
 * const store = S3Store.fromUri('s3://bucket/lake/events')
 * await (await DeltaTable.open(store)).toRows()
 * console.log(totalRequests(store.requests), store.requests.get)
 */
export function totalRequests(c: RequestCounts): number {
  return c.get + c.head + c.put + c.list + c.delete + c.other
}

/** How the HTTP stores retry a request that failed transiently. */
export interface RetryOptions {
  /** Attempts for a request that failed transiently (network error, timeout, cut body, 408/429/5xx). Default 4. */
  attempts?: number
  /** First backoff in ms, doubled each time, with jitter (uniform in [½, 1½] of it). Default 100. */
  baseDelayMs?: number
  /** Ceiling of one backoff in ms. Default 5000. */
  maxDelayMs?: number
  /**
   * Longest wait in ms for the server: from the start of a request (its upload included) to the
   * reply, then between chunks of the reply body (a slow but moving download is not cut). Default 30000.
   */
  timeoutMs?: number
}
export const RETRY_OPTION_KEYS = optionKeys<RetryOptions>()(['attempts', 'baseDelayMs', 'maxDelayMs', 'timeoutMs'])

/** UnknownOptionError for a key of a store's options (or of its `retry` object) that the store lacks. */
export function checkStoreOptions(store: string, options: unknown, keys: readonly string[]): void {
  checkOptions(store, options, keys)
  checkOptions(`${store} retry`, (options as { retry?: unknown } | undefined)?.retry, RETRY_OPTION_KEYS)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Statuses worth another attempt: the server did not (or may not have) handled the request. */
const RETRIED = new Set([408, 429, 500, 502, 503, 504])
/** Statuses after which a write may have been applied although it reports failure. */
const MAY_HAVE_APPLIED = new Set([500, 502, 504])

/**
 * A reply read whole within the timeout: the body is buffered and checked against Content-Length and
 * Content-Range, so a connection cut mid-body is a failed attempt (retried), never a short result.
 * `uncertain` is set when some attempt may have been applied by the server without our knowing (a
 * lost reply, a timeout, a 5xx): a conditional write's caller must then read back to learn the outcome.
 */
export type FetchedResponse = Response & { uncertain: boolean }

/** One attempt: the reply and its whole body, or a thrown error. */
async function attemptOnce(doFetch: FetchLike, url: string | URL, init: RequestInit, timeoutMs: number): Promise<Response> {
  const ctl = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const arm = () => {
    clearTimeout(timer)
    timer = setTimeout(() => ctl.abort(new Error(`no reply from the server within ${timeoutMs} ms`)), timeoutMs)
  }
  arm()
  try {
    const res = await doFetch(url, { ...init, signal: ctl.signal })
    const chunks: Uint8Array[] = []
    let size = 0
    if (res.body) {
      const reader = res.body.getReader()
      for (;;) {
        arm()
        const { done, value } = await reader.read()
        if (done) break
        chunks.push(value)
        size += value.length
      }
    }
    // fetch decodes a Content-Encoding, after which the header no longer counts the bytes we see.
    const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity'
    const length = res.headers.get('content-length')
    if (init.method !== 'HEAD' && !encoded && length !== null && Number(length) !== size) {
      throw new Error(`reply body cut short: ${size} of ${length} bytes`)
    }
    const range = res.status === 206 ? /bytes (\d+)-(\d+)\//.exec(res.headers.get('content-range') ?? '') : null
    if (range && !encoded && Number(range[2]) - Number(range[1]) + 1 !== size) {
      throw new Error(`ranged reply body cut short: ${size} bytes for ${res.headers.get('content-range')}`)
    }
    let body: Uint8Array<ArrayBuffer> | null = null
    if (size > 0) {
      body = new Uint8Array(size)
      let at = 0
      for (const c of chunks) { body.set(c, at); at += c.length }
    }
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Send a request built fresh for each attempt (signatures carry a timestamp) and read its reply
 * whole, retrying network errors, timeouts, cut bodies and 408/429/5xx with capped, jittered
 * exponential backoff. Other statuses are returned to the caller. Every request the stores send is
 * safe to repeat: GET/HEAD/LIST/DELETE and unconditional PUTs are idempotent, data keys are unique,
 * and conditional PUTs are settled by their callers (see `uncertain`). Fails with a StorageError
 * naming `what` and `file` once the attempts are spent.
 */
export async function fetchWithRetry(
  doFetch: FetchLike,
  build: () => Promise<[string | URL, RequestInit]>,
  what: string,
  retry: RetryOptions = {},
  file?: string,
): Promise<FetchedResponse> {
  const attempts = Math.max(1, retry.attempts ?? 4)
  const base = retry.baseDelayMs ?? 100
  const cap = retry.maxDelayMs ?? 5000
  const timeoutMs = retry.timeoutMs ?? 30_000
  let lastError: unknown
  let uncertain = false
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(Math.min(cap, base * 2 ** (i - 1)) * (0.5 + Math.random()))
    let res: Response
    try {
      const [url, init] = await build()
      res = await attemptOnce(doFetch, url, init, timeoutMs)
    } catch (e) {
      lastError = e
      uncertain = true // the request may have reached the server and been applied
      continue
    }
    if (MAY_HAVE_APPLIED.has(res.status)) uncertain = true
    if (RETRIED.has(res.status) && i < attempts - 1) {
      lastError = new Error(`HTTP ${res.status}`)
      continue
    }
    return Object.assign(res, { uncertain })
  }
  const cause = lastError as Error | undefined
  const detail = cause?.message === 'terminated' && cause.cause instanceof Error ? `connection closed (${cause.cause.message})` : cause?.message ?? String(lastError)
  const err = new StorageError(`${what} failed after ${attempts} attempts: ${detail}`, { file, cause: lastError })
  err.uncertain = true
  throw err
}

/** A StorageError naming the request, the status and the service's error code/message. */
export async function httpError(res: Response, what: string, file?: string): Promise<StorageError> {
  const body = await res.text().catch(() => '')
  const code = xmlText(body, 'Code') ?? res.headers.get('x-ms-error-code') ?? ''
  const message = xmlText(body, 'Message') ?? body.slice(0, 200)
  const err = new StorageError(`${what}: HTTP ${res.status}${code ? ` ${code}` : ''}${message ? ` (${message})` : ''}`, { file })
  err.status = res.status
  err.uncertain = (res as Partial<FetchedResponse>).uncertain ?? false
  return err
}

/**
 * Promise.all that waits for every task before failing: parallel part uploads must all have stopped
 * before the caller aborts the upload (and no later failure goes unobserved).
 */
export async function settleAll(tasks: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(tasks)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
}

export async function bodyBytes(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer())
}

// ---- minimal XML reading (S3 and Azure listing replies are flat and well-formed) ----

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

export function xmlDecode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
    return ENTITIES[e] ?? m
  })
}

/** Inner XML of every `<tag>…</tag>` element (not nested in itself), in document order. */
export function xmlElements(xml: string, tag: string): string[] {
  const out: string[] = []
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g')
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1]!)
  return out
}

/** Decoded text of the first `<tag>` element, or undefined. */
export function xmlText(xml: string, tag: string): string | undefined {
  const inner = xmlElements(xml, tag)[0]
  return inner === undefined ? undefined : xmlDecode(inner)
}

/** Environment variables where there are any (Node, Deno, Bun); an empty object in browsers. */
export function env(): Record<string, string | undefined> {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
  return p?.env ?? {}
}

/** Join a root prefix and a key with exactly one '/'. */
export function joinKey(root: string, key: string): string {
  if (!root) return key
  if (!key) return `${root}/`
  return `${root}/${key}`
}

/** Copy to a standalone ArrayBuffer-backed array (fetch bodies must not see a pooled Buffer change). */
export function ownBytes(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return Uint8Array.prototype.slice.call(data) as Uint8Array<ArrayBuffer>
}

/** `Last-Modified` of a response in ms since the epoch (0 when absent or unparsable). */
export function lastModified(res: Response): number {
  return Date.parse(res.headers.get('last-modified') ?? '') || 0
}

/** Size and mtime of `key` from a HEAD response's headers. */
export function metaFromHead(key: string, res: Response): ObjectMeta {
  return { key, size: Number(res.headers.get('content-length') ?? 0), mtime: lastModified(res) }
}
