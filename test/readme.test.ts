// The README's example must run as written (with `schema` defined and the path moved to a temp dir).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

it('the README example runs and reads back what it wrote', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const block = /## Five lines\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  expect(block).toBeTruthy()
  const dir = mkdtempSync(join(tmpdir(), 'lagomago-readme-'))
  try {
    const code = [
      `import { DeltaTable as __T } from ${JSON.stringify(pathToFileURL(join(root, 'src/index.ts')).href)}`,
      `const schema = { type: 'struct', fields: [`,
      `  { name: 'id', type: 'long', nullable: false, metadata: {} },`,
      `  { name: 'uf', type: 'string', nullable: true, metadata: {} },`,
      `  { name: 'amount', type: 'decimal(12,2)', nullable: true, metadata: {} } ] } as const`,
      block!
        .replace(/import \{ DeltaTable \} from 'lagomago'\n/, 'const DeltaTable = __T\n')
        .replaceAll('./lake/bronze/transacao', join(dir, 'transacao')),
      'export { t, sp, v0 }',
    ].join('\n')
    const file = join(root, '.tmp', `readme-example-${process.pid}.ts`)
    mkdirSync(join(root, '.tmp'), { recursive: true })
    writeFileSync(file, code)
    const { t, sp, v0 } = await import(pathToFileURL(file).href)
    rmSync(file)
    expect(t.version).toBe(1)
    expect(sp).toEqual([{ id: 1n, uf: 'SP', amount: '10.50' }])
    expect(v0.version).toBe(0)
    expect(await v0.toRows()).toEqual([])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
