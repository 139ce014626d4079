// Where the stores send their requests (no server: a scripted fetch records them): S3 virtual-hosted
// and path-style addressing, listing queries, Azure account endpoints and URI forms, SAS tokens.
import { describe, expect, it } from 'vitest'
import { AzureStore, HttpStore, S3Store } from '../../src/cloud.js'
import { listAll } from '../../src/storage/index.js'

function recorder(reply: () => Response = () => new Response('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>', { status: 200 })) {
  const calls: Array<{ url: string; method: string; headers: Record<string, string> }> = []
  const fetch = async (url: string | URL, init?: RequestInit) => {
    calls.push({ url: String(url), method: init?.method ?? 'GET', headers: (init?.headers ?? {}) as Record<string, string> })
    return reply()
  }
  return { calls, fetch }
}
const creds = { accessKeyId: 'AKID', secretAccessKey: 'secret' }

describe('S3Store addressing', () => {
  it('AWS: virtual-hosted style in the region; keys are RFC 3986 encoded under the prefix', async () => {
    const r = recorder(() => new Response('x'))
    const s = S3Store.fromUri('s3://lake/tables/sales', { region: 'eu-west-1', credentials: creds, fetch: r.fetch })
    await s.get('p=a b/part 0.parquet')
    expect(r.calls[0]!.url).toBe('https://lake.s3.eu-west-1.amazonaws.com/tables/sales/p%3Da%20b/part%200.parquet')
    expect(r.calls[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/)
  })

  it('path style for dotted buckets and custom endpoints; virtual-hosted on request', async () => {
    const r = recorder(() => new Response('x'))
    await new S3Store({ bucket: 'my.lake', region: 'us-east-1', credentials: creds, fetch: r.fetch }).get('k')
    await new S3Store({ bucket: 'lake', prefix: 't', endpoint: 'http://127.0.0.1:9000', credentials: creds, fetch: r.fetch }).get('k')
    await new S3Store({ bucket: 'lake', endpoint: 'https://r2.example.com', forcePathStyle: false, credentials: creds, fetch: r.fetch }).get('k')
    expect(r.calls.map((c) => c.url)).toEqual(['https://s3.us-east-1.amazonaws.com/my.lake/k', 'http://127.0.0.1:9000/lake/t/k', 'https://lake.r2.example.com/k'])
  })

  it('lists with ListObjectsV2: prefix under the root, start-after, delimiter for one level', async () => {
    const r = recorder()
    const s = new S3Store({ bucket: 'lake', prefix: 't', endpoint: 'http://h:1', credentials: creds, fetch: r.fetch })
    await listAll(s, '_delta_log/', { startAfter: '_delta_log/00000000000000000009.~', recursive: false })
    const u = new URL(r.calls[0]!.url)
    expect(u.pathname).toBe('/lake/')
    expect(Object.fromEntries(u.searchParams)).toEqual({ 'list-type': '2', prefix: 't/_delta_log/', 'max-keys': '1000', delimiter: '/', 'start-after': 't/_delta_log/00000000000000000009.~' })
  })

  it('without credentials sends unsigned requests (public buckets)', async () => {
    const r = recorder(() => new Response('x'))
    const saved = { ...process.env }
    try {
      delete process.env.AWS_ACCESS_KEY_ID
      delete process.env.AWS_SECRET_ACCESS_KEY
      await new S3Store({ bucket: 'open-data', region: 'us-east-1', fetch: r.fetch }).get('k')
    } finally {
      process.env = saved
    }
    expect(r.calls[0]!.headers.authorization).toBeUndefined()
  })
})

describe('AzureStore addressing', () => {
  it('az:// and abfss:// URIs; the account endpoint; Shared Key or SAS', async () => {
    const r = recorder(() => new Response('x'))
    const key = btoa('k'.repeat(64))
    await AzureStore.fromUri('az://data/tables/sales', { account: 'acct', accountKey: key, fetch: r.fetch }).get('a b.json')
    await AzureStore.fromUri('abfss://data@acct2.dfs.core.windows.net/t', { accountKey: key, fetch: r.fetch }).get('k')
    await new AzureStore({ container: 'data', account: 'acct', sasToken: '?sv=2022-11-02&sig=abc%2B', fetch: r.fetch }).get('k')
    expect(r.calls.map((c) => c.url)).toEqual([
      'https://acct.blob.core.windows.net/data/tables/sales/a%20b.json',
      'https://acct2.blob.core.windows.net/data/t/k',
      'https://acct.blob.core.windows.net/data/k?sv=2022-11-02&sig=abc%2B',
    ])
    expect(r.calls[0]!.headers.authorization).toMatch(/^SharedKey acct:[A-Za-z0-9+/]+=*$/)
    expect(r.calls[2]!.headers.authorization).toBeUndefined()
    expect(AzureStore.fromUri('abfss://data@acct2.dfs.core.windows.net/t', { accountKey: key }).url).toBe('az://data/t')
  })
})

describe('HttpStore addressing', () => {
  it('encodes keys under the base URL and sends Range for ranges', async () => {
    const r = recorder(() => new Response('abc', { status: 206 }))
    await new HttpStore('https://cdn.example.com/t/', { headers: { authorization: 'Bearer x' }, fetch: r.fetch }).getRange('p=1/a b.parquet', 5, 8)
    expect(r.calls[0]).toEqual({ url: 'https://cdn.example.com/t/p%3D1/a%20b.parquet', method: 'GET', headers: { authorization: 'Bearer x', range: 'bytes=5-7' } })
  })
})

describe('transient failures and errors', () => {
  it('retries network errors and 503 with backoff, then gives up with a StorageError naming the request', async () => {
    let n = 0
    const flaky = async () => {
      n++
      if (n === 1) throw new TypeError('fetch failed')
      return new Response(n === 2 ? 'slow down' : 'ok', { status: n === 2 ? 503 : 200 })
    }
    const s = new S3Store({ bucket: 'b', endpoint: 'http://h:1', credentials: creds, fetch: flaky, retry: { baseDelayMs: 1 } })
    expect(new TextDecoder().decode(await s.get('k'))).toBe('ok')
    expect(n).toBe(3)
    expect(s.requests.get).toBe(3)
    const down = new S3Store({ bucket: 'b', endpoint: 'http://h:1', credentials: creds, retry: { attempts: 2, baseDelayMs: 1 },
      fetch: async () => { throw new TypeError('fetch failed') } })
    await expect(down.get('k')).rejects.toThrow(/GET s3:\/\/b\/k failed after 2 attempts: fetch failed/)
  })

  it('maps a 403 to a StorageError with the service error code', async () => {
    const body = '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
    const s = new S3Store({ bucket: 'b', endpoint: 'http://h:1', credentials: creds, fetch: async () => new Response(body, { status: 403 }) })
    await expect(s.head('k')).rejects.toThrow(/HEAD s3:\/\/b\/k: HTTP 403 AccessDenied \(Access Denied\)/)
    await expect(s.putIfAbsent('k', new Uint8Array(1))).rejects.toMatchObject({ code: 'STORAGE_ERROR' })
  })
})
