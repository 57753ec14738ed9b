import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Asset {
  body: string;
  type: string;
}

/** The console's own script and stylesheet (assets/, beside src/ and dist/), and Chart.js from its npm package. */
export function loadAssets(): Map<string, Asset> {
  const own = (name: string): string => readFileSync(new URL(`../assets/${name}`, import.meta.url), 'utf8');
  // Chart.js exports no path to its browser build: it sits beside the package's main file.
  const chartDist = dirname(createRequire(import.meta.url).resolve('chart.js'));
  return new Map([
    ['console.js', { body: own('console.js'), type: 'text/javascript; charset=utf-8' }],
    ['console.css', { body: own('console.css'), type: 'text/css; charset=utf-8' }],
    ['chart.umd.min.js', { body: readFileSync(join(chartDist, 'chart.umd.min.js'), 'utf8'), type: 'text/javascript; charset=utf-8' }],
  ]);
}
