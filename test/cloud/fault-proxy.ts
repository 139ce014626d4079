// A loopback HTTP proxy that misbehaves, between S3Store/AzureStore and the real test servers (Ceph
// RGW, Azurite): per request, at random from a seed (or as a test scripts it), it resets the
// connection before forwarding, forwards and then drops the reply (the write landed, the client
// can't know), delays past the client's timeout, answers 503/500/429 itself, truncates a GET body
// or serves it byte by byte; with `s3Keys` it re-signs S3 requests and rejects the old access key
// once the test rotates it (credentials that expire mid-run). Faults are counted by kind.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { prng } from '../../bench/data.js'
import { signRequest, type AwsCredentials } from '../../src/storage/sigv4.js'

export const FAULT_KINDS = ['reset', 'lostReply', 'delay', 'slowDown', 'serverError', 'throttle', 'truncate', 'trickle', 'expiredKey'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** What a request does, as far as faults are concerned. */
export type RequestClass = 'commit' | 'put' | 'part' | 'complete' | 'create' | 'get' | 'range' | 'head' | 'list' | 'delete' | 'other'

export interface RequestInfo {
  cls: RequestClass
  method: string
  /** Path and query as the client sent them. */
  url: string
  /** 1-based count of requests the proxy has seen. */
  n: number
}

/** Fault kinds that make sense for a request class (a lost reply needs a write; a truncation a body). */
const APPLICABLE: Record<FaultKind, ReadonlySet<RequestClass> | 'all'> = {
  reset: 'all',
  lostReply: new Set(['commit', 'put', 'part', 'complete', 'delete']),
  delay: 'all',
  slowDown: 'all',
  serverError: 'all',
  throttle: 'all',
  truncate: new Set(['get', 'range', 'list']),
  trickle: new Set(['get', 'range', 'list']),
  expiredKey: new Set(), // never drawn at random: it follows the key rotation
}

export interface FaultProxyOptions {
  /** e.g. http://127.0.0.1:7480 */
  upstream: string
  seed?: number
  /** Probability that a request meets a fault (default 0: a faithful proxy). */
  rate?: number
  /** Relative weights of the random kinds (default: all applicable kinds equally). */
  weights?: Partial<Record<FaultKind, number>>
  /** How long a `delay` holds the request before forwarding it (default 1500 ms). */
  delayMs?: number
  /** Overrides the random draw: the fault for this request, or undefined for none. */
  decide?: (r: RequestInfo) => FaultKind | undefined
  /** Which service answers: the error bodies differ (default s3). */
  flavor?: 's3' | 'azure'
  /**
   * S3 only: the proxy checks the access key of each request against `accepted()` (403
   * InvalidAccessKeyId for another one) and re-signs accepted requests with `real` for the server.
   */
  s3Keys?: { region: string; real: AwsCredentials; accepted: () => string }
}

export class FaultProxy {
  readonly faults: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>
  readonly byClass: Partial<Record<RequestClass, number>> = {}
  /** Each fault with its time and the request's `x-fault-tag` header (which client met it). */
  readonly events: { at: number; kind: FaultKind; tag?: string }[] = []
  requests = 0
  private readonly random: () => number
  private readonly upstream: URL
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private server?: Server
  private port = 0

  constructor(private readonly opts: FaultProxyOptions) {
    this.random = prng(opts.seed ?? 1)
    this.upstream = new URL(opts.upstream)
  }

  /** The proxy's base URL with the upstream's path (e.g. Azurite's `/devstoreaccount1`). */
  get url(): string {
    return `http://127.0.0.1:${this.port}${this.upstream.pathname.replace(/\/+$/, '')}`
  }

  get totalFaults(): number {
    return Object.values(this.faults).reduce((a, b) => a + b, 0)
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => { void this.handle(req, res) })
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)) })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }

  private classify(req: IncomingMessage): RequestClass {
    const u = new URL(req.url ?? '/', 'http://x')
    const q = u.searchParams
    const m = req.method ?? 'GET'
    if (m === 'PUT' && req.headers['if-none-match']) return 'commit'
    if (m === 'PUT' && (q.has('partNumber') || q.get('comp') === 'block')) return 'part'
    if ((m === 'POST' && q.has('uploadId')) || (m === 'PUT' && q.get('comp') === 'blocklist')) return 'complete'
    if (m === 'POST' && q.has('uploads')) return 'create'
    if (m === 'PUT' && (q.has('restype') || u.pathname.split('/').filter(Boolean).length <= 1)) return 'other'
    if (m === 'PUT') return 'put'
    if (m === 'GET' && (q.has('list-type') || q.get('comp') === 'list')) return 'list'
    if (m === 'GET' && (req.headers.range || req.headers['x-ms-range'])) return 'range'
    if (m === 'GET') return 'get'
    if (m === 'HEAD') return 'head'
    if (m === 'DELETE') return 'delete'
    return 'other'
  }

  private draw(info: RequestInfo): FaultKind | undefined {
    if (this.opts.decide) return this.opts.decide(info)
    if (!(this.random() < (this.opts.rate ?? 0))) return undefined
    const kinds = FAULT_KINDS.filter((k) => {
      const a = APPLICABLE[k]
      return (a === 'all' || a.has(info.cls)) && (this.opts.weights?.[k] ?? 1) > 0
    })
    const total = kinds.reduce((s, k) => s + (this.opts.weights?.[k] ?? 1), 0)
    let x = this.random() * total
    for (const k of kinds) {
      x -= this.opts.weights?.[k] ?? 1
      if (x < 0) return k
    }
    return kinds.at(-1)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const info: RequestInfo = { cls: this.classify(req), method: req.method ?? 'GET', url: req.url ?? '/', n: ++this.requests }
    this.byClass[info.cls] = (this.byClass[info.cls] ?? 0) + 1
    try {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const body = Buffer.concat(chunks)
      let headers = { ...req.headers }
      if (this.opts.s3Keys) {
        const key = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1]
        if (key !== this.opts.s3Keys.accepted()) {
          this.count('expiredKey', req)
          return this.answer(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.')
        }
        headers = await this.resign(req, headers)
      }
      const fault = this.draw(info)
      if (fault) this.count(fault, req)
      switch (fault) {
        case 'reset': return void req.socket.destroy()
        case 'slowDown': return this.flavorAnswer(res, 503)
        case 'serverError': return this.flavorAnswer(res, 500)
        case 'throttle': return this.flavorAnswer(res, 429)
        case 'delay': await this.sleep(this.opts.delayMs ?? 1500); break
      }
      if (req.socket.destroyed) { if (fault !== 'delay') return } // the client gave up; a delayed request still lands, late
      const up = await this.forward(req, headers, body)
      if (fault === 'lostReply') return void req.socket.destroy()
      if (req.socket.destroyed) return
      const outHeaders: Record<string, string | string[]> = {}
      for (const [k, v] of Object.entries(up.headers)) {
        if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection' && k !== 'keep-alive') outHeaders[k] = v
      }
      if (req.method !== 'HEAD') outHeaders['content-length'] = String(up.body.length)
      res.writeHead(up.status, outHeaders)
      if (fault === 'truncate' && up.body.length > 0) {
        // Full Content-Length announced, part of the body sent, then the connection drops.
        res.write(up.body.subarray(0, Math.floor(this.random() * up.body.length)))
        await this.sleep(5)
        return void req.socket.destroy()
      }
      if (fault === 'trickle') {
        for (let i = 0; i < up.body.length; i++) {
          if (req.socket.destroyed) return
          res.write(up.body.subarray(i, i + 1))
          if (i < 256 || i % 4096 === 0) await new Promise((r) => setImmediate(r))
        }
        return void res.end()
      }
      res.end(up.body)
    } catch {
      req.socket.destroy()
    }
  }

  private count(kind: FaultKind, req: IncomingMessage): void {
    this.faults[kind]++
    const tag = req.headers['x-fault-tag']
    this.events.push({ at: Date.now(), kind, tag: typeof tag === 'string' ? tag : undefined })
  }

  private forward(req: IncomingMessage, headers: Record<string, string | string[] | undefined>, body: Buffer):
    Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const out = httpRequest({
        host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: { ...headers, connection: 'keep-alive' },
      }, (up) => {
        const chunks: Buffer[] = []
        up.on('data', (c: Buffer) => chunks.push(c))
        up.on('end', () => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(chunks) }))
        up.on('error', reject)
      })
      out.on('error', reject)
      out.end(body)
    })
  }

  /** Sign again with the server's real key (the client signed with a key only the proxy knows). */
  private async resign(req: IncomingMessage, headers: Record<string, string | string[] | undefined>): Promise<Record<string, string | string[] | undefined>> {
    const keys = this.opts.s3Keys!
    const signed = (/SignedHeaders=([^,]+)/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '').split(';')
    const toSign: Record<string, string> = {}
    for (const h of signed) {
      if (['host', 'x-amz-date', 'x-amz-content-sha256', 'authorization'].includes(h)) continue
      const v = req.headers[h]
      if (v !== undefined) toSign[h] = String(v)
    }
    const url = new URL(`http://${req.headers.host}${req.url}`)
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD')
    const fresh = await signRequest({ method: req.method ?? 'GET', url, headers: toSign, payloadHash, region: keys.region }, keys.real)
    const out = { ...headers }
    delete out['x-amz-security-token']
    return { ...out, ...fresh }
  }

  private flavorAnswer(res: ServerResponse, status: 503 | 500 | 429): void {
    const s3 = (this.opts.flavor ?? 's3') === 's3'
    const code = status === 503 ? (s3 ? 'SlowDown' : 'ServerBusy') : status === 500 ? (s3 ? 'InternalError' : 'InternalError') : (s3 ? 'TooManyRequests' : 'TooManyRequests')
    this.answer(res, status, code, 'injected by the fault proxy')
  }

  private answer(res: ServerResponse, status: number, code: string, message: string): void {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)), 'x-ms-error-code': code })
    res.end(body)
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.timers.delete(t); resolve() }, ms)
      this.timers.add(t)
    })
  }

  /** One line of figures: requests, faults by kind. */
  summary(): string {
    const kinds = FAULT_KINDS.filter((k) => this.faults[k] > 0).map((k) => `${k} ${this.faults[k]}`).join(', ')
    return `${this.requests} requests, ${this.totalFaults} faults (${kinds || 'none'})`
  }
}
