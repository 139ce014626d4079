// `lagomago ui`: a read-only static file server for the lake explorer page. It serves the bundled page
// (dist/ui), the lake's files under /lake/ (GET and HEAD, single byte ranges, as HttpStore reads
// them) and /tables.json, the folders holding a `_delta_log` grouped by medallion layer. It has no
// table logic: the page reads every table itself through the library's browser build.
import { createReadStream, existsSync, promises as fs } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvalidArgumentError } from '../errors.js'
import { checkOptions, optionKeys } from '../options.js'

/** Options of `startUiServer`. */
export interface UiServerOptions {
  /** The lake folder whose tables and files are served (read-only). */
  lakeDir: string
  /** Port to listen on (default 0: a free port). */
  port?: number
  /** Address to listen on (default 127.0.0.1; `0.0.0.0` makes the lake readable from the network). */
  host?: string
  /** Folder of the bundled page (default: dist/ui of this package). */
  pageDir?: string
}
const UI_SERVER_OPTION_KEYS = optionKeys<UiServerOptions>()(['lakeDir', 'port', 'host', 'pageDir'])

export interface UiServer {
  url: string
  close(): Promise<void>
}

export type Layer = 'bronze' | 'silver' | 'gold'
/** One table folder of the listing: `path` relative to the lake, `/`-separated. */
export interface LakeTableEntry { path: string; name: string; layer: Layer | null }
export interface LakeListing { lake: string; tables: LakeTableEntry[] }

const LAYERS: readonly Layer[] = ['bronze', 'silver', 'gold']
/** Deep enough for `<catalog>/<layer>/<schema>/<table>` and then some; bounds a walk of a huge tree. */
const MAX_DEPTH = 8
const MAX_DIRS = 20_000

/** The medallion layer a table path names: a segment `bronze`, `silver` or `gold` (or `bronze_…`, `gold-…`). */
export function layerOf(path: string): Layer | null {
  for (const seg of path.toLowerCase().split('/').reverse()) {
    const l = LAYERS.find((x) => seg === x || seg.startsWith(`${x}_`) || seg.startsWith(`${x}-`))
    if (l) return l
  }
  return null
}

/** Folders under `lakeDir` holding a `_delta_log` folder (not descending into tables, dot-folders or symlinks). */
export async function listLakeTables(lakeDir: string): Promise<LakeListing> {
  const root = resolve(lakeDir)
  const tables: LakeTableEntry[] = []
  let seen = 0
  const walk = async (dir: string, rel: string[], depth: number): Promise<void> => {
    if (depth > MAX_DEPTH || ++seen > MAX_DIRS) return
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
    if (entries.some((e) => e.isDirectory() && e.name === '_delta_log')) {
      const path = rel.join('/')
      tables.push({ path, name: rel[rel.length - 1] ?? basename(root), layer: layerOf(path) })
      return
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory() && !e.name.startsWith('.')) await walk(join(dir, e.name), [...rel, e.name], depth + 1)
    }
  }
  await walk(root, [], 0)
  return { lake: basename(root), tables }
}

/** dist/ui beside this module, whether it runs from dist/cli (bundled) or src/cli (tsx). */
export function defaultPageDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url))
  return [join(here, '..', 'ui'), join(here, '..', '..', 'dist', 'ui')].find((d) => existsSync(join(d, 'index.html')))
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8',
  json: 'application/json', map: 'application/json', png: 'image/png', svg: 'image/svg+xml',
}

