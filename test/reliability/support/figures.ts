import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIGURES_DIR = fileURLToPath(new URL('../.figures/', import.meta.url));

/** Keeps a scenario's measured figures (for docs/reliability.md) in test/reliability/.figures/. */
export function recordFigures(scenario: string, figures: Record<string, unknown>): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(`${FIGURES_DIR}${scenario}.json`, `${JSON.stringify({ recordedAt: new Date().toISOString(), ...figures }, null, 2)}\n`);
}

/** Scenario sizes: reduced by default (CI), the full sizes with RELIABILITY_FULL=1. */
export function scaled(full: number, reduced: number): number {
  return process.env.RELIABILITY_FULL === '1' ? full : reduced;
}
