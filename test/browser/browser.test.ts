// The core runs in a browser: Vite bundles a page with the library, a local static server (Range
// support, no listings) serves it and a conformance table, and Debian's Chromium (headless, driven by
// playwright-core) opens the table over the HTTP store, time-travels one version and renders rows that
// this test reads back from the DOM and compares with the same table read from disk in Node.
// Without /usr/bin/chromium the test is skipped visibly (developer machine) or fails (CI=true).
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { startStaticServer, type StaticServer } from '../cloud/static-server.js'
import { bundlePage } from './bundle.js'

const CHROMIUM = process.env.LAGOMAGO_CHROMIUM ?? '/usr/bin/chromium'
const CORPUS = join(import.meta.dirname, '../../../shared/conformance/tables')
const TABLE = 'deltars__simple_table'
const OLDER = 2
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']

const cleanup: Array<() => Promise<void> | void> = []
afterAll(async () => { for (const c of cleanup.reverse()) await c() })

const cell = (v: unknown) => (v === null || v === undefined ? 'null' : v instanceof Date ? v.toISOString() : String(v))
async function expectedRows(version?: number): Promise<string[][]> {
  const rows = await (await DeltaTable.open(join(CORPUS, TABLE, 'delta'), { version })).toRows()
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].sort()
  return rows.map((r) => columns.map((c) => cell(r[c]))).sort()
}

const describeIf = existsSync(CHROMIUM) ? describe : process.env.CI === 'true' ? describe : describe.skip
if (!existsSync(CHROMIUM)) {
  if (process.env.CI === 'true') console.error(`browser test: ${CHROMIUM} is missing (install it with test/servers/install.sh chromium)`)
  else console.warn(`SKIPPED browser test: ${CHROMIUM} is missing (install it with test/servers/install.sh chromium)`)
}

describeIf('in the browser (Vite bundle, headless Chromium)', () => {
  it(`opens ${TABLE} over HTTP, time-travels to version ${OLDER} and renders the rows`, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing`).toBe(true)
    const page = await bundlePage()
    cleanup.push(() => page.remove())
    const server: StaticServer = await startStaticServer({ '/tables/': CORPUS, '/': page.dir })
    cleanup.push(() => server.close())

    const profile = mkdtempSync(join(tmpdir(), 'lagomago-chromium-'))
    cleanup.push(() => rmSync(profile, { recursive: true, force: true }))
    const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS })
    cleanup.push(() => context.close())
    const tab = await context.newPage()
    const errors: string[] = []
    tab.on('pageerror', (e) => errors.push(e.message))
    const scripts: string[] = []
    tab.on('request', (r) => { if (r.url().endsWith('.js')) scripts.push(new URL(r.url()).pathname.slice(1)) })
    await tab.goto(`${server.url}/index.html?table=/tables/${TABLE}/delta&version=${OLDER}`)
    await tab.waitForSelector('#status[data-done]', { timeout: 30_000 })
    const status = await tab.textContent('#status')
    expect(await tab.getAttribute('#status', 'data-done'), status ?? '').toBe('true')
    expect(errors).toEqual([])

    const read = (id: string) => tab.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')))
    const latest = (await read('latest')).sort()
    const older = (await read('older')).sort()
    expect(latest).toEqual(await expectedRows())
    expect(older).toEqual(await expectedRows(OLDER))
    expect(older).not.toEqual(latest)
    // reading loads the up-front chunks (bundle-size.test.ts budgets them) and the snappy decoder the
    // table's files need: no Arrow, no writer, no other codec
    const snappyOnly = (c: { packages: string[] }) => c.packages.length > 0 && c.packages.every((p) => p === 'hysnappy')
    expect(scripts.sort()).toEqual(page.chunks.filter((c) => c.eager || snappyOnly(c)).map((c) => c.file).sort())
    expect(await tab.getAttribute('#latest', 'data-title')).toBe('version 4')
    console.info(`browser page: ${status}; server saw ${server.requests.GET} GETs (${server.requests.ranged} ranged), ${server.requests.HEAD} HEADs`)
  }, 120_000)
})
