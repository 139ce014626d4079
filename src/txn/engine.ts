// Who wrote a commit: `commitInfo.engineInfo` is `lagomago/<package version>`. The version is a
// constant (JSON imports are not portable across bundlers); a test keeps it equal to package.json.

export const LAGOMAGO_VERSION = '0.1.0'
export const ENGINE_INFO = `lagomago/${LAGOMAGO_VERSION}`
