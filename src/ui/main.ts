// The lake explorer page (`lagomago ui`, or these static files anywhere). It reads Delta tables
// itself, over HTTP through the library's browser build: the server only serves files and a listing.
// State lives in the URL (?table=…&view=…&version=…) so every view can be linked and reloaded.
// Only read calls of the public API are made; the HttpStore under every table refuses writes.
import { DeltaTable } from '../index.js'
import { HttpStore } from '../cloud.js'
import { h } from './dom.js'
import { errorBox } from './error-box.js'
import { lakeView } from './views/lake.js'
import { overviewView } from './views/overview.js'
import { historyView } from './views/history.js'
import { dataView } from './views/data.js'
import { diffView } from './views/diff.js'
import { filesView } from './views/files.js'

/** What a view gets: the table, handles at any version, the URL parameters and navigation. */
export interface TableCtx {
  /** The table URL as given in `?table=` (relative to the page, or absolute). */
  url: string
  latest: DeltaTable
  at(version: number | undefined): Promise<DeltaTable>
  params: URLSearchParams
  go(changes: Record<string, string | number | undefined>): void
  /** False once the user navigated away: a slow view stops drawing. */
  current(): boolean
}

const VIEWS = {
  overview: ['Overview', overviewView],
  history: ['History', historyView],
  data: ['Data', dataView],
  diff: ['Diff', diffView],
  files: ['Files', filesView],
} as const satisfies Record<string, readonly [string, (root: HTMLElement, ctx: TableCtx) => Promise<void>]>
type ViewName = keyof typeof VIEWS

const app = document.getElementById('app')!
const status = document.getElementById('status')!
let generation = 0
let opened: { url: string; latest: DeltaTable; versions: Map<number, Promise<DeltaTable>> } | undefined

/**
 * A store for a table URL. A query string (an Azure SAS token on a container, a CDN token) is sent
 * with every request: HttpStore appends file keys to the path, so the query is added back here.
 */
function storeFor(url: string): HttpStore {
  const u = new URL(url, location.href)
  const query = u.search.slice(1)
  u.search = ''
  u.hash = ''
  if (!query) return new HttpStore(u.href)
  return new HttpStore(u.href, { fetch: (input, init) => fetch(`${String(input)}${String(input).includes('?') ? '&' : '?'}${query}`, init) })
}

function setStatus(state: 'loading' | 'ready' | 'error', text: string): void {
  status.dataset.state = state
  status.textContent = text
}

function go(changes: Record<string, string | number | undefined>, replace = false): void {
  const params = new URLSearchParams(location.search)
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') params.delete(k)
    else params.set(k, String(v))
  }
  history[replace ? 'replaceState' : 'pushState'](null, '', `?${params}`)
  void render()
}

async function render(): Promise<void> {
  const gen = ++generation
  const current = () => gen === generation
  const params = new URLSearchParams(location.search)
  const url = params.get('table')
  app.replaceChildren()
  setStatus('loading', 'loading…')
  try {
    if (!url) {
      await lakeView(app, { go: (table) => go({ table, view: undefined, version: undefined }), current })
      if (current()) setStatus('ready', 'lake')
      return
    }
    if (opened?.url !== url) {
      opened = undefined
      app.append(h('p', { class: 'muted opening' }, `opening ${url}…`))
      const latest = await DeltaTable.open(storeFor(url))
      opened = { url, latest, versions: new Map([[latest.version, Promise.resolve(latest)]]) }
      if (!current()) return
    }
    const o = opened
    const view = (params.get('view') ?? 'overview') as ViewName
    const ctx: TableCtx = {
      url, latest: o.latest, params, current, go: (c) => go(c),
      at: (version) => {
        if (version === undefined) return Promise.resolve(o.latest)
        let p = o.versions.get(version)
        if (!p) {
          p = DeltaTable.open(storeFor(url), { version })
          p.catch(() => o.versions.delete(version))
          o.versions.set(version, p)
        }
        return p
      },
    }
    app.replaceChildren(header(ctx, view))
    const body = h('section', { id: 'view', 'data-view': view })
    app.append(body)
    const entry = VIEWS[view]
    if (!entry) throw new Error(`unknown view ${view}`)
    await entry[1](body, ctx)
    if (current()) setStatus('ready', `${view} of ${url}`)
  } catch (e) {
    if (!current()) return
    console.error(e)
    app.querySelector('.opening')?.remove()
    app.append(errorBox(e, url ? `Could not read ${url}` : 'Could not list the lake'))
    app.append(h('p', {}, h('a', { href: '?' }, '← back to the lake')))
    setStatus('error', (e as Error)?.message ?? String(e))
  }
}

function header(ctx: TableCtx, view: ViewName): HTMLElement {
  const t = ctx.latest
  return h('header', { class: 'table-header' },
    h('a', { href: '?', class: 'crumb', onclick: (e) => { e.preventDefault(); go({ table: undefined, view: undefined, version: undefined }) } }, '← lake'),
    h('h1', { 'data-k': 'table-name' }, t.metadata.name ?? ctx.url),
    h('span', { class: 'muted' }, ` ${ctx.url} · version `, h('b', { 'data-k': 'latest-version' }, t.version)),
    h('nav', { class: 'tabs' }, ...Object.entries(VIEWS).map(([name, [label]]) =>
      h('a', { href: `?${new URLSearchParams({ table: ctx.url, view: name })}`, 'data-tab': name, class: name === view ? 'active' : undefined,
        onclick: (e) => { e.preventDefault(); go({ view: name, version: undefined, from: undefined, to: undefined, filter: undefined, page: undefined }) } }, label))))
}

// An error outside a view's own handling still lands on the page.
window.addEventListener('unhandledrejection', (e) => { app.append(errorBox(e.reason, 'Unexpected error')); setStatus('error', String(e.reason)) })
window.addEventListener('error', (e) => { app.append(errorBox(e.error ?? e.message, 'Unexpected error')); setStatus('error', e.message) })
window.addEventListener('popstate', () => void render())
void render()
