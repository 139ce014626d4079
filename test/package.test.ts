// The package's shape: what a consumer installs and imports, and the rule that the core stays free of
// native addons and Node-only imports (it must run in a browser over MemoryStore or HTTP).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
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
  const NODE_ONLY = new Set(['src/storage/local-store.ts'])
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
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' })
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
  }, 120_000)
})
