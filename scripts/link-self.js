// `npm ci` and `npm install` in this repository run it (package.json "prepare"):
// node_modules/csvsocket → .., so notebooks/ import "csvsocket" exactly as a
// user's notebook does (package.json main and types → dist/). Node's
// self-reference through "exports" would do at run time, but tslab type-checks
// cells with Node10 resolution, which needs a real path. Plain JavaScript: it
// runs before anything is built.
const { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const link = join(root, 'node_modules', 'csvsocket');
try {
  const stat = lstatSync(link);
  if (stat.isSymbolicLink() && readlinkSync(link) === '..') process.exit(0);
  rmSync(link, { recursive: true, force: true });
} catch {
  // missing: create it
}
mkdirSync(join(root, 'node_modules'), { recursive: true });
symlinkSync('..', link, 'dir');
console.log('linked node_modules/csvsocket → .. (notebooks/ import "csvsocket" from dist/)');
