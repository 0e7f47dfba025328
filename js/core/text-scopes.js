// Scopes whose new values are text, made in one crossing where the engine
// lets WebAssembly read JavaScript strings (js/core/boundary.js textScope,
// twoTextScope): src/text_changes.wat reads the characters, writes the
// change entries (UTF-8) into the input area and calls the core, wasm to
// wasm (js/node/runtime.js instantiates it beside the core on Node 22 and
// later, Deno and Bun). JS writing the bytes and then crossing cost a fresh
// withContext('s') ~0.1x of OpenTelemetry's context.with more on Node 24
// (docs/boundary.md). Anything it does not take (a lone surrogate, a stale
// parent, a refusal) answers undefined, and js/core/store.js goes its whole
// way: writes in JS, retries, reports. The browser bundle leaves this
// module out (store.js says how).
import { Scope, copyValues } from './scope.js';

/**
 * `boundary`: one with `textChanges` (its textScope and twoTextScope call
 * the module). `isText(field, value)`: store.js's rule for a value it writes
 * as text; `limitFor(parent)`: the string limit a child of `parent` carries.
 */
export function createTextScopes(boundary, registry, isText, limitFor) {
  /** `parent` with the text field `field` set to `text` (isText holds), or undefined. */
  function withText(parent, field, text) {
    const handle = boundary.textScope(parent.handle, field.index, text);
    if (handle < 0) return undefined;
    const values = copyValues(parent.values);
    values[field.index] = text;
    return new Scope(values, limitFor(parent), handle);
  }

  /**
   * `parent` with the two fields `names` set to `values` (read once from the
   * caller's object), or undefined for anything but two different known
   * fields given text: another type, the same field twice, an unknown name
   * (and whatever withText answers undefined for).
   */
  function withTwoTexts(parent, names, values) {
    const first = registry.lookup(names[0]);
    const second = registry.lookup(names[1]);
    if (first === undefined || second === undefined || first === second) return undefined;
    const firstText = values[0];
    const secondText = values[1];
    if (!isText(first, firstText) || !isText(second, secondText)) return undefined;
    const handle = boundary.twoTextScope(parent.handle, first.index, firstText, second.index, secondText);
    if (handle < 0) return undefined;
    const childValues = copyValues(parent.values);
    childValues[first.index] = firstText;
    childValues[second.index] = secondText;
    return new Scope(childValues, limitFor(parent), handle);
  }

  return { withText, withTwoTexts };
}
