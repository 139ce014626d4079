// `lagomago/testing`: tools for testing code built on lagomago, kept out of the main entry so that
// applications do not ship them. FaultStore wraps any ObjectStore and injects failures (errors,
// lost acknowledgements, torn writes) by rule, as our own reliability tests do.
export { FaultStore } from './storage/fault-store.js'
export type { FaultRule, FaultKind, FaultOp, FaultTarget, InjectedFault, FaultStoreOptions } from './storage/fault-store.js'
