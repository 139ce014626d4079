// `npx tsx bench/explorer-paint.ts [--rows N] [--runs N] [--data DIR]`: time to first paint of the lake
// explorer (`lagomago ui`) on a large table, in headless Chromium with a cold cache each run:
// the data view's first page of rows, and the history view. Writes the table once (N rows in 10
// appends, 4 columns) under DIR (default /work/bench-data/explorer, outside git), prints one line
// per run and the medians, with the machine's load average before and after (a loaded machine
// stretches every figure). Not a test: nothing is asserted.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { DeltaTable } from '../src/index.js'
import { startUiServer } from '../src/cli/ui-server.js'
import { buildUi } from '../scripts/build-ui.mjs'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt }
const ROWS = Number(opt('--rows', '1000000'))
const RUNS = Number(opt('--runs', '3'))
const DATA = opt('--data', '/work/bench-data/explorer')
const COMMITS = 10
const lake = join(DATA, `lake-${ROWS}`)
const table = join(lake, 'bench', 'big')
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ')

if (!existsSync(join(table, '_delta_log'))) {
  const t0 = Date.now()
  const t = await DeltaTable.create(table, { schema: { type: 'struct', fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'uf', type: 'string', nullable: true, metadata: {} },
    { name: 'amount', type: 'double', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
  ] } })
  const per = Math.ceil(ROWS / COMMITS)
  const ufs = ['SP', 'RJ', 'MG', 'BA', 'RS']
  for (let c = 0; c < COMMITS; c++) {
    const n = Math.min(per, ROWS - c * per)
    await t.append(Array.from({ length: n }, (_, i) => {
      const id = c * per + i
      return { id: BigInt(id), uf: ufs[id % 5], amount: (id % 10007) / 7, ts: new Date(Date.UTC(2024, 0, 1) + id * 1000) }
    }))
  }
  console.log(`wrote ${ROWS} rows in ${COMMITS} appends to ${table} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}
const files = await (await DeltaTable.open(table)).files()
console.log(`table: ${ROWS} rows, ${files.length} files, ${(files.reduce((n, f) => n + f.size, 0) / 2 ** 20).toFixed(1)} MiB`)

const page = mkdtempSync(join(tmpdir(), 'lagomago-explorer-bench-'))
await buildUi(page)
const server = await startUiServer({ lakeDir: lake, pageDir: page })
const browser = await chromium.launch({ executablePath: process.env.LAGOMAGO_CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'] })
console.log(`load average before: ${load()}`)

/**
 * Milliseconds from navigation start to the frame after `selector` appeared, the bytes the page
 * fetched, and the renderer main thread's busy time (CDP TaskDuration / ScriptDuration: closer to
 * CPU than the wall figure on a loaded machine, though time preempted inside a task still counts).
 */
async function paint(view: string, selector: string): Promise<{ ms: number; wall: number; kib: number; taskMs: number; scriptMs: number }> {
  const context = await browser.newContext() // a cold HTTP cache every run
  const tab = await context.newPage()
  const cdp = await context.newCDPSession(tab)
  await cdp.send('Performance.enable')
  const t0 = Date.now()
  await tab.goto(`${server.url}?table=lake/bench/big&view=${view}`)
  await tab.waitForSelector(selector, { timeout: 300_000 })
  const ms = await tab.evaluate(() => new Promise<number>((r) => requestAnimationFrame(() => r(performance.now()))))
  const wall = Date.now() - t0
  const kib = await tab.evaluate(() => performance.getEntriesByType('resource').reduce((n, e) => n + ((e as PerformanceResourceTiming).transferSize || 0), 0) / 1024)
  const { metrics } = await cdp.send('Performance.getMetrics')
  const metric = (name: string) => (metrics.find((m) => m.name === name)?.value ?? NaN) * 1000
  await context.close()
  return { ms, wall, kib, taskMs: metric('TaskDuration'), scriptMs: metric('ScriptDuration') }
}

const results: Record<string, number[]> = { data: [], history: [] }
const busy: Record<string, number[]> = { data: [], history: [] }
for (let run = 1; run <= RUNS; run++) {
  for (const [view, selector] of [['data', '#rows tbody tr'], ['history', '#history tbody tr']] as const) {
    const r = await paint(view, selector)
    results[view].push(r.ms)
    busy[view].push(r.taskMs)
    console.log(`run ${run} ${view.padEnd(7)}: first paint ${r.ms.toFixed(0)} ms after navigation (${r.wall} ms wall from goto), main thread busy ${r.taskMs.toFixed(0)} ms (script ${r.scriptMs.toFixed(0)} ms), ${r.kib.toFixed(0)} KiB fetched; load ${load()}`)
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`median first paint: data ${median(results.data).toFixed(0)} ms, history ${median(results.history).toFixed(0)} ms; main thread busy: data ${median(busy.data).toFixed(0)} ms, history ${median(busy.history).toFixed(0)} ms (${RUNS} runs); load average after: ${load()}`)
await browser.close()
await server.close()
rmSync(page, { recursive: true, force: true })
