/**
 * A stand-in for tslab's kernel module (`tslab/dist/jupyter.js`): csvsocket
 * finds the kernel by scanning require.cache for that path, so a module put
 * there makes this process look like a kernel, and the displays it writes are
 * caught in `written`.
 */
import Module from 'node:module';
import { join, sep } from 'node:path';

/** One display the package wrote, as tslab's lastWriteDisplayData receives it. */
export interface Written {
  data: Record<string, string>;
  transient: { display_id?: string };
  update: boolean;
}

/**
 * Put the stand-in into require.cache; load the package after this.
 *
 * @param handler - the class standing in for tslab's JupyterHandlerImpl
 * @param written - where the displays go
 */
export function installFakeKernel(handler: new () => object, written: Written[]): void {
  const file = join(sep, 'fake', 'node_modules', 'tslab', 'dist', 'jupyter.js');
  const mod = new Module(file);
  mod.filename = file;
  mod.loaded = true;
  mod.exports = {
    lastWriteDisplayData: (d: Omit<Written, 'update'>, update: boolean) => written.push({ ...d, update }),
    JupyterHandlerImpl: handler,
  };
  require.cache[file] = mod;
}
