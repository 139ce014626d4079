// The lake explorer in headless Chromium: the test writes a small lake through the public API with
// contents it models itself, serves it with `startUiServer` and the page bundled as `npm run build`
// bundles it, then walks every view and checks what the page shows against the model, against
// commit files it parses itself and against the library's own answers read in Node (versions,
// operations, metrics, files). Bad inputs (no table, an unknown reader feature, a damaged commit, a
// bad filter) must give a message on the page. Screenshots go to .tmp/explorer-screens/ (gitignored);
// LAGOMAGO_DOCS_SCREENSHOT=1 also writes docs/img/explorer.png. Without /usr/bin/chromium the test is
// skipped visibly (developer machine) or fails (CI=true), as test/browser does.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { startUiServer, type UiServer } from '../../src/cli/ui-server.js'
import { buildUi } from '../../scripts/build-ui.mjs'

const CHROMIUM = process.env.LAGOMAGO_CHROMIUM ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']
const SHOTS = join(import.meta.dirname, '../../.tmp/explorer-screens')
const REPO = join(import.meta.dirname, '../..')

const describeIf = existsSync(CHROMIUM) || process.env.CI === 'true' ? describe : describe.skip
if (!existsSync(CHROMIUM)) {
  if (process.env.CI === 'true') console.error(`explorer browser test: ${CHROMIUM} is missing (install it with test/servers/install.sh chromium)`)
  else console.warn(`SKIPPED explorer browser test: ${CHROMIUM} is missing (install it with test/servers/install.sh chromium)`)
}

// ---- the lake and its model -------------------------------------------------------------------
type Ev = { id: number; uf: string; amount: number }
const UFS = ['SP', 'RJ', 'MG']
const ev = (id: number): Ev => ({ id, uf: UFS[id % 3], amount: id * 10 })
/** events (CDF on, partitioned by uf): rows of each version, as the test wrote them. */
const EVENTS: Ev[][] = []
EVENTS[0] = []
EVENTS[1] = Array.from({ length: 120 }, (_, i) => ev(i))
EVENTS[2] = [...EVENTS[1], ...Array.from({ length: 30 }, (_, i) => ev(120 + i))]
EVENTS[3] = EVENTS[2].map((r) => (r.id < 10 ? { ...r, amount: r.amount + 1 } : r))
EVENTS[4] = EVENTS[3].filter((r) => r.id < 140)
const evKey = (r: Ev) => `${r.id}|${r.uf}|${r.amount}`

const field = (name: string, type: 'long' | 'string') => ({ name, type, nullable: true, metadata: {} })
let root: string
let lake: string
let server: UiServer
let browser: Browser
let tab: Page
const pageErrors: string[] = []

async function writeLake(): Promise<void> {
  const events = await DeltaTable.create(join(lake, 'bronze/events'), {
    schema: { type: 'struct', fields: [field('id', 'long'), field('uf', 'string'), field('amount', 'long')] },
    partitionBy: ['uf'], properties: { 'delta.enableChangeDataFeed': 'true' },
  })
  const big = (rows: Ev[]) => rows.map((r) => ({ id: BigInt(r.id), uf: r.uf, amount: BigInt(r.amount) }))
  await events.append(big(EVENTS[1]))
  await events.append(big(EVENTS[2].slice(120)))
  await events.update('id < 10', { amount: 'amount + 1' })
  await events.delete('id >= 140')

  // accounts: a primary key, no change data feed: the diff pairs rows by key
  const accounts = await DeltaTable.create(join(lake, 'silver/accounts'), {
    schema: { type: 'struct', fields: [field('id', 'long'), field('balance', 'long')] }, primaryKey: 'id',
  })
  await accounts.append(Array.from({ length: 50 }, (_, i) => ({ id: BigInt(i), balance: BigInt(i) })))
  await accounts.update('id < 5', { balance: 'balance + 100' })
  await accounts.delete('id >= 47')
  await accounts.append(Array.from({ length: 7 }, (_, i) => ({ id: BigInt(50 + i), balance: 0n })))

  // plain: no key, no feed: an update is a delete and an insert of whole rows
  const plain = await DeltaTable.create(join(lake, 'gold/plain'), { schema: { type: 'struct', fields: [field('k', 'long'), field('v', 'long')] } })
  await plain.append(Array.from({ length: 20 }, (_, i) => ({ k: BigInt(i), v: BigInt(i) })))
  await plain.update('k < 4', { v: 'v + 1' })
  await plain.setProperties({ 'delta.enableChangeDataFeed': 'true' }) // version 3: the feed starts here

  // a table with a reader feature nobody implements, and one whose commit 1 is damaged
  mkdirSync(join(lake, 'bad/unsupported/_delta_log'), { recursive: true })
  writeFileSync(join(lake, 'bad/unsupported/_delta_log/00000000000000000000.json'), [
    { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['futureFeature'], writerFeatures: ['futureFeature'] } },
    { metaData: { id: 'u', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify({ type: 'struct', fields: [field('id', 'long')] }), partitionColumns: [], configuration: {} } },
  ].map((a) => JSON.stringify(a)).join('\n'))
  const corrupt = await DeltaTable.create(join(lake, 'bad/corrupt'), { schema: { type: 'struct', fields: [field('id', 'long')] } })
  await corrupt.append([{ id: 1n }])
  writeFileSync(join(lake, 'bad/corrupt/_delta_log/00000000000000000001.json'), '{"add": {"path": "x.parquet", "size": \n')
}

