// Pieces shared by the HTTP-based stores (S3, Azure Blob, read-only HTTP): a fetch with bounded
// retries of transient failures, request counting, a tiny XML reader for listing replies, and the
// error mapping. No Node-only imports: these stores also run in browsers.
import { StorageError } from '../errors.js'
import type { ObjectMeta } from './object-store.js'

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

export function totalRequests(c: RequestCounts): number {
  return c.get + c.head + c.put + c.list + c.delete + c.other
}

export interface RetryOptions {
  /** Attempts for a request that failed transiently (network error, 429, 5xx). Default 4. */
  attempts?: number
  /** First backoff in ms, doubled each time (with jitter). Default 100. */
  baseDelayMs?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Send a request built fresh for each attempt (signatures carry a timestamp), retrying network errors
 * and 429/500/502/503/504 with exponential backoff. Other statuses are returned to the caller.
 */
export async function fetchWithRetry(
  doFetch: FetchLike,
  build: () => Promise<[string | URL, RequestInit]>,
  what: string,
  retry: RetryOptions = {},
): Promise<Response> {
  const attempts = Math.max(1, retry.attempts ?? 4)
  const base = retry.baseDelayMs ?? 100
  let lastError: unknown
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(base * 2 ** (i - 1) * (0.5 + Math.random()))
    let res: Response
    try {
      const [url, init] = await build()
      res = await doFetch(url, init)
    } catch (e) {
      lastError = e
      continue
    }
    if ([429, 500, 502, 503, 504].includes(res.status) && i < attempts - 1) {
      await res.body?.cancel().catch(() => {})
      lastError = new Error(`HTTP ${res.status}`)
      continue
    }
    return res
  }
  throw new StorageError(`${what} failed after ${attempts} attempts: ${(lastError as Error)?.message ?? lastError}`, { cause: lastError })
}

/** A StorageError naming the request, the status and the service's error code/message. */
export async function httpError(res: Response, what: string, file?: string): Promise<StorageError> {
  const body = await res.text().catch(() => '')
  const code = xmlText(body, 'Code') ?? res.headers.get('x-ms-error-code') ?? ''
  const message = xmlText(body, 'Message') ?? body.slice(0, 200)
  return new StorageError(`${what}: HTTP ${res.status}${code ? ` ${code}` : ''}${message ? ` (${message})` : ''}`, { file })
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