/** Start the explorer's server; it reads nothing but files under `lakeDir` and `pageDir`. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  checkOptions('startUiServer', options, UI_SERVER_OPTION_KEYS)
  if (typeof options?.lakeDir !== 'string' || options.lakeDir === '') throw new InvalidArgumentError('startUiServer: lakeDir is required')
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`startUiServer: port must be an integer in 0..65535, got ${port}`)
  const lakeRoot = await fs.realpath(resolve(options.lakeDir)).catch(() => undefined)
  if (!lakeRoot || !(await fs.stat(lakeRoot)).isDirectory()) throw new InvalidArgumentError(`startUiServer: lake folder ${options.lakeDir} does not exist`)
  const pageDir = options.pageDir ?? defaultPageDir()
  if (!pageDir || !existsSync(join(pageDir, 'index.html'))) {
    throw new InvalidArgumentError(`startUiServer: the explorer page is not built (no index.html in ${pageDir ?? 'dist/ui'}); run npm run build`)
  }
  const pageRoot = await fs.realpath(pageDir)
  const host = options.host ?? '127.0.0.1'

  const server: Server = createServer((req, res) => {
    handle(req, res, { lakeRoot, pageRoot, host, port: () => (server.address() as AddressInfo).port })
      .catch(() => { if (!res.headersSent) res.writeHead(500); res.end() })
  })
  await new Promise<void>((ok, fail) => { server.once('error', fail); server.listen(port, host, () => ok()) })
  const bound = (server.address() as AddressInfo).port
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shown}:${bound}/`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()) }),
  }
}

interface Ctx { lakeRoot: string; pageRoot: string; host: string; port: () => number }

async function handle(req: IncomingMessage, res: ServerResponse, ctx: Ctx): Promise<void> {
  const method = req.method ?? 'GET'
  if (method !== 'GET' && method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return }
  // Bound to loopback, answer only to loopback names: a web page elsewhere cannot read the lake by
  // pointing a DNS name at 127.0.0.1 (DNS rebinding). No CORS headers for the same reason.
  if ((ctx.host === '127.0.0.1' || ctx.host === 'localhost' || ctx.host === '::1') && !isLoopbackHost(req.headers.host, ctx.port())) {
    res.writeHead(403).end(); return
  }
  let path: string
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  } catch {
    res.writeHead(400).end(); return
  }
  if (path.includes('\0')) { res.writeHead(400).end(); return }
  if (path === '/tables.json') {
    const body = Buffer.from(JSON.stringify(await listLakeTables(ctx.lakeRoot)))
    res.writeHead(200, { 'content-type': TYPES.json, 'content-length': body.length, 'cache-control': 'no-store' })
    res.end(method === 'HEAD' ? undefined : body)
    return
  }
  const [root, rel] = path.startsWith('/lake/') ? [ctx.lakeRoot, path.slice('/lake/'.length)] : [ctx.pageRoot, path === '/' ? 'index.html' : path.slice(1)]
  const file = await inside(root, rel)
  if (file === 'outside') { res.writeHead(403).end(); return }
  const st = file ? await fs.stat(file).catch(() => undefined) : undefined
  if (!file || !st?.isFile()) { res.writeHead(404, { 'cache-control': 'no-store' }).end(); return }
  await sendFile(req, res, file, st.size, st.mtime, root === ctx.lakeRoot)
}

function isLoopbackHost(header: string | undefined, port: number): boolean {
  if (!header) return false
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(header.toLowerCase())
}

/** The real path of `rel` under `root`; 'outside' when it (or a symlink on the way) leaves `root`. */
async function inside(root: string, rel: string): Promise<string | 'outside' | undefined> {
  const wanted = resolve(root, rel)
  if (wanted !== root && !wanted.startsWith(root + sep)) return 'outside'
  const real = await fs.realpath(wanted).catch(() => undefined)
  if (real === undefined) return undefined
  return real === root || real.startsWith(root + sep) ? real : 'outside'
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, size: number, mtime: Date, lake: boolean): Promise<void> {
  const ext = file.slice(file.lastIndexOf('.') + 1).toLowerCase()
  // size and mtime to the millisecond: Last-Modified's whole seconds would miss a file rewritten
  // within a second (_last_checkpoint)
  const etag = `"${size.toString(36)}-${mtime.getTime().toString(36)}"`
  const headers = {
    etag, 'last-modified': mtime.toUTCString(), 'accept-ranges': 'bytes',
    'content-type': (!lake && TYPES[ext]) || 'application/octet-stream',
    // tables change under the page (new commits, _last_checkpoint): always revalidate
    'cache-control': 'no-cache', 'x-content-type-options': 'nosniff',
  }
  // the browser revalidates what it cached (no-cache): a commit read by history() and again by the page costs a 304
  if (req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) { res.writeHead(304, headers).end(); return }
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '')
  let start = 0
  let end = size - 1
  if (range && (range[1] || range[2])) {
    if (range[1] === '') start = Math.max(0, size - Number(range[2]))
    else {
      start = Number(range[1])
      if (range[2] !== '') end = Math.min(end, Number(range[2]))
    }
    if (start >= size || start > end) { res.writeHead(416, { 'content-range': `bytes */${size}` }).end(); return }
    res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}` })
  } else {
    res.writeHead(200, { ...headers, 'content-length': size })
  }
  if (req.method === 'HEAD' || size === 0) { res.end(); return }
  createReadStream(file, { start, end }).pipe(res)
}
