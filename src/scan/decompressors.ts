// Parquet page decompressors, loaded on the first file that needs each codec (issue 15): importing
// hyparquet-compressors loads brotli's dictionary, gzip, zstd and lz4 decoders and compiles snappy's
// WASM, ~30 ms of CPU a fresh process paid at import though nearly every Delta file is snappy.
// Snappy comes from hysnappy (the WASM decoder hyparquet-compressors wraps); the other codecs from
// hyparquet-compressors, loaded only when a file uses one of them.
import type { Compressors, FileMetaData } from 'hyparquet'

/** The decompressors loaded so far; hyparquet keeps this object, so later loads extend it in place. */
const loaded: Compressors = {}
let snappy: Promise<void> | undefined
let others: Promise<void> | undefined

/**
 * The decompressors for every codec `metadata`'s column chunks use (all loaded codecs, in fact):
 * the shared object itself when they are loaded, else a promise of it once they are.
 */
export function decompressorsFor(metadata: Pick<FileMetaData, 'row_groups'>): Compressors | Promise<Compressors> {
  let wait: Promise<void>[] | undefined
  for (const rg of metadata.row_groups) {
    for (const c of rg.columns) {
      const codec = c.meta_data?.codec
      if (codec === undefined || codec === 'UNCOMPRESSED' || loaded[codec]) continue
      const p = codec === 'SNAPPY' ? loadSnappy() : loadOthers()
      if (!wait) wait = [p]
      else if (!wait.includes(p)) wait.push(p)
    }
  }
  return wait ? Promise.all(wait).then(() => loaded) : loaded
}

/** Every codec (for readers that see the metadata only inside hyparquet's own read call). */
export async function allDecompressors(): Promise<Compressors> {
  await Promise.all([loadSnappy(), loadOthers()])
  return loaded
}

function loadSnappy(): Promise<void> {
  snappy ??= import('hysnappy').then((m) => { loaded.SNAPPY = m.snappyUncompressor() })
  return snappy
}

function loadOthers(): Promise<void> {
  others ??= import('hyparquet-compressors').then(({ compressors }) => {
    for (const [codec, fn] of Object.entries(compressors)) {
      // snappy stays hysnappy's own instance (one WASM memory) if it is loaded already
      if (codec !== 'SNAPPY' || !loaded.SNAPPY) loaded[codec as keyof Compressors] = fn
    }
  })
  return others
}
