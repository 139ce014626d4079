// The explorer's server (`lagomago ui`): the table listing against a lake the test lays out, files
// served as HttpStore needs them (ranges, HEAD sizes: a table read through it equals the table read
// from disk), read-only (405), no way out of the lake folder (.., encoded slashes, symlinks, foreign
// Host headers), its options checked, and the CLI command printing its URL and stopping on SIGTERM.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable, InvalidArgumentError, UnknownOptionError } from '../../src/index.js'
import { HttpStore } from '../../src/cloud.js'
import { startUiServer, type UiServer } from '../../src/cli/ui-server.js'

const schema = { type: 'struct' as const, fields: [{ name: 'id', type: 'long' as const, nullable: false, metadata: {} }, { name: 'uf', type: 'string' as const, nullable: true, metadata: {} }] }
let root: string
let lake: string
let page: string
let server: UiServer
/** Table folders the test creates, with the layer the listing should give each. */
const TABLES: Array<[string, string | null]> = [
  ['bronze/events', 'bronze'], ['silver/events_clean', 'silver'], ['gold/daily', 'gold'],
  ['gold_eu/sales', 'gold'], ['scratch/tmp_table', null], ['nested/deeper/bronze/x', 'bronze'],
]

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lagomago-ui-'))
  lake = join(root, 'lake')
  page = join(root, 'page')
  mkdirSync(page)
  writeFileSync(join(page, 'index.html'), '<!doctype html><title>explorer</title>')
  for (const [path] of TABLES) {
    const t = await DeltaTable.create(join(lake, path), { schema, partitionBy: ['uf'] })
    await t.append([{ id: 1n, uf: 'SP' }, { id: 2n, uf: 'RJ' }, { id: 3n, uf: null }])
  }
  mkdirSync(join(lake, 'raw', 'landing'), { recursive: true }) // no _delta_log: not a table
  mkdirSync(join(lake, '.hidden', 't', '_delta_log'), { recursive: true })
  writeFileSync(join(root, 'secret.txt'), 'outside the lake')
  symlinkSync(join(root, 'secret.txt'), join(lake, 'link-out.txt'))
  server = await startUiServer({ lakeDir: lake, pageDir: page })
}, 60_000)
afterAll(async () => { await server?.close(); rmSync(root, { recursive: true, force: true }) })

/** A raw request (the path sent as is, no client-side normalisation). */
function raw(path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(server.url)
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString('latin1') })
      res.on('end', () => ok({ status: res.statusCode!, body, headers: res.headers }))
    })
    req.on('error', fail)
    req.end()
  })
}

