/**
 * Adds `ArrayBuffer.prototype.transferToFixedLength` (and `transfer`) where missing (Node 20).
 * The pdf.js bundled in unpdf calls it when moving image and font data; without it Node 20
 * only logs a warning, then silently loses embedded images and renders blank pages. The copy
 * below leaves the source buffer intact instead of detaching it, which callers cannot tell
 * apart for these uses. Idempotent; a no-op on Node 21+.
 */
export function installArrayBufferTransfer(): void {
  const prototype = ArrayBuffer.prototype as ArrayBuffer & { transferToFixedLength?: unknown; transfer?: unknown };
  if (typeof prototype.transferToFixedLength === "function") return;
  const transfer = function (this: ArrayBuffer, newLength?: number): ArrayBuffer {
    const length = newLength ?? this.byteLength;
    const copy = new ArrayBuffer(length);
    new Uint8Array(copy).set(new Uint8Array(this, 0, Math.min(length, this.byteLength)));
    return copy;
  };
  Object.defineProperty(prototype, "transferToFixedLength", { value: transfer, configurable: true, writable: true });
  if (typeof prototype.transfer !== "function") {
    Object.defineProperty(prototype, "transfer", { value: transfer, configurable: true, writable: true });
  }
}
