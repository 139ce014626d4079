// `lagomago/node`: the Node-only store. LocalStore reads and writes the local file system through
// node:fs, so exporting it from the main entry would pull Node built-ins into browser bundles; the
// main entry still opens local paths (`DeltaTable.open('/data/t')`) by loading it on demand.
export { LocalStore } from './storage/local-store.js'
