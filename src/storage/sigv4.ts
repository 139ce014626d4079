// AWS Signature Version 4 for S3 requests, on WebCrypto (`crypto.subtle`) so that the same code runs
// in browsers and Node 20 without the AWS SDK. Follows the "Signature Version 4 signing process"
// (canonical request → string to sign → HMAC chain over date/region/service).
import { optionKeys } from '../options.js'
import { nowOf, type Clock } from '../clock.js'

/** AWS credentials for request signing (SigV4). */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}
export const AWS_CREDENTIALS_KEYS = optionKeys<AwsCredentials>()(['accessKeyId', 'secretAccessKey', 'sessionToken'])

/** What `signRequest` signs: the request, credentials, region, service and signing time. */
export interface SignInput {
  method: string
  url: URL
  /** Headers to send and sign (names in any case); `host`, `x-amz-date` (and for S3 the payload hash) are added. */
  headers: Record<string, string>
  /** Hex SHA-256 of the body, or 'UNSIGNED-PAYLOAD'. */
  payloadHash: string
  region: string
  service?: string
  /** Clock for the signing time (tests); default the system clock. */
  now?: Clock
}

const encoder = new TextEncoder()

/** Hex SHA-256 of a body (the empty string's hash for no body). */
export async function sha256Hex(data: Uint8Array | string = ''): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)))
}

export async function hmacSha256(key: Uint8Array, data: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, encoder.encode(data)))
}

export function hex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

/** RFC 3986 encoding as SigV4 wants it: unreserved characters stay, everything else is %XX. */
export function uriEncode(s: string, keepSlash = false): string {
  let out = ''
  for (const byte of encoder.encode(s)) {
    const c = String.fromCharCode(byte)
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

// The signing key depends only on the day, region and service: cache it (one HMAC chain per day).
const keyCache = new Map<string, Uint8Array>()

async function signingKey(secret: string, date: string, region: string, service: string): Promise<Uint8Array> {
  const id = `${secret}\n${date}\n${region}\n${service}`
  let key = keyCache.get(id)
  if (!key) {
    key = await hmacSha256(encoder.encode(`AWS4${secret}`), date)
    key = await hmacSha256(key, region)
    key = await hmacSha256(key, service)
    key = await hmacSha256(key, 'aws4_request')
    if (keyCache.size > 16) keyCache.clear()
    keyCache.set(id, key)
  }
  return key
}

/**
 * The headers to send for a signed request: the caller's plus `x-amz-date`, `x-amz-content-sha256` (S3),
 * the session token when present, and `authorization`. `host` is signed but not returned (fetch sets
 * it from the URL, and browsers forbid setting it). The URL's path must already be encoded.
 * @example
 * const headers = await signRequest({ method: 'GET', url: new URL('https://bucket.s3.eu-west-1.amazonaws.com/lake/events/_delta_log/'),
 *   headers: {}, payloadHash: 'UNSIGNED-PAYLOAD', region: 'eu-west-1' }, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' })
 * const res = await fetch('https://bucket.s3.eu-west-1.amazonaws.com/lake/events/_delta_log/', { headers })
 */
export async function signRequest(input: SignInput, creds: AwsCredentials): Promise<Record<string, string>> {
  const service = input.service ?? 's3'
  const amzDate = new Date(nowOf(input.now)).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  const date = amzDate.slice(0, 8)
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = String(v)
  headers['x-amz-date'] = amzDate
  if (service === 's3') headers['x-amz-content-sha256'] = input.payloadHash // S3 requires it; other services don't sign it
  if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken
  const toSign: Record<string, string> = { ...headers, host: input.url.host }
  const names = Object.keys(toSign).sort()
  const canonicalHeaders = names.map((n) => `${n}:${toSign[n]!.trim().replace(/\s+/g, ' ')}\n`).join('')
  const signedHeaders = names.join(';')
  const query = [...input.url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  const canonicalRequest = [input.method, input.url.pathname || '/', query, canonicalHeaders, signedHeaders, input.payloadHash].join('\n')
  const scope = `${date}/${input.region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, await sha256Hex(canonicalRequest)].join('\n')
  const signature = hex(await hmacSha256(await signingKey(creds.secretAccessKey, date, input.region, service), stringToSign))
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
  return headers
}
