// Every `@example` in the doc comments of src/ and every ```ts block of README.md compiles against the
// public entries, as a user would write it: each becomes a module under .tmp/ that imports every
// exported name from `lagomago`, `lagomago/cloud`, … (resolved to src/ by `paths`), declares the
// free variables examples lean on (`t`, `schema`, `rows`… in FREE below) and holds the example in a
// block, so an example may declare its own `t`. tsc then type-checks them all in one program.
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { afterAll, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** Package specifier → its source entry (from the exports map: ./dist/x.d.ts → src/x.ts). */
const ENTRIES: Record<string, string> = Object.fromEntries(
  Object.entries<{ types?: string }>(pkg.exports).flatMap(([sub, e]) => e.types
    ? [[sub === '.' ? 'lagomago' : `lagomago/${sub.slice(2)}`, join(root, e.types.replace('./dist/', 'src/').replace(/\.d\.ts$/, '.ts'))]]
    : []),
)

/** Free variables examples may use without declaring them, with their types. */
const FREE = `
declare const t: DeltaTable
declare const table: DeltaTable
declare const bronze: DeltaTable
declare const silver: DeltaTable
declare const gold: DeltaTable
declare const orders: DeltaTable
declare const clients: DeltaTable
declare const uri: string
declare const schema: StructType
declare const store: ObjectStore
declare const snapshot: Snapshot
declare const lake: Lake
declare const rows: Row[]
declare const updates: Row[]
declare const changeRows: Row[]
declare const debeziumRecords: Row[]
declare const rawRows: Row[]
declare const arrowTable: import('apache-arrow').Table
declare const account: string
declare const accountKey: string
`

interface Example { where: string; code: string }

/** `@example` bodies of the JSDoc comments in `text` (a fenced block inside one counts alone). */
function docExamples(file: string, text: string): Example[] {
  const out: Example[] = []
  for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const lines = m[1].split('\n').map((l) => l.replace(/^\s*\* ?/, ''))
    const startLine = text.slice(0, m.index).split('\n').length
    for (let i = 0; i < lines.length; i++) {
      if (!/^@example\b/.test(lines[i].trim())) continue
      let j = i + 1
      while (j < lines.length && !/^@\w+/.test(lines[j].trim())) j++
      const body = lines.slice(i + 1, j).join('\n').trim()
      const fenced = [...body.matchAll(/```(?:ts|typescript)?\n([\s\S]*?)```/g)].map((f) => f[1])
      for (const code of fenced.length ? fenced : [body]) out.push({ where: `${relative(root, file)}:${startLine + i}`, code })
      i = j - 1
    }
  }
  return out
}

function readmeExamples(): Example[] {
  const text = readFileSync(join(root, 'README.md'), 'utf8')
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => ({
    where: `README.md:${text.slice(0, m.index).split('\n').length}`, code: m[1],
  }))
}

const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
  const p = join(dir, n)
  return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : []
})

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'], types: ['node'], strict: true, skipLibCheck: true, noEmit: true,
  esModuleInterop: true, resolveJsonModule: true, baseUrl: root,
  paths: Object.fromEntries(Object.entries(ENTRIES).map(([spec, file]) => [spec, [file]])),
}

const outDir = join(root, '.tmp', `doc-examples-${process.pid}`)
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

it('every @example and README ts block type-checks against the public entries', () => {
  const examples = [...walk(join(root, 'src')).flatMap((f) => docExamples(f, readFileSync(f, 'utf8'))), ...readmeExamples()]
  expect(examples.length).toBeGreaterThan(80)

  // What each entry exports (values and types), first entry wins a name two of them export.
  const entryProgram = ts.createProgram(Object.values(ENTRIES), options)
  const checker = entryProgram.getTypeChecker()
  const exported = new Map<string, { spec: string; typeOnly: boolean }>()
  for (const [spec, file] of Object.entries(ENTRIES)) {
    const sym = checker.getSymbolAtLocation(entryProgram.getSourceFile(file)!)!
    for (const e of checker.getExportsOfModule(sym)) {
      const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e
      if (!exported.has(e.name)) exported.set(e.name, { spec, typeOnly: !(target.flags & ts.SymbolFlags.Value) })
    }
  }
  expect(exported.get('DeltaTable')?.spec).toBe('lagomago')
  expect(exported.get('Lake')?.spec).toBe('lagomago/medallion')

  mkdirSync(outDir, { recursive: true })
  const files = new Map<string, Example>()
  examples.forEach((ex, i) => {
    const lines = ex.code.split('\n')
    const own = lines.filter((l) => /^import\b/.test(l))
    const ownNames = new Set(own.flatMap((l) => /\{([^}]*)\}/.exec(l)?.[1].split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!) ?? []))
    const bySpec = new Map<string, string[]>()
    for (const [name, { spec, typeOnly }] of exported) {
      if (!ownNames.has(name)) bySpec.set(spec, [...(bySpec.get(spec) ?? []), typeOnly ? `type ${name}` : name])
    }
    const code = [
      ...own,
      ...[...bySpec].map(([spec, names]) => `import { ${names.join(', ')} } from '${spec}'`),
      FREE, 'export {}', '{',
      ...lines.filter((l) => !/^import\b/.test(l)),
      '}',
    ].join('\n')
    const file = join(outDir, `example-${i}.ts`)
    writeFileSync(file, code)
    files.set(file, ex)
  })

  const program = ts.createProgram([...files.keys()], options, undefined, entryProgram)
  const errors: string[] = []
  // only the examples' own diagnostics: src/ is type-checked by `tsc -p .`, and skipping it keeps this fast
  const diagnostics = [...files.keys()].flatMap((f) => {
    const sf = program.getSourceFile(f)!
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
  })
  for (const d of diagnostics) {
    const ex = d.file && files.get(d.file.fileName)
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    errors.push(ex ? `${ex.where}: ${msg}\n${ex.code}` : `${d.file?.fileName ?? ''}: ${msg}`)
  }
  expect(errors, 'an @example that does not compile (fix it: examples are what users copy)').toEqual([])
}, 120_000)
