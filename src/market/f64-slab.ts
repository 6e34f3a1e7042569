/**
 * Small Float64Arrays carved out of shared slabs. A typed array longer than 64 bytes gets its own off-heap
 * backing store, which V8 allocates, tracks and frees at over a microsecond apiece; a view on a slab costs a
 * fraction of that (`node bench/book-alloc.mjs` measures both). The simulator builds one book per REST
 * snapshot — millions per run — so its snapshots come from here.
 *
 * A slab (64 KiB) is freed once no view of it is alive, so a long-lived view keeps up to 64 KiB alive: fine
 * for books that are replaced every few hundred milliseconds, not for data kept for a whole run.
 */
const SLAB_LEN = 8192;
/** Larger arrays get their own buffer (a slab would hold only a few). */
const MAX_VIEW = SLAB_LEN / 8;

let slab = new Float64Array(SLAB_LEN);
let used = 0;

/** A zero-filled Float64Array of length `n`, usually a view on a shared slab (see above). */
export function slabFloat64(n: number): Float64Array {
  if (n > MAX_VIEW) return new Float64Array(n);
  if (used + n > SLAB_LEN) {
    slab = new Float64Array(SLAB_LEN);
    used = 0;
  }
  const v = slab.subarray(used, used + n);
  used += n;
  return v;
}
