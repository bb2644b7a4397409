/**
 * One output area in a notebook, and the HTML every display shares.
 *
 *   DisplayHandle ── show(bundle) in the cell running now, update(bundle) from any callback later
 *        │              (one display_id; a whole mime bundle each time, see kernel.ts)
 *   show() · describe() (table.ts) · status and progress (status.ts) · live() · chart()
 *
 * A display sent from a background callback lands in whichever cell runs at
 * that moment, and `display.raw` sends a single mime type (DESIGN.md, "Facts
 * measured"). So every rich output goes through the kernel's
 * `lastWriteDisplayData` with a whole bundle, and anything that changes later
 * updates one display in place by its display_id.
 */
import { randomBytes } from 'node:crypto';
import { type MimeBundle, writeDisplay } from './kernel.js';

export type { MimeBundle } from './kernel.js';

/**
 * One output area in a notebook, identified by a display_id so it can be
 * updated in place from any later callback. Outside a notebook every method
 * is a no-op.
 *
 * @example
 * const handle = new DisplayHandle();
 * handle.show({ 'text/plain': 'working…' });
 * setTimeout(() => handle.update({ 'text/plain': 'done' }), 1000);
 * @internal
 */
export class DisplayHandle {
  /** The Jupyter display_id shared by every output of this handle. */
  readonly id: string = randomBytes(8).toString('hex');
  #shown = false;

  /**
   * Adds an output with this handle's display_id to the cell running now.
   * Call it synchronously from the cell that should hold the output.
   *
   * @param bundle - the mime bundle to show.
   * @returns whether a kernel received it.
   */
  show(bundle: MimeBundle): boolean {
    const sent = writeDisplay(bundle, this.id, false);
    if (sent) this.#shown = true;
    return sent;
  }

  /**
   * Replaces the content of every output carrying this display_id, wherever it is.
   *
   * @param bundle - the new mime bundle.
   * @returns whether a kernel received it.
   */
  update(bundle: MimeBundle): boolean {
    return writeDisplay(bundle, this.id, this.#shown);
  }
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @param text - any text.
 * @returns the text with `& < > " '` replaced by entities.
 * @example
 * escapeHTML('<img src=x onerror=alert(1)>'); // '&lt;img src=x onerror=alert(1)&gt;'
 */
export function escapeHTML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);
}
