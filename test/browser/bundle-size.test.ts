// The browser bundle budget: what a page that opens a table over HTTP and reads it with toRows loads
// up front (Vite 7 build of test/browser/page; the entry chunk and its static imports, gzip -9). The
// figure and the budget are stated in docs/storage.md ("In the browser"); raise the budget only on
// purpose, with the new measurement there. Needs no browser (the Chromium test loads the same page).
import { afterAll, describe, expect, it } from 'vitest'
import { bundlePage, type PageBundle } from './bundle.js'

/** 198.8 KiB measured on 7 Dec 2026; the budget leaves ~5% for growth. */
const BUDGET_GZIP_KIB = 210

let page: PageBundle | undefined
afterAll(() => page?.remove())

describe('browser bundle for DeltaTable.open + toRows over HTTP', () => {
  it(`loads at most ${BUDGET_GZIP_KIB} KiB gzipped up front; Arrow and the Parquet writer load on use`, async () => {
    page = await bundlePage()
    const eager = page.chunks.filter((c) => c.eager)
    const lazy = page.chunks.filter((c) => !c.eager)
    console.info(`browser bundle: ${(page.eagerGzipBytes / 1024).toFixed(1)} KiB gzipped up front (${eager.length} chunk(s)); `
      + `on use: ${lazy.map((c) => `${c.file} ${(c.gzipBytes / 1024).toFixed(1)} KiB [${c.packages.join(', ')}]`).join('; ')}`)
    expect(eager.length).toBeGreaterThan(0)
    expect(page.eagerGzipBytes / 1024).toBeLessThanOrEqual(BUDGET_GZIP_KIB)
    const eagerPackages = new Set(eager.flatMap((c) => c.packages))
    // the read path's own decoders are there; the write path and Arrow are not
    expect(eagerPackages.has('hyparquet')).toBe(true)
    expect(eagerPackages.has('apache-arrow')).toBe(false)
    expect(eagerPackages.has('hyparquet-writer')).toBe(false)
    expect(lazy.flatMap((c) => c.packages)).toEqual(expect.arrayContaining(['apache-arrow', 'hyparquet-writer']))
  }, 120_000)
})
