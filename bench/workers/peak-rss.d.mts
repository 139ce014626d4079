/** Peak resident set size of this process since its exec, in MiB (see peak-rss.mjs). */
export function peakRssMiB(): number
