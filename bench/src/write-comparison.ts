/** The import benchmarks' comparison: the store's writes against a raw bulk write of the same rows on the same server. */
export interface WriteComparison {
  storeWriteMs: number;
  storeWritten: number;
  rawWriteMs: number;
  rawWritten: number;
}

/** Rows per second of each side, and the store's rate as a share of the raw one. */
export function writeRates(run: WriteComparison): { store: number; raw: number; ratio: number } {
  const store = run.storeWritten / (run.storeWriteMs / 1000);
  const raw = run.rawWritten / (run.rawWriteMs / 1000);
  return { store, raw, ratio: store / raw };
}
