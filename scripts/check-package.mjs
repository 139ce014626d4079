// `npm run check:package`: the package as npm sees it. Builds (unless --no-build), packs the tarball
// and checks it three ways: publint (package.json fields against the packed files), arethetypeswrong
// (each subpath's types resolve to the JavaScript they describe; ESM-only profile, as the package has
// no CommonJS build) and a consumer project that type-checks imports of every subpath from the
// unpacked tarball under moduleResolution node16, nodenext and bundler, with lib checking on and no
// @types/node (a browser user has none). Exits non-zero on the first failure.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const node = (args, opts = {}) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit', ...opts })
/** A devDependency's command (node_modules/.bin links to its script; run with this node, not npx). */
const bin = (name) => join(root, 'node_modules', '.bin', name)

if (!process.argv.includes('--no-build')) node(['scripts/build.mjs'])

// Under the repository (gitignored .tmp) so the consumer resolves lagomago's own dependencies from
// the repository's node_modules, as an installed package would from the consumer's.
mkdirSync(join(root, '.tmp'), { recursive: true })
const work = mkdtempSync(join(root, '.tmp', 'check-package-'))
try {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const packed = JSON.parse(execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }))
  const tarball = join(work, packed[0].filename)
  console.log(`packed ${packed[0].filename}: ${packed[0].entryCount} files, ${(packed[0].size / 1024).toFixed(0)} KiB`)

  node([bin('publint'), 'run', '--strict', tarball])
  node([bin('attw'), '--profile', 'esm-only', tarball])

  const consumer = join(work, 'consumer')
  mkdirSync(join(consumer, 'node_modules', 'lagomago'), { recursive: true })
  execFileSync('tar', ['xzf', tarball, '-C', join(consumer, 'node_modules', 'lagomago'), '--strip-components=1'])
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  writeFileSync(join(consumer, 'index.ts'), [
    "import { DeltaTable, MemoryStore, DeltaError, col, type WriteResult } from 'lagomago'",
    "import { S3Store, HttpStore } from 'lagomago/cloud'",
    "import { Lake } from 'lagomago/medallion'",
    "import { LocalStore } from 'lagomago/node'",
    "import { FaultStore } from 'lagomago/testing'",
    'export async function use(): Promise<WriteResult> {',
    "  const t: DeltaTable = await DeltaTable.open(new MemoryStore())",
    "  const rows: Record<string, unknown>[] = await t.toRows({ filter: col('id').gt(1) })",
    "  void rows; void S3Store; void HttpStore; void Lake; void DeltaError; void LocalStore; void FaultStore",
    '  return t.append([{ id: 1n }])',
    '}',
    '',
  ].join('\n'))
  const tsc = require.resolve('typescript/bin/tsc')
  for (const [module, moduleResolution] of [['node16', 'node16'], ['nodenext', 'nodenext'], ['esnext', 'bundler']]) {
    console.log(`consumer: tsc --module ${module} --moduleResolution ${moduleResolution}`)
    const compilerOptions = { noEmit: true, strict: true, target: 'es2022', lib: ['es2023', 'dom'], types: [], module, moduleResolution, skipLibCheck: false }
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts'] }))
    node([tsc, '-p', 'tsconfig.json'], { cwd: consumer })
  }
  console.log('check:package: publint, attw and the consumer type-check pass')
} finally {
  rmSync(work, { recursive: true, force: true })
}