describe('lagomago ui server', () => {
  it('lists the folders holding a _delta_log, with their medallion layer', async () => {
    const listing = await (await fetch(`${server.url}tables.json`)).json() as { lake: string; tables: Array<{ path: string; layer: string | null; name: string }> }
    expect(listing.lake).toBe('lake')
    const expected = TABLES.map(([path, layer]) => ({ path, layer, name: path.split('/').pop() })).sort((a, b) => (a.path < b.path ? -1 : 1))
    expect([...listing.tables].sort((a, b) => (a.path < b.path ? -1 : 1))).toEqual(expected)
  })

  it('lists a table folder given as the lake as one table at the root', async () => {
    const one = await startUiServer({ lakeDir: join(lake, 'gold/daily'), pageDir: page })
    try {
      const listing = await (await fetch(`${one.url}tables.json`)).json() as { tables: unknown[] }
      expect(listing.tables).toEqual([{ path: '', name: 'daily', layer: null }])
      expect((await DeltaTable.open(new HttpStore(`${one.url}lake/`))).version).toBe(1)
    } finally {
      await one.close()
    }
  })

  it('serves the page and the lake so that HttpStore reads a table as it is on disk', async () => {
    expect(await (await fetch(server.url)).text()).toContain('<title>explorer</title>')
    const store = new HttpStore(`${server.url}lake/gold_eu/sales`)
    const overHttp = await DeltaTable.open(store)
    const local = await DeltaTable.open(join(lake, 'gold_eu/sales'))
    expect(overHttp.version).toBe(local.version)
    const sort = (rows: Record<string, unknown>[]) => rows.map((r) => `${r.id}|${r.uf}`).sort()
    expect(sort(await overHttp.toRows())).toEqual(sort(await local.toRows()))
    expect(store.requests.get).toBeGreaterThan(0)
  })

  it('answers ranges and HEAD like a static server', async () => {
    const key = 'lake/bronze/events/_delta_log/00000000000000000000.json'
    const whole = await (await fetch(server.url + key)).text()
    const part = await fetch(server.url + key, { headers: { range: 'bytes=5-14' } })
    expect(part.status).toBe(206)
    expect(await part.text()).toBe(whole.slice(5, 15))
    expect(part.headers.get('content-range')).toBe(`bytes 5-14/${whole.length}`)
    const suffix = await fetch(server.url + key, { headers: { range: 'bytes=-7' } })
    expect(await suffix.text()).toBe(whole.slice(-7))
    expect((await fetch(server.url + key, { headers: { range: `bytes=${whole.length}-` } })).status).toBe(416)
    const head = await fetch(server.url + key, { method: 'HEAD' })
    expect(Number(head.headers.get('content-length'))).toBe(whole.length)
    expect((await fetch(`${server.url}lake/bronze/events/_delta_log/00000000000000000099.json`)).status).toBe(404)
    // revalidation by ETag: unchanged → 304 without a body; a rewritten file gets a new tag
    const etag = head.headers.get('etag')!
    const again = await raw(`/${key}`, { headers: { 'if-none-match': etag } })
    expect([again.status, again.body]).toEqual([304, ''])
    const hint = join(lake, 'bronze/events/_delta_log/_scratch.json')
    writeFileSync(hint, 'a')
    const tag1 = (await fetch(`${server.url}lake/bronze/events/_delta_log/_scratch.json`, { method: 'HEAD' })).headers.get('etag')!
    writeFileSync(hint, 'b')
    utimesSync(hint, new Date(), new Date(Date.now() + 5))
    const r = await raw('/lake/bronze/events/_delta_log/_scratch.json', { headers: { 'if-none-match': tag1 } })
    expect([r.status, r.body]).toEqual([200, 'b'])
    rmSync(hint)
  })

  it('is read-only: every other method is 405', async () => {
    for (const method of ['PUT', 'POST', 'DELETE', 'PATCH']) {
      const r = await raw('/lake/bronze/events/_delta_log/00000000000000000002.json', { method })
      expect(r.status, method).toBe(405)
    }
    expect((await raw('/lake/bronze/events/_delta_log/00000000000000000002.json')).status).toBe(404)
  })

  it('never serves a file outside the lake and page folders', async () => {
    const attempts = ['/lake/../secret.txt', '/lake/..%2fsecret.txt', '/lake/%2e%2e/secret.txt', '/lake/%2e%2e%2fsecret.txt',
      '/../secret.txt', '/..%2fsecret.txt', '/lake/link-out.txt', '/lake//..//secret.txt', '/lake/bronze/..%2f..%2fsecret.txt', '/lake/%00']
    for (const path of attempts) {
      const r = await raw(path)
      expect(r.body, path).not.toContain('outside the lake')
      expect([400, 403, 404], `${path} → ${r.status}`).toContain(r.status)
    }
    expect((await raw('/lake/link-out.txt')).status).toBe(403)
    expect((await raw('/lake/..%2fsecret.txt')).status).toBe(403)
    // another site's page cannot reach the server through a name that resolves to 127.0.0.1
    expect((await raw('/tables.json', { headers: { host: 'evil.example:80' } })).status).toBe(403)
  })

  it('checks its options', async () => {
    await expect(startUiServer({ lakeDir: lake, pageDir: page, prot: 1 } as never)).rejects.toThrow(UnknownOptionError)
    await expect(startUiServer({ lakeDir: join(root, 'missing'), pageDir: page })).rejects.toThrow(InvalidArgumentError)
    await expect(startUiServer({ lakeDir: lake, pageDir: join(root, 'no-page') })).rejects.toThrow(/not built/)
    await expect(startUiServer({ lakeDir: lake, pageDir: page, port: 70000 })).rejects.toThrow(InvalidArgumentError)
  })

  it('lagomago ui prints its URL, serves, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/cli/main.ts'), 'ui', lake, '--port', '0'],
      { env: { ...process.env, LAGOMAGO_UI_DIR: page }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stderr.on('data', (c: Buffer) => { err += c })
    const url = await new Promise<string>((ok, fail) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)
        if (m) ok(m[0])
      })
      child.on('exit', (code) => fail(new Error(`ui exited ${code}: ${out}${err}`)))
    })
    const listing = await (await fetch(`${url}tables.json`)).json() as { tables: unknown[] }
    expect(listing.tables).toHaveLength(TABLES.length)
    const code = await new Promise<number | null>((ok) => { child.on('exit', ok); child.kill('SIGTERM') })
    expect(code).toBe(0)
  }, 30_000)
})
