// The lake explorer page (src/ui) as static files: index.html, style.css and one self-contained
// main.js with its chunks (the library, hyparquet, its compressors and apache-arrow all bundled, so
// the page works without network access). `scripts/build.mjs` writes it to dist/ui; tests build it into a temp dir.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Bundle the explorer page into `outDir` (emptied first); resolves to the bytes of main.js. */
export async function buildUi(outDir) {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/ui/main.ts'],
    outdir: outDir,
    // what the library loads on use (apache-arrow for scan(), the Parquet writer it never calls here)
    // goes to chunks fetched when needed
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // error classes are told apart by name on the page
    keepNames: true,
    // no source map: it would triple what npm installs for a page that ships minified
    metafile: true,
    // resolve.ts loads LocalStore through a computed import that never runs in a browser
    logOverride: { 'unsupported-dynamic-import': 'silent' },
    logLevel: 'warning',
  })
  for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'src/ui', f), join(outDir, f))
  return result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith('/main.js'))].bytes
}
