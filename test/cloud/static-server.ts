// A tiny static file server for tests (like a CDN or `python -m http.server`, but with Range
// support): GET and HEAD with Content-Length and Last-Modified, single byte ranges (`a-b`, `a-`,
// `-n`, 206/416), 404 for anything missing, no directory listings. Counts requests by method.
import { createReadStream, promises as fs } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, normalize, sep } from 'node:path'

export interface StaticServer {
  url: string
  requests: { GET: number; HEAD: number; ranged: number }
  close(): Promise<void>
}

/** Serve `mounts` (URL prefix → folder) on 127.0.0.1 at a free port. `ranges: false` ignores Range. */
export async function startStaticServer(mounts: Record<string, string>, options: { ranges?: boolean } = {}): Promise<StaticServer> {
  const requests = { GET: 0, HEAD: 0, ranged: 0 }
  const entries = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length)
  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? 'GET'
      if (method !== 'GET' && method !== 'HEAD') { res.writeHead(405).end(); return }
      requests[method]++
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      const mount = entries.find(([p]) => path.startsWith(p))
      if (!mount) { res.writeHead(404).end(); return }
      const rel = normalize(path.slice(mount[0].length))
      const file = join(mount[1], rel === '.' || rel === '' ? 'index.html' : rel)
      if (!file.startsWith(mount[1] + sep) && file !== mount[1]) { res.writeHead(403).end(); return }
      const st = await fs.stat(file).catch(() => undefined)
      if (!st?.isFile()) { res.writeHead(404).end(); return }
      const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream'
      const headers = { 'last-modified': st.mtime.toUTCString(), 'accept-ranges': options.ranges === false ? 'none' : 'bytes', 'content-type': type }
      const range = options.ranges === false ? undefined : /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '')
      let start = 0
      let end = st.size - 1
      if (range && (range[1] || range[2])) {
        requests.ranged++
        if (range[1] === '') { start = Math.max(0, st.size - Number(range[2])) } else {
          start = Number(range[1])
          if (range[2] !== '') end = Math.min(end, Number(range[2]))
        }
        if (start >= st.size || start > end) {
          res.writeHead(416, { 'content-range': `bytes */${st.size}` }).end()
          return
        }
        res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${st.size}` })
      } else {
        res.writeHead(200, { ...headers, 'content-length': st.size })
      }
      if (method === 'HEAD' || st.size === 0) { res.end(); return }
      createReadStream(file, { start, end }).pipe(res)
    })().catch(() => { if (!res.headersSent) res.writeHead(500); res.end() })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}
