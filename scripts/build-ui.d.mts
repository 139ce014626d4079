/** Bundle the explorer page (src/ui) into `outDir`; resolves to the bytes of main.js. */
export function buildUi(outDir: string): Promise<number>
