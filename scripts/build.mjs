// `npm run build`: tsc checks the sources and writes the declarations (dist/**/*.d.ts, the exports
// map's `types`); esbuild writes the JavaScript as one bundle per entry with shared chunks. Loading
// ~130 small modules dominated `import 'lagomago'` (issue 15); a few files load several times faster.
// hyparquet and hyparquet-writer are bundled in too: loading hyparquet's ~28 modules one by one was
// half of a fresh process's import (19 of 38 ms; 25 ms for the whole import bundled). Their licence
// texts ship as dist/THIRD-PARTY-LICENSES.txt. The other dependencies stay external: apache-arrow must
// be the caller's own copy (its classes cross the API), the rest load only on use.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { buildUi } from './build-ui.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
rmSync(join(root, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly'], { cwd: root, stdio: 'inherit' })
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
/** Bundled into dist/: build-time packages (devDependencies), so a consumer installs none of them. */
const BUNDLED = ['hyparquet', 'hyparquet-writer']
const EXTERNAL = Object.keys(pkg.dependencies)
for (const name of BUNDLED) {
  if (pkg.dependencies[name] || !pkg.devDependencies[name]) throw new Error(`build: ${name} is bundled, so it belongs in devDependencies`)
}
/**
 * The bundled packages' browser entries (src/index.js): their Node entries add only file helpers we
 * never use, with a top-level import of 'fs' that a browser bundle of dist/ could not resolve.
 */
const browserEntries = {
  name: 'browser-entries',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${BUNDLED.join('|')})$`) }, (args) =>
      args.pluginData === 'again' ? undefined : b.resolve(`${args.path}/src/index.js`, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'again' }))
  },
}
const result = await build({
  metafile: true,
  absWorkingDir: root,
  // every subpath of the exports map, the CLI (package.json "bin"), LocalStore, which resolve.ts
  // imports by a computed specifier (kept out of browser bundles) relative to its own chunk, and the
  // same for the page compression pool (compress-offload.ts)
  entryPoints: ['src/index.ts', 'src/cloud.ts', 'src/node.ts', 'src/testing.ts', 'src/medallion/index.ts', 'src/cli/main.ts',
    { in: 'src/storage/local-store.ts', out: 'chunks/local-store' }, { in: 'src/write/page-pool.ts', out: 'chunks/page-pool' }],
  outbase: 'src',
  outdir: 'dist',
  bundle: true,
  // one copy of shared modules (the store registry `lagomago/cloud` fills, error classes) for all entries
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  external: EXTERNAL,
  plugins: [browserEntries],
  sourcemap: true,
  logLevel: 'warning',
})
// The pool's worker (page-pool.ts starts it from ./page-worker.js beside its chunk) runs in a thread of
// its own, so it is one self-contained file: as an entry of the build above, the encoder code it shares
// with the library would be split into more chunks that every import('lagomago') loads (~1 ms each).
const worker = await build({
  metafile: true, absWorkingDir: root, entryPoints: ['src/write/page-worker.ts'], outfile: 'dist/chunks/page-worker.js',
  bundle: true, format: 'esm', platform: 'node', target: 'es2022', external: EXTERNAL, sourcemap: true, logLevel: 'warning',
})
// MIT asks that the copyright and permission notice go with every copy: one entry per package
// directory with code in dist/ (hyparquet-writer brings its own, older hyparquet).
const packageDirs = [...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(worker.metafile.inputs)].flatMap((f) => {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(f)
  return m ? [m[1]] : []
}))].sort()
writeFileSync(join(root, 'dist', 'THIRD-PARTY-LICENSES.txt'), packageDirs.map((dir) => {
  const { name, version, license } = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'))
  if (!BUNDLED.includes(name)) throw new Error(`build: ${dir} was bundled, but only ${BUNDLED.join(', ')} may be`)
  return `${name} ${version} (${license}), bundled into dist/chunks:\n\n${readFileSync(join(root, dir, 'LICENSE'), 'utf8').trim()}\n`
}).join('\n\n'))
// The computed imports (and the worker's URL) must find their targets beside the chunks that hold them.
const chunks = readdirSync(join(root, 'dist', 'chunks')).filter((f) => f.endsWith('.js'))
for (const [target, who] of [['local-store.js', 'resolve.ts'], ['page-pool.js', 'compress-offload.ts'], ['page-worker.js', 'page-pool.ts']]) {
  if (!chunks.includes(target) || !chunks.some((f) => readFileSync(join(root, 'dist', 'chunks', f), 'utf8').includes(`"./${target}"`))) {
    throw new Error(`build: ${who}'s import of ./${target} does not land beside dist/chunks/${target}`)
  }
  for (const top of readdirSync(join(root, 'dist')).filter((f) => f.endsWith('.js'))) {
    if (readFileSync(join(root, 'dist', top), 'utf8').includes(`"./${target}"`)) throw new Error(`build: dist/${top} imports ./${target}, which is in dist/chunks/`)
  }
}
// The lake explorer page of `lagomago ui`, bundled for the browser (its own bundle: the library's
// browser budget in test/browser is unaffected).
await buildUi(join(root, 'dist', 'ui'))
