// The package's shape: what a consumer installs and imports, and the rule that the core stays free of
// native addons and Node-only imports (it must run in a browser over MemoryStore or HTTP).
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? walk(p) : [p]
  })
}

describe('package.json', () => {
  it('is an ESM package for Node >= 20 with a typed exports map', () => {
    expect(pkg.name).toBe('lagomago')
    expect(pkg.type).toBe('module')
    expect(pkg.engines.node).toBe('>=20')
    expect(pkg.exports['.'].types).toBe('./dist/index.d.ts')
    expect(pkg.exports['.'].import).toBe('./dist/index.js')
    expect(pkg.files).toContain('dist')
  })

  it('pins every dependency exactly and has no native addon among them', () => {
    for (const [name, version] of Object.entries<string>({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+/)
    }
    for (const name of Object.keys(pkg.dependencies)) {
      const dep = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'))
      expect(dep.gypfile, name).toBeFalsy()
      expect(dep.binary, name).toBeFalsy()
      const files = readdirSync(join(root, 'node_modules', name))
      expect(files, name).not.toContain('binding.gyp')
    }
  })
})

describe('browser safety', () => {
  // Node built-ins are allowed only in the files that are Node adapters by nature.
  const NODE_ONLY = new Set(['src/storage/local-store.ts', 'src/node.ts'])
  it('no module outside the Node adapters imports a node: built-in', () => {
    const offenders = walk(join(root, 'src'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => relative(root, f))
      .filter((f) => !NODE_ONLY.has(f) && !f.startsWith('src/node/') && !f.startsWith('src/cli/') && !f.startsWith('src/medallion/'))
      .filter((f) => /from ['"](node:|fs|path|os|child_process|crypto)['"/]/.test(readFileSync(join(root, f), 'utf8')))
    expect(offenders).toEqual([])
  })
})

describe('build', () => {
  it('emits dist/ that a consumer imports by package name', () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' })
    expect(pkg.scripts.build).toBe('node scripts/build.mjs')
    for (const entry of Object.values<{ types?: string }>(pkg.exports)) {
      if (entry.types) expect(statSync(join(root, entry.types)).isFile(), entry.types).toBe(true)
    }
    // Self-reference through the exports map: the same resolution a consumer's `import 'lagomago'` gets.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e',
      "const m = await import('lagomago'); console.log(JSON.stringify(Object.keys(m).sort()))"], { cwd: root, encoding: 'utf8' })
    const names: string[] = JSON.parse(out)
    expect(names).toContain('DeltaError')
    expect(names).toContain('MemoryStore')
    expect(names).toContain('DeltaTable')
    // The Node-only medallion layer is a subpath of its own, kept out of the core entry.
    const medallion = execFileSync(process.execPath, ['--input-type=module', '-e',
      "const m = await import('lagomago/medallion'); console.log(JSON.stringify(Object.keys(m).sort()))"], { cwd: root, encoding: 'utf8' })
    expect(JSON.parse(medallion)).toContain('Lake')
    const cloud = execFileSync(process.execPath, ['--input-type=module', '-e',
      "const m = await import('lagomago/cloud'); console.log(JSON.stringify(Object.keys(m).sort()))"], { cwd: root, encoding: 'utf8' })
    expect(JSON.parse(cloud)).toEqual(expect.arrayContaining(['S3Store', 'AzureStore', 'HttpStore']))
    // Test tools and the Node-only LocalStore have entries of their own, outside the core.
    const sub = (spec: string) => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e',
      `const m = await import('${spec}'); console.log(JSON.stringify(Object.keys(m).sort()))`], { cwd: root, encoding: 'utf8' }))
    expect(sub('lagomago/testing')).toEqual(['FaultStore'])
    expect(sub('lagomago/node')).toEqual(['LocalStore'])
    expect(names).not.toContain('FaultStore')
    expect(names).not.toContain('LocalStore')
  }, 120_000)

  // hyparquet and hyparquet-writer are bundled into dist/ (devDependencies): a consumer installs only
  // `dependencies`, so neither the JavaScript nor the declarations a subpath's types reach may import
  // any other package. (After the build above, which this file runs first.)
  it('imports no package outside `dependencies`, from the JavaScript or the reachable declarations', () => {
    const allowed = new Set(Object.keys(pkg.dependencies))
    const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/')
    const builtin = (spec: string) => spec.startsWith('node:') || ['fs', 'path', 'os', 'crypto', 'url'].includes(spec)
    const uncommented = (src: string) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
    // import/export statements (esbuild and tsc put them at the start of a line) and import() calls
    const specifiers = (src: string) => [
      ...uncommented(src).matchAll(/^\s*(?:(?:import|export)\b[^;'"]*?\bfrom|import)\s*['"]([@\w./:-]+)['"]/gm),
      ...src.matchAll(/\bimport\(\s*['"]([@\w./:-]+)['"]\s*\)/g),
    ].map((m) => m[1])
    const bare: string[] = []
    // dist/ui is the explorer's page, bundled whole for the browser and served as files, never imported
    for (const f of walk(join(root, 'dist')).filter((f) => f.endsWith('.js') && !f.startsWith(join(root, 'dist', 'ui')))) {
      for (const s of specifiers(readFileSync(f, 'utf8'))) if (!s.startsWith('.') && !builtin(s)) bare.push(`${relative(root, f)}: ${s}`)
    }
    // declarations: from each exports-map `types` entry, following relative imports
    const seen = new Set<string>()
    const visit = (f: string) => {
      if (seen.has(f)) return
      seen.add(f)
      for (const s of specifiers(readFileSync(f, 'utf8'))) {
        if (s.startsWith('.')) visit(join(dirname(f), s.replace(/\.js$/, '.d.ts')))
        else if (!builtin(s)) bare.push(`${relative(root, f)}: ${s}`)
      }
    }
    for (const entry of Object.values<{ types?: string }>(pkg.exports)) if (entry.types) visit(join(root, entry.types))
    expect(seen.size).toBeGreaterThan(50)
    expect(bare.length).toBeGreaterThan(0) // apache-arrow, fflate… are imported
    expect(bare.filter((b) => !allowed.has(packageOf(b.split(': ')[1])))).toEqual([])
    // the bundled packages' licences ship with their code
    const notices = readFileSync(join(root, 'dist', 'THIRD-PARTY-LICENSES.txt'), 'utf8')
    for (const name of ['hyparquet', 'hyparquet-writer']) {
      expect(pkg.dependencies[name], name).toBeUndefined()
      expect(notices).toContain(`${name} ${JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version} (MIT)`)
    }
  })
})

describe('the packed tarball', () => {
  // After the build above: publint, arethetypeswrong (ESM-only profile) and a consumer type-check
  // under moduleResolution node16, nodenext and bundler (scripts/check-package.mjs, `npm run check:package`).
  it('passes publint, attw and a consumer type-check of every subpath', () => {
    expect(pkg.scripts['check:package']).toBe('node scripts/check-package.mjs')
    const r = spawnSync(process.execPath, [join(root, 'scripts/check-package.mjs'), '--no-build'], { cwd: root, encoding: 'utf8' })
    expect(r.status, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toContain('check:package: publint, attw and the consumer type-check pass')
  }, 240_000)
})

describe('apache-arrow loads on first Arrow use only', () => {
  // A resolve hook in the child reports every import of apache-arrow on stderr; the package is the
  // built one (the 'build' test above runs first in this file).
  const hook = 'export async function resolve(s, c, next) { if (s === "apache-arrow") process.stderr.write("LOADED apache-arrow\\n"); return next(s, c) }'
  const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hook))})`
  /** stdout and stderr of a child that runs `code` (an ES module) under the hook. */
  function run(code: string): string {
    const r = spawnSync(process.execPath, ['--import', 'data:text/javascript,' + encodeURIComponent(register), '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
    return r.stdout + r.stderr
  }
  // a local folder: opened through resolve.ts's computed import of LocalStore, which the bundle must keep working
  const plain = `const { DeltaTable } = await import('lagomago')
    const dir = (await import('node:fs')).mkdtempSync((await import('node:os')).tmpdir() + '/lagomago-pkg-')
    const t = await DeltaTable.create(dir, { schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] } })
    await t.append([{ id: 1n }, { id: 2n }])
    await t.merge([{ id: 2n, op: 'D' }, { id: 3n, op: 'I' }], { keys: ['id'] })
    const rows = (await (await DeltaTable.open(dir)).toRows()).map((r) => String(r.id)).sort()
  `

  it('is not loaded by import, plain-object writes, merges and reads', () => {
    const out = run(plain + 'console.log("ROWS " + rows.join(","))')
    expect(out).toContain('ROWS 1,3')
    expect(out).not.toContain('LOADED apache-arrow')
  }, 60_000)

  it('is loaded by toArrow, after which toArrowSchema works synchronously', () => {
    const out = run(plain + `const { toArrowSchema, loadArrow } = await import('lagomago')
      let before = 'no error'; try { toArrowSchema(t.schema) } catch (e) { before = e.code }
      console.log('OUT', before, (await t.toArrow()).numRows, toArrowSchema(t.schema).fields.length, typeof loadArrow)`)
    expect(out).toContain('LOADED apache-arrow')
    expect(out).toContain('OUT INVALID_ARGUMENT 2 1 function')
  }, 60_000)
})
