// ObjectStore over Azure Blob Storage (and ADLS Gen2 accounts through their blob endpoint, and
// Azurite), signed with Shared Key on WebCrypto or authorised by a SAS token; runs in Node and
// browsers. Put-if-absent is Put Blob with `If-None-Match: *`: the loser gets 409 BlobAlreadyExists.
import { InvalidArgumentError, MissingFileError } from '../errors.js'
import {
  bodyBytes, checkStoreOptions, env, fetchWithRetry, settleAll, httpError, joinKey, newCounts, xmlElements, xmlText,
  metaFromHead, type FetchedResponse, type FetchLike, type RequestCounts, type RequestKind, type RetryOptions,
} from './http-common.js'
import type { ListOptions, ObjectMeta, ObjectStore } from './object-store.js'
import { hmacSha256, uriEncode } from './sigv4.js'
import { optionKeys } from '../options.js'

/** Azurite's (and the old storage emulator's) well-known development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1'
/** The Azurite emulator's well-known account key (public, for local tests only). */
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

/** Options of `AzureStore`: container, prefix, credentials (account key or SAS), endpoint, tuning. */
export interface AzureStoreOptions {
  container: string
  /** Folder inside the container the store is rooted at (the table root). */
  prefix?: string
  /** Default: AZURE_STORAGE_ACCOUNT_NAME or AZURE_STORAGE_ACCOUNT (or the connection string). */
  account?: string
  /** Base64 Shared Key. Default: AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_KEY. */
  accountKey?: string
  /** A SAS token (`sv=…&sig=…`) instead of the key. Default: AZURE_STORAGE_SAS_TOKEN. */
  sasToken?: string
  /** Blob endpoint including the account, e.g. `http://127.0.0.1:10000/devstoreaccount1` (Azurite). */
  endpoint?: string
  /** Azurite with its well-known account on 127.0.0.1:10000 (also AZURE_STORAGE_USE_EMULATOR=true). */
  useEmulator?: boolean
  /** Blobs larger than this are uploaded as blocks (default 16 MiB). */
  blockThreshold?: number
  /** Block size (default 8 MiB). */
  blockSize?: number
  blockConcurrency?: number
  /** Keys per listing page (default: the service's maximum). Small pages exercise pagination in tests. */
  listPageSize?: number
  retry?: RetryOptions
  fetch?: FetchLike
}
export const AZURE_STORE_OPTION_KEYS = optionKeys<AzureStoreOptions>()([
  'container', 'prefix', 'account', 'accountKey', 'sasToken', 'endpoint', 'useEmulator', 'blockThreshold', 'blockSize', 'blockConcurrency', 'listPageSize', 'retry', 'fetch',
])

const MiB = 1024 * 1024
const API_VERSION = '2021-12-02'

/** Key=value pairs of an Azure connection string. */
function parseConnectionString(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (s ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim()
  }
  return out
}

/**
 * Azure Blob Storage as an ObjectStore (commits by conditional put, If-None-Match).
 * @example
 * const t = await DeltaTable.open(AzureStore.fromUri('az://container/lake/events', { account, accountKey }))
 */
export class AzureStore implements ObjectStore {
  readonly url: string
  readonly account: string
  readonly container: string
  readonly prefix: string
  /** HTTP requests sent, by kind (a multi-page listing counts one `list` per page). */
  readonly requests: RequestCounts = newCounts()
  private readonly endpoint: URL
  private readonly key?: Uint8Array
  private readonly sas?: string
  private readonly opts: AzureStoreOptions
  private readonly doFetch: FetchLike

