// `npm run build`: tsc checks the sources and writes the declarations (dist/**/*.d.ts, the exports
// map's `types`); esbuild writes the JavaScript as one bundle per entry with shared chunks. Loading
// ~130 small modules dominated `import 'lagomago'` (issue 15); a few files load several times faster.
// Dependencies stay external (users dedupe them; apache-arrow must stay the caller's own copy).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { buildUi } from './build-ui.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
rmSync(join(root, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly'], { cwd: root, stdio: 'inherit' })
await build({
  absWorkingDir: root,
  // every subpath of the exports map, the CLI (package.json "bin"), and LocalStore, which resolve.ts
  // imports by a computed specifier (kept out of browser bundles) relative to its own chunk
  entryPoints: ['src/index.ts', 'src/cloud.ts', 'src/node.ts', 'src/testing.ts', 'src/medallion/index.ts', 'src/cli/main.ts',
    { in: 'src/storage/local-store.ts', out: 'chunks/local-store' }],
  outbase: 'src',
  outdir: 'dist',
  bundle: true,
  // one copy of shared modules (the store registry `lagomago/cloud` fills, error classes) for all entries
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
// The computed import must find its target beside the chunk that holds it.
const chunks = readdirSync(join(root, 'dist', 'chunks')).filter((f) => f.endsWith('.js'))
if (!chunks.includes('local-store.js') || !chunks.some((f) => readFileSync(join(root, 'dist', 'chunks', f), 'utf8').includes('"./local-store.js"'))) {
  throw new Error('build: resolve.ts\'s import of ./local-store.js does not land beside dist/chunks/local-store.js')
}
// The lake explorer page of `lagomago ui`, bundled for the browser (its own bundle: the library's
// browser budget in test/browser is unaffected).
await buildUi(join(root, 'dist', 'ui'))
