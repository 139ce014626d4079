// Turn a table URI (local path, file://, memory://, later s3:// and az://) into an ObjectStore rooted
// at the table. Schemes beyond the built-in ones are registered by their adapters, which keeps
// Node-only and cloud code out of the core bundle.
import { InvalidArgumentError } from '../errors.js'
import { MemoryStore } from './memory-store.js'
import type { ObjectStore } from './object-store.js'

/** Makes the ObjectStore for a URI of a registered scheme (see `registerStoreFactory`). */
export type StoreFactory = (uri: string) => ObjectStore | Promise<ObjectStore>

const factories = new Map<string, StoreFactory>()

/**
 * Teach `openStore` a new scheme (`s3`, `az`, `https`…).
 * @example
 * registerStoreFactory('mem', (uri) => new MemoryStore(uri.slice('mem://'.length)))
 * const t = await DeltaTable.open('mem://scratch')
 */
export function registerStoreFactory(scheme: string, factory: StoreFactory): void {
  factories.set(scheme.toLowerCase(), factory)
}

/**
 * A store rooted at `uri`. A path without a scheme is a local folder.
 * @example
 * const store = await openStore('./lake/events') // or s3://… once lagomago/cloud is imported
 */
export async function openStore(uri: string | ObjectStore): Promise<ObjectStore> {
  if (typeof uri !== 'string') return uri
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)
  const scheme = m && m[1].length > 1 ? m[1].toLowerCase() : undefined // `C:` is a drive, not a scheme
  if (scheme === 'memory') return new MemoryStore(uri.slice('memory://'.length).replace(/\/+$/, ''))
  if (scheme === undefined || scheme === 'file') {
    // A computed specifier that bundlers leave alone: following it would pull node:fs into browser
    // bundles (Vite/Rollup fail on its named imports). Node resolves it relative to this module.
    const localStore = './local-store.js'
    const { LocalStore } = (await import(/* @vite-ignore */ localStore)) as typeof import('./local-store.js')
    return new LocalStore(uri)
  }
  const factory = factories.get(scheme)
  if (!factory) throw new InvalidArgumentError(`no storage adapter for ${scheme}:// URIs (table ${uri})`, { table: uri })
  return factory(uri)
}