  constructor(options: AzureStoreOptions) {
    checkStoreOptions('AzureStore', options, AZURE_STORE_OPTION_KEYS)
    const e = env()
    const cs = parseConnectionString(e.AZURE_STORAGE_CONNECTION_STRING)
    const emulator = options.useEmulator ?? (e.AZURE_STORAGE_USE_EMULATOR === 'true' || cs.UseDevelopmentStorage === 'true')
    if (!options.container) throw new InvalidArgumentError('AzureStore needs a container')
    this.opts = options
    this.container = options.container
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '')
    this.account = options.account ?? e.AZURE_STORAGE_ACCOUNT_NAME ?? e.AZURE_STORAGE_ACCOUNT ?? cs.AccountName ?? (emulator ? AZURITE_ACCOUNT : '')
    if (!this.account) throw new InvalidArgumentError(`no Azure storage account for az://${this.container} (option account or AZURE_STORAGE_ACCOUNT_NAME)`)
    const key = options.accountKey ?? (options.sasToken ? undefined : e.AZURE_STORAGE_ACCOUNT_KEY ?? e.AZURE_STORAGE_KEY ?? cs.AccountKey ?? (emulator ? AZURITE_KEY : undefined))
    if (key) this.key = Uint8Array.from(atob(key), (c) => c.charCodeAt(0))
    const sas = options.sasToken ?? (key ? undefined : e.AZURE_STORAGE_SAS_TOKEN ?? cs.SharedAccessSignature)
    this.sas = sas?.replace(/^\?/, '')
    const endpoint = options.endpoint ?? e.AZURE_STORAGE_ENDPOINT ?? cs.BlobEndpoint
      ?? (emulator ? `http://127.0.0.1:10000/${this.account}` : `https://${this.account}.blob.core.windows.net`)
    this.endpoint = new URL(endpoint.replace(/\/+$/, ''))
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init))
    this.url = `az://${this.container}${this.prefix ? `/${this.prefix}` : ''}`
  }

  /** `az://container/prefix`, `azure://…`, or `abfs[s]://container@account.dfs.core.windows.net/prefix`. */
  static fromUri(uri: string, options: Partial<AzureStoreOptions> = {}): AzureStore {
    const abfs = /^abfss?:\/\/([^@/]+)@([^./]+)\.[^/]+\/?(.*)$/i.exec(uri)
    if (abfs) return new AzureStore({ account: abfs[2], ...options, container: abfs[1]!, prefix: abfs[3] })
    const m = /^(?:az|azure):\/\/([^/]+)\/?(.*)$/i.exec(uri)
    if (!m) throw new InvalidArgumentError(`not an az:// URI: ${uri}`, { table: uri })
    return new AzureStore({ ...options, container: m[1]!, prefix: m[2] })
  }

  async get(key: string): Promise<Uint8Array> {
    const res = await this.send('get', 'GET', key)
    if (res.status === 200) return bodyBytes(res)
    throw await this.failure(res, `GET ${this.url}/${key}`, key)
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    if (end <= start) {
      if (!(await this.head(key))) throw new MissingFileError(`no such object ${this.url}/${key}`, { file: key })
      return new Uint8Array(0)
    }
    const res = await this.send('get', 'GET', key, { headers: { 'x-ms-range': `bytes=${start}-${end - 1}` } })
    if (res.status === 206) return bodyBytes(res)
    if (res.status === 200) return (await bodyBytes(res)).subarray(start, end)
    if (res.status === 416) { await res.body?.cancel(); return new Uint8Array(0) }
    throw await this.failure(res, `GET ${this.url}/${key} bytes ${start}-${end - 1}`, key)
  }

  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    // Repeating a Put Blob with `If-None-Match: *` (send() does after a reset, a timeout or a 5xx)
    // can only create the blob, never replace one; its 409 may be our own earlier attempt whose reply
    // was lost, so the transaction reads the blob back to see whose it is (txnId).
    const res = await this.send('put', 'PUT', key, { body: data, headers: { 'x-ms-blob-type': 'BlockBlob', 'if-none-match': '*' } })
    if (res.status === 201) { await res.body?.cancel(); return true }
    // 409 BlobAlreadyExists is the lost race (412 from some emulators and proxies means the same).
    if (res.status === 409 || res.status === 412) { await res.body?.cancel(); return false }
    throw await this.failure(res, `conditional PUT ${this.url}/${key}`, key)
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    if (data.length > (this.opts.blockThreshold ?? 16 * MiB)) return this.blockPut(key, data)
    const res = await this.send('put', 'PUT', key, { body: data, headers: { 'x-ms-blob-type': 'BlockBlob' } })
    if (res.status !== 201) throw await this.failure(res, `PUT ${this.url}/${key}`, key)
    await res.body?.cancel()
  }

  /**
   * Listing with a prefix and Azure's opaque continuation marker. Azure cannot start a listing at a
   * key, so `startAfter` is applied here: keys are already in lexicographic order.
   */
  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const full = joinKey(this.prefix, prefix)
    const strip = this.prefix ? this.prefix.length + 1 : 0
    const after = options.startAfter === undefined ? undefined : joinKey(this.prefix, options.startAfter)
    let marker: string | undefined
    do {
      const query: Record<string, string> = { restype: 'container', comp: 'list', prefix: full, maxresults: String(this.opts.listPageSize ?? 5000) }
      if (options.recursive === false) query.delimiter = '/'
      if (marker) query.marker = marker
      const res = await this.send('list', 'GET', undefined, { query })
      if (res.status !== 200) throw await this.failure(res, `LIST ${this.url}/${prefix}`)
      const xml = await res.text()
      for (const b of xmlElements(xml, 'Blob')) {
        const name = xmlText(b, 'Name') ?? ''
        if (after !== undefined && name <= after) continue
        if (name.length < strip || name.endsWith('/')) continue
        yield { key: name.slice(strip), size: Number(xmlText(b, 'Content-Length') ?? 0), mtime: Date.parse(xmlText(b, 'Last-Modified') ?? '') || 0 }
      }
      marker = xmlText(xml, 'NextMarker') || undefined
    } while (marker)
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    const res = await this.send('head', 'HEAD', key)
    if (res.status === 404) return undefined
    if (res.status !== 200) throw await this.failure(res, `HEAD ${this.url}/${key}`, key)
    return metaFromHead(key, res)
  }

  async delete(key: string): Promise<void> {
    const res = await this.send('delete', 'DELETE', key)
    if (res.status !== 202 && res.status !== 200 && res.status !== 404) throw await this.failure(res, `DELETE ${this.url}/${key}`, key)
    await res.body?.cancel()
  }

  /** Create the container (tests, emulators); an existing one is fine. */
  async createContainer(): Promise<void> {
    const res = await this.send('other', 'PUT', undefined, { query: { restype: 'container' } })
    if (res.status === 201 || res.status === 409) { await res.body?.cancel(); return }
    throw await httpError(res, `create container ${this.container}`)
  }

  // ---- block upload (Put Block + Put Block List) ----

  private async blockPut(key: string, data: Uint8Array): Promise<void> {
    const size = Math.max(MiB, this.opts.blockSize ?? 8 * MiB)
    const count = Math.ceil(data.length / size)
    // Block ids must be base64 of equal length within a blob.
    const ids = Array.from({ length: count }, (_, i) => btoa(`block-${String(i).padStart(6, '0')}`))
    let next = 0
    const worker = async (): Promise<void> => {
      for (let i = next++; i < count; i = next++) {
        const block = data.subarray(i * size, Math.min(data.length, (i + 1) * size))
        const res = await this.send('put', 'PUT', key, { body: block, query: { comp: 'block', blockid: ids[i]! } })
        if (res.status !== 201) throw await this.failure(res, `put block ${i} of ${this.url}/${key}`, key)
        await res.body?.cancel()
      }
    }
    await settleAll(Array.from({ length: Math.min(count, this.opts.blockConcurrency ?? 4) }, worker))
    const body = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`
    const res = await this.send('put', 'PUT', key, { body: new TextEncoder().encode(body), query: { comp: 'blocklist' } })
    if (res.status !== 201) throw await this.failure(res, `put block list of ${this.url}/${key}`, key)
    await res.body?.cancel()
  }

  // ---- requests ----

  private async send(kind: RequestKind, method: string, key: string | undefined,
    init: { headers?: Record<string, string>; body?: Uint8Array; query?: Record<string, string> } = {}): Promise<FetchedResponse> {
    const u = new URL(this.endpoint.href)
    const base = u.pathname.replace(/\/+$/, '')
    u.pathname = key === undefined ? `${base}/${uriEncode(this.container)}` : `${base}/${uriEncode(this.container)}/${uriEncode(joinKey(this.prefix, key), true)}`
    const query = Object.entries(init.query ?? {}).map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    if (this.sas) query.push(this.sas)
    u.search = query.join('&')
    const what = `${method} ${this.url}/${key ?? ''}`
    return fetchWithRetry(this.doFetch, async () => {
      this.requests[kind]++
      const headers: Record<string, string> = { ...init.headers, 'x-ms-version': API_VERSION, 'x-ms-date': new Date().toUTCString() }
      if (this.key) headers.authorization = await this.sharedKey(method, u, headers, init.body?.length ?? 0)
      return [u, { method, headers, body: init.body as BodyInit | undefined }]
    }, what, this.opts.retry, key)
  }

  /** "Authorize with Shared Key": the Blob service string-to-sign (version 2015-02-21 and later). */
  private async sharedKey(method: string, url: URL, headers: Record<string, string>, length: number): Promise<string> {
    const h = (n: string) => headers[n] ?? ''
    const msHeaders = Object.keys(headers).filter((n) => n.startsWith('x-ms-')).sort()
      .map((n) => `${n}:${headers[n]!.trim()}\n`).join('')
    const params = new Map<string, string[]>()
    for (const [k, v] of url.searchParams) {
      const name = k.toLowerCase()
      params.set(name, [...(params.get(name) ?? []), v])
    }
    const resource = `/${this.account}${url.pathname}` +
      [...params.keys()].sort().map((k) => `\n${k}:${params.get(k)!.sort().join(',')}`).join('')
    const stringToSign = [method, h('content-encoding'), h('content-language'), length ? String(length) : '', h('content-md5'),
      h('content-type'), '', h('if-modified-since'), h('if-match'), h('if-none-match'), h('if-unmodified-since'), h('range'),
    ].join('\n') + '\n' + msHeaders + resource
    const sig = await hmacSha256(this.key!, stringToSign)
    return `SharedKey ${this.account}:${btoa(String.fromCharCode(...sig))}`
  }

  private async failure(res: Response, what: string, key?: string): Promise<Error> {
    if (res.status === 404 && key !== undefined) {
      await res.body?.cancel()
      return new MissingFileError(`no such object ${this.url}/${key}`, { file: key })
    }
    return httpError(res, what, key)
  }
}
