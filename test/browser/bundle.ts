// Vite bundle of test/browser/page (DeltaTable.open + toRows over HttpStore, what a browser app
// needs to read a table), with each chunk's size and whether the page loads it up front: the entry
// and its static imports ("eager"); dynamic imports (apache-arrow, the Parquet writer) load on use.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, type Rollup } from 'vite'

export interface Chunk {
  file: string
  bytes: number
  gzipBytes: number
  eager: boolean
  /** npm packages with code in the chunk. */
  packages: string[]
}
export interface PageBundle {
  dir: string
  chunks: Chunk[]
  eagerGzipBytes: number
  remove(): void
}

const packageOf = (id: string) => {
  const rest = id.split('node_modules/').pop()!
  return rest.split('/').slice(0, rest.startsWith('@') ? 2 : 1).join('/')
}

export async function bundlePage(): Promise<PageBundle> {
  const dir = mkdtempSync(join(tmpdir(), 'lagomago-page-'))
  const result = await build({
    root: join(import.meta.dirname, 'page'), base: './', logLevel: 'error', configFile: false,
    build: { outDir: dir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  })
  const outputs = ([result].flat() as Rollup.RollupOutput[]).flatMap((r) => r.output)
  const js = outputs.filter((o): o is Rollup.OutputChunk => o.type === 'chunk')
  const eager = new Set<string>()
  const visit = (file: string) => {
    if (eager.has(file)) return
    eager.add(file)
    for (const f of js.find((c) => c.fileName === file)?.imports ?? []) visit(f)
  }
  for (const c of js) if (c.isEntry) visit(c.fileName)
  const chunks = js.map((c) => {
    const code = readFileSync(join(dir, c.fileName))
    const packages = [...new Set(Object.keys(c.modules).filter((id) => id.includes('node_modules/')).map(packageOf))].sort()
    return { file: c.fileName, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, eager: eager.has(c.fileName), packages }
  })
  const eagerGzipBytes = chunks.filter((c) => c.eager).reduce((n, c) => n + c.gzipBytes, 0)
  return { dir, chunks, eagerGzipBytes, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
