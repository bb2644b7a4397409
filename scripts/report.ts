/**
 * `npm run report`: executes every notebook in notebooks/ headless through
 * Jupyter and the repo's tslab kernel, and writes the executed notebook and its
 * HTML export to reports/ (e.g. reports/display.html).
 *
 * Usage: npm run report [-- notebooks/one.ipynb …]
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { executeNotebook, repoRoot } from '../test/e2e/jupyter.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const notebooks = args.length
    ? args
    : readdirSync(join(repoRoot, 'notebooks'))
        .filter((f) => f.endsWith('.ipynb'))
        .sort()
        .map((f) => join(repoRoot, 'notebooks', f));
  const outDir = join(repoRoot, 'reports');
  let failed = 0;
  for (const notebook of notebooks) {
    try {
      const result = await executeNotebook(notebook, outDir);
      console.log(`${relative(repoRoot, result.html)}  (${(result.ms / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed++;
      console.error(`${relative(repoRoot, notebook)} failed:\n${(err as Error).message}`);
    }
  }
  if (failed) process.exitCode = 1;
}

void main();
