// Emscripten JS library: getentropy from crypto.getRandomValues, through a
// pool. One getRandomValues call costs about 2 us in Node whatever its size,
// and the core asks for 256 bytes (16 request ids) at a time, so the pool is
// refilled 4 KiB at a time (Node's crypto.randomUUID pools the same way).
// crypto is a global in browsers and in Node >= 19.
mergeInto(LibraryManager.library, {
  $entropyPool: { bytes: null, used: 4096 },
  getentropy__deps: ['$entropyPool'],
  getentropy: function (buffer, size) {
    if (size > 256) return -1;
    var pool = entropyPool;
    if (pool.bytes === null) pool.bytes = new Uint8Array(4096);
    if (pool.used + size > 4096) {
      crypto.getRandomValues(pool.bytes);
      pool.used = 0;
    }
    HEAPU8.set(pool.bytes.subarray(pool.used, pool.used + size), buffer);
    // Bytes handed out are wiped from the pool: never given twice, never kept.
    pool.bytes.fill(0, pool.used, pool.used + size);
    pool.used += size;
    return 0;
  },
});
