// hysnappy (snappy decompression in WASM, the one hyparquet-compressors uses) ships no types.
declare module 'hysnappy' {
  /** Compiles the WASM module and returns a decompressor bound to it. */
  export function snappyUncompressor(): (input: Uint8Array, outputLength: number) => Uint8Array
}
