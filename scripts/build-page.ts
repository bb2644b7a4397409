/**
 * Builds the upload page into dist/page/: src/page/app.ts and the protocol
 * modules it imports bundled into one script (esbuild), next to index.html,
 * style.css and favicon.svg. Part of `npm run build`; a clone needs esbuild
 * (a devDependency), the published package ships dist/ as built.
 *
 *   node --import tsx scripts/build-page.ts
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

const root = join(__dirname, '..');
/** The page's files other than its script, copied as they are. */
const STATIC = ['index.html', 'style.css', 'favicon.svg'];

/**
 * Bundle the page's script and copy its other files.
 *
 * @param out - the folder to write @default dist/page
 */
export function buildPage(out = join(root, 'dist', 'page')): void {
  mkdirSync(out, { recursive: true });
  for (const file of STATIC) copyFileSync(join(root, 'src', 'page', file), join(out, file));
  buildSync({
    entryPoints: [join(root, 'src', 'page', 'app.ts')],
    outfile: join(out, 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    legalComments: 'none',
    logLevel: 'warning',
    // the page must not pull in Node code: a Node import fails the build
    external: [],
  });
}

if (require.main === module) buildPage();
