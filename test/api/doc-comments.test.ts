// Every exported name of every entry point has a doc comment (what the API reference, `npm run docs`,
// shows). TypeDoc converts the entry points of typedoc.json as the reference does; a name without a
// summary fails, unless it is on UNDOCUMENTED below (empty since every export got one; keep it so):
// a listed name that gets documented fails until it is taken off the list, so the list only shrinks.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Application, ReflectionKind, type DeclarationReflection, type ProjectReflection } from 'typedoc'
import { beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../..')
const typedocConfig = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8'))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** Entry → exported names that have no doc comment yet. Take a name off when you document it. */
const UNDOCUMENTED: Record<string, string[]> = {}

let project: ProjectReflection
beforeAll(async () => {
  const app = await Application.bootstrap({ options: join(root, 'typedoc.json'), skipErrorChecking: true, logLevel: 'Error' })
  project = (await app.convert())!
}, 120_000)

const hasText = (c: { summary: { text: string }[] } | undefined) => !!c?.summary.some((p) => p.text.trim())

describe('API reference', () => {
  it('covers every subpath of the exports map', () => {
    const fromExports = Object.values<{ types?: string }>(pkg.exports).flatMap((e) => e.types ?? [])
      .map((t) => t.replace('./dist/', 'src/').replace(/\.d\.ts$/, '.ts')).sort()
    expect([...typedocConfig.entryPoints].sort()).toEqual(fromExports)
    expect(pkg.scripts.docs).toBe('typedoc')
  })

  it('documents every exported name (except the shrinking list of names still waiting)', () => {
    const missing: Record<string, string[]> = {}
    const documented: Record<string, string[]> = {}
    let total = 0
    for (const mod of project.children ?? []) {
      for (const r of (mod.children ?? []) as DeclarationReflection[]) {
        if (r.kindOf(ReflectionKind.Reference)) continue // the same declaration, exported again
        total++
        const ok = hasText(r.comment) || !!r.signatures?.some((s) => hasText(s.comment))
        const allowed = UNDOCUMENTED[mod.name]?.includes(r.name) ?? false
        if (!ok && !allowed) (missing[mod.name] ??= []).push(r.name)
        if (ok && allowed) (documented[mod.name] ??= []).push(r.name)
      }
    }
    expect(total).toBeGreaterThan(100)
    expect(missing, 'exported without a doc comment: add one (/** what it is, why */ with an @example for calls)').toEqual({})
    expect(documented, 'documented now: take these off UNDOCUMENTED in test/api/doc-comments.test.ts').toEqual({})
  })
})
