/**
 * Typed arrays cut from shared 64 KiB buffers, for state every target keeps (its histograms'
 * counts, its loss counts, its status history). Each ArrayBuffer of its own is an extension V8
 * tracks and sweeps at every collection: at 10,000 targets the service held 60,081 of them, and
 * sweeping them took 4–9 ms of the pauses a reload of 10,000 targets made (README, "Every core").
 * Cut from slabs, 10,000 targets need under 1,000.
 *
 * Nothing is given back by hand: a slab is an ordinary ArrayBuffer, kept alive by any view into
 * it and collected with the last. Arrays made together (a reload's targets) die together; a
 * histogram that grows leaves its old counts as a hole in a slab that lives on, bounded by what
 * the slab ever held. Views are zeroed, as a new typed array is; never posted or read through
 * `.buffer` (that is the whole slab).
 */
const SLAB_BYTES = 64 * 1024;

/** Arrays larger than this get a buffer of their own: a slab is not pinned by one large array. */
const OWN_BUFFER_BYTES = SLAB_BYTES / 4;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** `bytes` (a multiple of 8) at an offset aligned for any typed array, in the current slab or a new one. */
function carve(bytes: number): [ArrayBuffer, number] {
  if (bytes > OWN_BUFFER_BYTES) return [new ArrayBuffer(bytes), 0];
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const at = used;
  used += bytes;
  return [slab, at];
}

const rounded = (bytes: number) => Math.ceil(bytes / 8) * 8;

/** `length` zeros, as `new Float64Array(length)`. */
export function float64s(length: number): Float64Array<ArrayBuffer> {
  const [buffer, at] = carve(rounded(length * 8));
  return new Float64Array(buffer, at, length);
}

/** `length` zeros, as `new Uint32Array(length)`. */
export function uint32s(length: number): Uint32Array<ArrayBuffer> {
  const [buffer, at] = carve(rounded(length * 4));
  return new Uint32Array(buffer, at, length);
}