/**
 * Files added and removed by a commit, parsed from its log file here (not by the library); a path
 * both removed and added is a file given a new deletion vector.
 */
function commitFileCounts(table: string, version: number): { added: number; removed: number; dv: number } {
  const lines = readFileSync(join(lake, table, '_delta_log', `${String(version).padStart(20, '0')}.json`), 'utf8').split('\n').filter(Boolean)
  const actions = lines.map((l) => JSON.parse(l) as { add?: { path: string }; remove?: { path: string } })
  const adds = actions.flatMap((a) => (a.add ? [a.add.path] : []))
  const removes = actions.flatMap((a) => (a.remove ? [a.remove.path] : []))
  const dv = adds.filter((p) => removes.includes(p)).length
  return { added: adds.length - dv, removed: removes.length - dv, dv }
}

// ---- driving the page -------------------------------------------------------------------------
/** Run `action` (navigation, a click) and wait until the page says it is done (ready or error). */
async function settle(action: () => Promise<unknown>): Promise<string> {
  await tab.evaluate(() => { const s = document.getElementById('status'); if (s) s.dataset.state = 'stale' })
  await action()
  await tab.waitForSelector('#status[data-state=ready], #status[data-state=error]', { timeout: 30_000 })
  return (await tab.getAttribute('#status', 'data-state'))!
}
const open = (query: string) => settle(() => tab.goto(`${server.url}?${query}`))
const k = (key: string) => tab.textContent(`[data-k="${key}"]`).then((s) => (s ?? '').trim())
const num = (s: string) => Number(s.replace(/,/g, ''))
const shot = (name: string) => tab.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
/** The cells of a table's body rows, by column name. */
function tableRows(selector: string): Promise<Array<Record<string, string>>> {
  return tab.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => Object.fromEntries(Array.from(tr.querySelectorAll('td'), (td) => [td.dataset.col ?? '', td.textContent ?? '']))))
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing (install it with test/servers/install.sh chromium)`)
    return
  }
  root = mkdtempSync(join(tmpdir(), 'lagomago-explorer-'))
  lake = join(root, 'lake')
  mkdirSync(SHOTS, { recursive: true })
  const [, bytes] = await Promise.all([writeLake(), buildUi(join(root, 'page'))])
  console.info(`explorer page: main.js ${(bytes / 1024).toFixed(0)} KiB`)
  server = await startUiServer({ lakeDir: lake, pageDir: join(root, 'page') })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
  tab = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  tab.on('pageerror', (e) => pageErrors.push(e.message))
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.close()
  if (root) rmSync(root, { recursive: true, force: true })
})

describeIf('lake explorer in headless Chromium', () => {
  it('lists the lake by layer, with each table\'s version and rows', async () => {
    expect(await open('')).toBe('ready')
    await tab.waitForFunction(() => document.querySelectorAll('tr[data-table][data-version], tr[data-table] .error').length === 5)
    const layers = await tab.$$eval('table.tables', (ts) => ts.map((t) => [t.getAttribute('data-layer'), Array.from(t.querySelectorAll('tr[data-table]'), (tr) => tr.getAttribute('data-table'))]))
    expect(Object.fromEntries(layers)).toEqual({ bronze: ['bronze/events'], silver: ['silver/accounts'], gold: ['gold/plain'], other: ['bad/corrupt', 'bad/unsupported'] })
    const row = (t: string) => tab.$eval(`tr[data-table="${t}"]`, (tr) => ({ version: tr.getAttribute('data-version'), rows: tr.getAttribute('data-rows') }))
    expect(await row('bronze/events')).toEqual({ version: '4', rows: String(EVENTS[4].length) })
    expect(await row('silver/accounts')).toEqual({ version: '4', rows: '54' })
    expect(await row('gold/plain')).toEqual({ version: '3', rows: '20' })
    // the unreadable tables say why in their row, and the rest of the lake still shows
    expect(await tab.$eval('tr[data-table="bad/unsupported"] .error', (e) => e.getAttribute('data-code'))).toBe('UNSUPPORTED_FEATURE')
    expect(await tab.$eval('tr[data-table="bad/corrupt"] .error', (e) => e.getAttribute('data-code'))).toBe('CORRUPT_LOG')
    await shot('lake')
  })

  it('overview: version, rows, files, schema, properties and features as the library reads them', async () => {
    expect(await open('table=lake/bronze/events')).toBe('ready')
    const t = await DeltaTable.open(join(lake, 'bronze/events'))
    expect(await k('latest-version')).toBe('4')
    expect(num(await k('rows'))).toBe(EVENTS[4].length)
    expect(num(await k('files'))).toBe((await t.files()).length)
    expect(await k('partitions')).toBe('uf')
    expect((await tableRows('#schema')).map((r) => [r.column, r.type])).toEqual([['id', 'long'], ['uf', 'string'], ['amount', 'long']])
    expect((await tableRows('#properties')).find((r) => r.property === 'delta.enableChangeDataFeed')?.value).toBe('true')
    expect(await k('min-reader')).toBe(String(t.protocol.minReaderVersion))
    await shot('overview')
  })

  it('history: operations, metrics and files per version match the log', async () => {
    expect(await open('table=lake/bronze/events&view=history')).toBe('ready')
    const rows = await tableRows('#history')
    const lib = await (await DeltaTable.open(join(lake, 'bronze/events'))).history()
    expect(rows.map((r) => Number(r.version))).toEqual([4, 3, 2, 1, 0])
    for (const [i, e] of lib.entries()) {
      const r = rows[i]
      expect(r.operation).toBe(e.operation)
      for (const [m, v] of Object.entries(e.operationMetrics ?? {})) expect(r.metrics).toContain(`${m}=${v}`)
      const files = commitFileCounts('bronze/events', e.version)
      expect([num(r['files +']), num(r['files −']), num(r['new DVs'])], `version ${e.version}`).toEqual([files.added, files.removed, files.dv])
    }
    const byVersion = new Map(rows.map((r) => [Number(r.version), r]))
    expect(num(byVersion.get(1)!['rows inserted'])).toBe(120)
    expect(num(byVersion.get(2)!['rows inserted'])).toBe(30)
    expect(num(byVersion.get(3)!['rows updated'])).toBe(10)
    expect(num(byVersion.get(4)!['rows deleted'])).toBe(10)
    // the delete marked rows in deletion vectors: its commit re-adds files with new vectors (one per partition touched)
    expect(num(byVersion.get(4)!['new DVs'])).toBeGreaterThan(0)
    expect(await tab.$$eval('svg.timeline g[data-version]', (gs) => gs.map((g) => Number(g.getAttribute('data-version'))))).toEqual([0, 1, 2, 3, 4])
    await shot('history')
    if (process.env.LAGOMAGO_DOCS_SCREENSHOT === '1') await tab.screenshot({ path: join(REPO, 'docs/img/explorer.png') })
  })

  it('data: pages through every row, time-travels with the slider, filters', async () => {
    expect(await open('table=lake/bronze/events&view=data')).toBe('ready')
    expect(num(await k('data-total'))).toBe(EVENTS[4].length)
    const seen: string[] = []
    for (let page = 0; ; page++) {
      const rows = await tableRows('#rows')
      expect(rows.length, `page ${page}`).toBe(Math.min(50, EVENTS[4].length - page * 50))
      seen.push(...rows.map((r) => `${r.id}|${r.uf}|${r.amount}`))
      if (await tab.isDisabled('#next-page')) break
      expect(await settle(() => tab.click('#next-page'))).toBe('ready')
    }
    expect(seen.sort()).toEqual(EVENTS[4].map(evKey).sort())
    await shot('data')

    // time travel to version 1 with the slider: 120 rows, amounts before the update
    expect(await settle(() => tab.$eval('#version-slider', (el) => { (el as HTMLInputElement).value = '1'; el.dispatchEvent(new Event('change')) }))).toBe('ready')
    expect(await k('data-version')).toBe('1')
    expect(num(await k('data-total'))).toBe(120)
    const old = await tableRows('#rows')
    expect(old).toHaveLength(50)
    const v1 = new Set(EVENTS[1].map(evKey))
    for (const r of old) expect(v1.has(`${r.id}|${r.uf}|${r.amount}`), JSON.stringify(r)).toBe(true)

    // a filter in the SQL subset, at the latest version
    expect(await open(`table=lake/bronze/events&view=data&filter=${encodeURIComponent("uf = 'SP' AND id < 30")}`)).toBe('ready')
    const filtered = (await tableRows('#rows')).map((r) => `${r.id}|${r.uf}|${r.amount}`).sort()
    expect(filtered).toEqual(EVENTS[4].filter((r) => r.uf === 'SP' && r.id < 30).map(evKey).sort())
    expect(await k('page-range')).toBe(`rows 1–${filtered.length} of ${filtered.length}`)

    // a filter outside the subset: a message under the box, the page stays up
    await open(`table=lake/bronze/events&view=data&filter=${encodeURIComponent('nosuchcolumn = 1')}`)
    expect(await tab.$eval('#view .error', (e) => e.getAttribute('data-code'))).toBe('INVALID_EXPRESSION')
    expect(await tab.isVisible('#filter')).toBe(true)
  })

  it('diff: from the change data feed, by primary key, and by whole rows', async () => {
    const diff = async (table: string, from: number, to: number) => {
      expect(await open(`table=lake/${table}&view=diff&from=${from}&to=${to}`)).toBe('ready')
      return { method: await k('diff-method'), inserted: num(await k('diff-inserted')), updated: await k('diff-updated'), deleted: num(await k('diff-deleted')) }
    }
    expect(await diff('bronze/events', 2, 4)).toEqual({ method: 'change data feed', inserted: 0, updated: '10', deleted: 10 })
    await shot('diff')
    expect(await diff('bronze/events', 0, 2)).toMatchObject({ inserted: 150, updated: '0', deleted: 0 })
    const byKey = await diff('silver/accounts', 1, 4)
    expect(byKey.method).toContain('primary key (id)')
    expect(byKey).toMatchObject({ inserted: 7, updated: '5', deleted: 3 })
    const whole = await diff('gold/plain', 1, 2)
    expect(whole.method).toContain('no primary key')
    expect(whole).toMatchObject({ inserted: 4, deleted: 4 })
    expect(whole.updated).toMatch(/^—/)
    // the feed is on at version 3 but not at 2: the diff says so and compares the rows instead
    expect(await diff('gold/plain', 1, 3)).toMatchObject({ inserted: 4, deleted: 4 })
    expect(await k('diff-note')).toMatch(/does not cover versions 2–3/)
  })

  it('files: histograms, the OPTIMIZE hint and partitions match the files the library lists', async () => {
    expect(await open('table=lake/bronze/events&view=files')).toBe('ready')
    const files = await (await DeltaTable.open(join(lake, 'bronze/events'))).files()
    expect(num(await k('files-count'))).toBe(files.length)
    const counts = await tab.$$eval('svg.histogram', (ss) => ss.map((s) => JSON.parse(s.getAttribute('data-counts')!) as number[]))
    for (const c of counts) expect(c.reduce((a, b) => a + b, 0)).toBe(files.length)
    // every file is far under 128 MiB: the small files of partitions holding two or more are what OPTIMIZE would compact
    const perUf = new Map<string, number>()
    for (const f of files) perUf.set(f.partitionValues.uf ?? 'null', (perUf.get(f.partitionValues.uf ?? 'null') ?? 0) + 1)
    const small = [...perUf.values()].filter((n) => n >= 2).reduce((a, b) => a + b, 0)
    expect(Number(await tab.getAttribute('[data-k="optimize-hint"]', 'data-small-files'))).toBe(small)
    const parts = await tableRows('#partitions')
    expect(Object.fromEntries(parts.map((p) => [p.uf, num(p.rows)]))).toEqual(Object.fromEntries(UFS.map((u) => [u, EVENTS[4].filter((r) => r.uf === u).length])))
    expect(Object.fromEntries(parts.map((p) => [p.uf, num(p.files)]))).toEqual(Object.fromEntries(perUf))
    await shot('files')
  })

  it('opens a table by absolute URL; bad tables give a message, never a blank page', async () => {
    expect(await open(`table=${encodeURIComponent(`${server.url}lake/gold/plain`)}`)).toBe('ready')
    expect(await k('latest-version')).toBe('3')
    const cases: Array<[string, string]> = [['lake/no/such/table', 'TABLE_NOT_FOUND'], ['lake/bad/unsupported', 'UNSUPPORTED_FEATURE'], ['lake/bad/corrupt', 'CORRUPT_LOG']]
    for (const [url, code] of cases) {
      expect(await open(`table=${encodeURIComponent(url)}`), url).toBe('error')
      expect(await tab.$eval('#app .error', (e) => e.getAttribute('data-code')), url).toBe(code)
      expect((await tab.textContent('#app .error .message'))?.length, url).toBeGreaterThan(10)
      await shot(`error-${code.toLowerCase()}`)
    }
    expect(pageErrors).toEqual([])
  })
})
