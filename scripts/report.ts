/**
 * `npm run report`: executes every notebook in notebooks/ headless through
 * Jupyter and the repo's tslab kernel, and writes the executed notebook and its
 * HTML export to reports/ (e.g. reports/display.html). For each it prints the
 * sizes of both files and the time of every chart cell (Jupyter's own
 * timestamps: from the kernel's busy status to its idle status for that cell).
 *
 * Usage: npm run report [-- notebooks/one.ipynb …]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatBytes } from '../src/text.js';
import { executeNotebook, repoRoot } from '../test/e2e/jupyter.js';

interface TimedCell {
  cell_type: string;
  source: string | string[];
  metadata?: { execution?: Record<string, string> };
}

/** Seconds each chart cell took, from the timestamps nbclient records in the cell's metadata. */
function chartCellTimes(ipynb: string): string[] {
  const cells = (JSON.parse(readFileSync(ipynb, 'utf8')) as { cells: TimedCell[] }).cells;
  return cells.flatMap((cell, i) => {
    const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
    if (cell.cell_type !== 'code' || !/\bchart(\.\w+)?\(|\blive\(/.test(source)) return [];
    const t = cell.metadata?.execution;
    // tslab sends no execute_input, so its busy and idle status messages bound the cell
    const start = t?.['iopub.status.busy'];
    const end = t?.['iopub.status.idle'];
    if (!start || !end) return [];
    const first = source.split('\n').find((line) => /chart|live/.test(line)) ?? '';
    const seconds = (Date.parse(end) - Date.parse(start)) / 1000;
    return [`  cell ${i + 1}: ${seconds.toFixed(2)} s  ${first.trim().slice(0, 70)}`];
  });
}

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
      const sizes = `${formatBytes(statSync(result.file).size)} .ipynb, ${formatBytes(statSync(result.html).size)} .html`;
      console.log(`${relative(repoRoot, result.html)}  (${(result.ms / 1000).toFixed(1)} s; ${sizes})`);
      for (const line of chartCellTimes(result.file)) console.log(line);
    } catch (err) {
      failed++;
      console.error(`${relative(repoRoot, notebook)} failed:\n${(err as Error).message}`);
    }
  }
  if (failed) process.exitCode = 1;
}

void main();
