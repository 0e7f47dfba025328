// Emscripten JS library: getentropy in one crypto.getRandomValues call.
// Emscripten 3.1.6's own getentropy asks for one byte per call (1,024 calls
// for 64 request ids); crypto is a global in browsers and in Node >= 19.
mergeInto(LibraryManager.library, {
  getentropy: function (buffer, size) {
    if (size > 256) return -1;
    crypto.getRandomValues(HEAPU8.subarray(buffer, buffer + size));
    return 0;
  },
});
