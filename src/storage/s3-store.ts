// ObjectStore over S3 and S3-compatible services (Ceph RGW, MinIO, R2…) with a small SigV4 signer
// over `fetch`: runs in Node 20 and browsers, no AWS SDK. Commits are safe for concurrent writers:
// put-if-absent is PutObject with `If-None-Match: *` (S3 answers 412 to the loser).
import { InvalidArgumentError, MissingFileError, StorageError } from '../errors.js'
import {
  bodyBytes, checkStoreOptions, env, fetchWithRetry, settleAll, httpError, joinKey, newCounts, xmlElements, xmlText,
  metaFromHead, type FetchedResponse, type FetchLike, type RequestCounts, type RequestKind, type RetryOptions,
} from './http-common.js'
import type { ListOptions, ObjectMeta, ObjectStore } from './object-store.js'
import { AWS_CREDENTIALS_KEYS, sha256Hex, signRequest, uriEncode, type AwsCredentials } from './sigv4.js'
import { checkOptions, optionKeys } from '../options.js'

/** Options of `S3Store`: bucket, prefix, region, endpoint (S3-compatible servers), credentials, tuning. */
export interface S3StoreOptions {
  bucket: string
  /** Folder inside the bucket the store is rooted at (the table root). */
  prefix?: string
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. */
  region?: string
  /** S3-compatible endpoint, e.g. `http://127.0.0.1:7480`. Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS. */
  endpoint?: string
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`. Default: true with a custom endpoint. */
  forcePathStyle?: boolean
  /** Default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; none → unsigned requests (public buckets). */
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>)
  /** Objects larger than this are written with multipart upload (default 16 MiB). */
  multipartThreshold?: number
  /** Multipart part size (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number
  /** Parts uploaded at once (default 4). */
  partConcurrency?: number
  /** Keys per listing page (default: the service's maximum). Small pages exercise pagination in tests. */
  listPageSize?: number
  retry?: RetryOptions
  fetch?: FetchLike
}
export const S3_STORE_OPTION_KEYS = optionKeys<S3StoreOptions>()([
  'bucket', 'prefix', 'region', 'endpoint', 'forcePathStyle', 'credentials', 'multipartThreshold', 'partSize', 'partConcurrency', 'listPageSize', 'retry', 'fetch',
])

const MiB = 1024 * 1024

/**
 * Amazon S3 (and S3-compatible servers) as an ObjectStore; commits use conditional puts (If-None-Match).
 * @example
 * const t = await DeltaTable.open(S3Store.fromUri('s3://bucket/lake/events', { region: 'eu-west-1' }))
 */
export class S3Store implements ObjectStore {
  readonly url: string
  readonly bucket: string
  readonly prefix: string
  readonly region: string
  /** HTTP requests sent, by kind (a multi-page listing counts one `list` per page). */
  readonly requests: RequestCounts = newCounts()
  private readonly base: URL
  private readonly pathStyle: boolean
  private readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>)
  private readonly opts: S3StoreOptions
  private readonly doFetch: FetchLike

  constructor(options: S3StoreOptions) {
    checkStoreOptions('S3Store', options, S3_STORE_OPTION_KEYS)
    if (typeof options.credentials === 'object') checkOptions('S3Store credentials', options.credentials, AWS_CREDENTIALS_KEYS)
    const e = env()
    if (!options.bucket) throw new InvalidArgumentError('S3Store needs a bucket')
    this.opts = options
    this.bucket = options.bucket
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '')
    this.region = options.region ?? e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? 'us-east-1'
    const endpoint = options.endpoint ?? e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL
    const virtualEnv = e.AWS_VIRTUAL_HOSTED_STYLE_REQUEST ?? (e.AWS_S3_FORCE_PATH_STYLE === undefined ? undefined : String(e.AWS_S3_FORCE_PATH_STYLE !== 'true'))
    this.pathStyle = options.forcePathStyle ?? (virtualEnv !== undefined ? virtualEnv !== 'true' : endpoint !== undefined || this.bucket.includes('.'))
    const root = new URL(endpoint ?? `https://s3.${this.region}.amazonaws.com`)
    if (!this.pathStyle) root.host = `${this.bucket}.${root.host}`
    this.base = root
    const ak = e.AWS_ACCESS_KEY_ID
    const sk = e.AWS_SECRET_ACCESS_KEY
    this.credentials = options.credentials ?? (ak && sk ? { accessKeyId: ak, secretAccessKey: sk, sessionToken: e.AWS_SESSION_TOKEN } : undefined)
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init))
    this.url = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`
  }

  /** `s3://bucket/prefix` (also `s3a://`), with options for endpoint, region and credentials. */
  static fromUri(uri: string, options: Partial<S3StoreOptions> = {}): S3Store {
    const m = /^s3a?:\/\/([^/]+)\/?(.*)$/i.exec(uri)
    if (!m) throw new InvalidArgumentError(`not an s3:// URI: ${uri}`, { table: uri })
    return new S3Store({ ...options, bucket: m[1]!, prefix: m[2] })
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
    const res = await this.send('get', 'GET', key, { headers: { range: `bytes=${start}-${end - 1}` } })
    if (res.status === 206) return bodyBytes(res)
    if (res.status === 200) return (await bodyBytes(res)).subarray(start, end) // server ignored the range
    if (res.status === 416) { await res.body?.cancel(); return new Uint8Array(0) } // start is past the end
    throw await this.failure(res, `GET ${this.url}/${key} bytes ${start}-${end - 1}`, key)
  }

  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    // Repeating a PUT with `If-None-Match: *` (send() does after a reset, a timeout or a 5xx) is
    // safe: it can only create the object, never replace one, so no attempt overwrites another
    // writer's commit. But its 412 may be our own earlier attempt, whose reply was lost: `false`
    // here means "taken", and the transaction reads the object back to see whose it is (txnId).
    // 409 ConditionalRequestConflict: another conditional write to the key is in flight; retry
    // until S3 settles it as 200 (ours) or 412 (theirs).
    for (let attempt = 0; ; attempt++) {
      const res = await this.send('put', 'PUT', key, { body: data, headers: { 'if-none-match': '*' } })
      if (res.status === 200 || res.status === 201) { await res.body?.cancel(); return true }
      if (res.status === 412) { await res.body?.cancel(); return false }
      if (res.status === 409 && attempt < 8) {
        await res.body?.cancel()
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * (0.5 + Math.random())))
        continue
      }
      if (res.status === 409) { await res.body?.cancel(); return false }
      throw await this.failure(res, `conditional PUT ${this.url}/${key}`, key)
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    if (data.length > (this.opts.multipartThreshold ?? 16 * MiB)) return this.multipartPut(key, data)
    const res = await this.send('put', 'PUT', key, { body: data })
    if (res.status !== 200 && res.status !== 201) throw await this.failure(res, `PUT ${this.url}/${key}`, key)
    await res.body?.cancel()
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const full = joinKey(this.prefix, prefix)
    const strip = this.prefix ? this.prefix.length + 1 : 0
    let token: string | undefined
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix: full, 'max-keys': String(this.opts.listPageSize ?? 1000) }
      if (options.recursive === false) query.delimiter = '/'
      if (token) query['continuation-token'] = token
      else if (options.startAfter !== undefined) query['start-after'] = joinKey(this.prefix, options.startAfter)
      const res = await this.send('list', 'GET', undefined, { query })
      if (res.status !== 200) throw await this.failure(res, `LIST ${this.url}/${prefix}`)
      const xml = await res.text()
      for (const c of xmlElements(xml, 'Contents')) {
        const key = xmlText(c, 'Key') ?? ''
        if (key.length < strip || key.endsWith('/')) continue // "folder" marker objects are not files
        yield { key: key.slice(strip), size: Number(xmlText(c, 'Size') ?? 0), mtime: Date.parse(xmlText(c, 'LastModified') ?? '') || 0 }
      }
      token = xmlText(xml, 'IsTruncated') === 'true' ? xmlText(xml, 'NextContinuationToken') : undefined
    } while (token)
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    const res = await this.send('head', 'HEAD', key)
    if (res.status === 404) return undefined
    if (res.status !== 200) throw await this.failure(res, `HEAD ${this.url}/${key}`, key)
    return metaFromHead(key, res)
  }

  async delete(key: string): Promise<void> {
    const res = await this.send('delete', 'DELETE', key)
    if (res.status !== 204 && res.status !== 200 && res.status !== 404) throw await this.failure(res, `DELETE ${this.url}/${key}`, key)
    await res.body?.cancel()
  }

  /** Create the bucket (tests, emulators); an existing bucket of ours is fine. */
  async createBucket(): Promise<void> {
    const res = await this.send('other', 'PUT', undefined)
    const text = await res.text()
    if (res.status === 200 || (res.status === 409 && text.includes('BucketAlreadyOwnedByYou'))) return
    throw new StorageError(`create bucket ${this.bucket}: HTTP ${res.status} ${xmlText(text, 'Code') ?? ''}`)
  }

  // ---- multipart upload (S3 "Uploading and copying objects using multipart upload") ----

  private async multipartPut(key: string, data: Uint8Array): Promise<void> {
    const partSize = Math.max(5 * MiB, this.opts.partSize ?? 8 * MiB)
    const created = await this.send('put', 'POST', key, { query: { uploads: '' } })
    if (created.status !== 200) throw await this.failure(created, `start multipart upload ${this.url}/${key}`, key)
    const uploadId = xmlText(await created.text(), 'UploadId')
    if (!uploadId) throw new StorageError(`start multipart upload ${this.url}/${key}: no UploadId in reply`, { file: key })
    try {
      const count = Math.ceil(data.length / partSize)
      const etags: string[] = new Array(count)
      let next = 0
      const worker = async (): Promise<void> => {
        for (let i = next++; i < count; i = next++) {
          const part = data.subarray(i * partSize, Math.min(data.length, (i + 1) * partSize))
          const res = await this.send('put', 'PUT', key, { body: part, query: { partNumber: String(i + 1), uploadId } })
          if (res.status !== 200) throw await this.failure(res, `upload part ${i + 1} of ${this.url}/${key}`, key)
          await res.body?.cancel()
          etags[i] = res.headers.get('etag') ?? ''
        }
      }
      await settleAll(Array.from({ length: Math.min(count, this.opts.partConcurrency ?? 4) }, worker))
      const body = `<CompleteMultipartUpload>${etags.map((t, i) =>
        `<Part><PartNumber>${i + 1}</PartNumber><ETag>${t.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}</ETag></Part>`).join('')}</CompleteMultipartUpload>`
      const done = await this.send('put', 'POST', key, { body: new TextEncoder().encode(body), query: { uploadId } })
      const reply = await done.text()
      // A retried complete whose first attempt landed (reply lost) finds the upload gone: the object
      // is there, of our size (data keys are unique to one writer), so the upload did complete.
      if (done.status === 404 && done.uncertain && xmlText(reply, 'Code') === 'NoSuchUpload' && (await this.head(key))?.size === data.length) return
      // S3 may answer 200 and still report an error in the body.
      if (done.status !== 200 || reply.includes('<Error>')) {
        throw new StorageError(`complete multipart upload ${this.url}/${key}: HTTP ${done.status} ${xmlText(reply, 'Code') ?? ''}`, { file: key })
      }
    } catch (e) {
      const abort = await this.send('delete', 'DELETE', key, { query: { uploadId } }).catch(() => undefined)
      await abort?.body?.cancel()
      throw e
    }
  }

  // ---- requests ----

  private objectUrl(key: string | undefined, query?: Record<string, string>): URL {
    const u = new URL(this.base.href)
    const basePath = u.pathname.replace(/\/+$/, '')
    const bucketPath = this.pathStyle ? `/${uriEncode(this.bucket)}` : ''
    u.pathname = key === undefined ? `${basePath}${bucketPath}/` : `${basePath}${bucketPath}/${uriEncode(joinKey(this.prefix, key), true)}`
    if (query) {
      u.search = Object.entries(query).map(([k, v]) => (v === '' && k === 'uploads' ? k : `${uriEncode(k)}=${uriEncode(v)}`)).join('&')
    }
    return u
  }

  private async send(kind: RequestKind, method: string, key: string | undefined,
    init: { headers?: Record<string, string>; body?: Uint8Array; query?: Record<string, string> } = {}): Promise<FetchedResponse> {
    const url = this.objectUrl(key, init.query)
    const payloadHash = init.body ? await sha256Hex(init.body) : await sha256Hex()
    const what = `${method} ${this.url}/${key ?? ''}`
    let used: AwsCredentials | undefined
    const once = () => fetchWithRetry(this.doFetch, async () => {
      this.requests[kind]++
      let headers = init.headers ?? {}
      used = typeof this.credentials === 'function' ? await this.credentials() : this.credentials
      if (used) headers = await signRequest({ method, url, headers, payloadHash, region: this.region }, used)
      return [url, { method, headers, body: init.body as BodyInit | undefined }]
    }, what, this.opts.retry, key)
    const res = await once()
    // Keys rotated while the request was in flight (the provider now returns others): sign again once.
    if (res.status === 403 && typeof this.credentials === 'function') {
      const now = await this.credentials()
      if (now.accessKeyId !== used?.accessKeyId || now.secretAccessKey !== used.secretAccessKey || now.sessionToken !== used.sessionToken) {
        const again = await once()
        again.uncertain ||= res.uncertain
        return again
      }
    }
    return res
  }

  private async failure(res: Response, what: string, key?: string): Promise<Error> {
    if (res.status === 404 && key !== undefined) {
      await res.body?.cancel()
      return new MissingFileError(`no such object ${this.url}/${key}`, { file: key })
    }
    return httpError(res, what, key)
  }
}
