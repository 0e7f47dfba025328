;; The fresh-scope crossing for engines whose WebAssembly reads JavaScript
;; strings itself (the JS String Builtins, `wasm:js-string`: Node 22 and
;; later, Deno, Bun, Chromium 130). A scope that sets one or two text
;; fields is made by one call from JS: this module reads the characters,
;; writes the change entries (UTF-8) into the core's input area and calls
;; the core's mellea_scope_create (src/wasm_bindings.cpp), wasm to wasm.
;; Where JS wrote the bytes itself (a loop of charCodeAt and typed-array
;; stores, or Buffer#utf8Write) and then crossed, a fresh withContext('s')
;; cost ~0.1x of OpenTelemetry's context.with more on Node 24
;; (docs/boundary.md has the figures).
;;
;; It checks nothing the core checks: the core validates every value as it
;; does for any change. It only refuses what it cannot write as it is, a
;; lone surrogate (not UTF-8: JS reports it) or text that may not fit the
;; input area, answering TEXT_NOT_WRITTEN before it calls the core; the JS
;; path then writes that text (js/core/store.js).
;;
;; Entry layout (src/scope_store.cpp): u8 field index, u8 kind (0: a string,
;; TYPE_CODES.string), u32 little-endian payload length, the payload.
;; Assembled by binaryen's wasm-as (CMakeLists.txt); tests/constants.test.mjs
;; checks TEXT_NOT_WRITTEN and the layout against the JS and C++ sides.
(module
 (import "wasm:js-string" "charCodeAt" (func $charCodeAt (param externref i32) (result i32)))
 (import "wasm:js-string" "length" (func $length (param externref) (result i32)))
 (import "core" "memory" (memory $memory 1))
 (import "core" "scopeCreate" (func $scopeCreate (param f64 i32 i32) (result f64)))
 ;; The core's input area: [input, inputEnd).
 (import "core" "input" (global $input i32))
 (import "core" "inputEnd" (global $inputEnd i32))

 ;; Writes `text` as the entry of field `index` at `at`, its payload UTF-8;
 ;; returns the next entry's address, or 0 when the text holds a lone
 ;; surrogate (JS refuses it: ill-formed UTF-16) or may not fit before
 ;; inputEnd (three bytes a UTF-16 unit at most; JS then writes what fits).
 (func $putText (param $at i32) (param $index i32) (param $text externref) (result i32)
  (local $n i32) (local $k i32) (local $c i32) (local $d i32) (local $payload i32) (local $w i32)
  (local.set $n (call $length (local.get $text)))
  (local.set $payload (i32.add (local.get $at) (i32.const 6)))
  (if (i32.gt_u (local.get $n) (i32.div_u (i32.sub (global.get $inputEnd) (local.get $payload)) (i32.const 3)))
   (then (return (i32.const 0))))
  (local.set $w (local.get $payload))
  (block $written
   (loop $next
    (br_if $written (i32.ge_u (local.get $k) (local.get $n)))
    (local.set $c (call $charCodeAt (local.get $text) (local.get $k)))
    (local.set $k (i32.add (local.get $k) (i32.const 1)))
    (if (i32.lt_u (local.get $c) (i32.const 0x80))
     (then
      (i32.store8 (local.get $w) (local.get $c))
      (local.set $w (i32.add (local.get $w) (i32.const 1)))
      (br $next)))
    (if (i32.lt_u (local.get $c) (i32.const 0x800))
     (then
      (i32.store8 (local.get $w) (i32.or (i32.shr_u (local.get $c) (i32.const 6)) (i32.const 0xc0)))
      (i32.store8 offset=1 (local.get $w) (i32.or (i32.and (local.get $c) (i32.const 0x3f)) (i32.const 0x80)))
      (local.set $w (i32.add (local.get $w) (i32.const 2)))
      (br $next)))
    (if (i32.ne (i32.and (local.get $c) (i32.const 0xf800)) (i32.const 0xd800))
     (then
      (i32.store8 (local.get $w) (i32.or (i32.shr_u (local.get $c) (i32.const 12)) (i32.const 0xe0)))
      (i32.store8 offset=1 (local.get $w) (i32.or (i32.and (i32.shr_u (local.get $c) (i32.const 6)) (i32.const 0x3f)) (i32.const 0x80)))
      (i32.store8 offset=2 (local.get $w) (i32.or (i32.and (local.get $c) (i32.const 0x3f)) (i32.const 0x80)))
      (local.set $w (i32.add (local.get $w) (i32.const 3)))
      (br $next)))
    ;; A surrogate: a high one followed by a low one is one code point.
    (if (i32.or (i32.ge_u (local.get $c) (i32.const 0xdc00)) (i32.ge_u (local.get $k) (local.get $n)))
     (then (return (i32.const 0))))
    (local.set $d (call $charCodeAt (local.get $text) (local.get $k)))
    (if (i32.ne (i32.and (local.get $d) (i32.const 0xfc00)) (i32.const 0xdc00))
     (then (return (i32.const 0))))
    (local.set $k (i32.add (local.get $k) (i32.const 1)))
    (local.set $c (i32.add (i32.const 0x10000)
     (i32.or (i32.shl (i32.sub (local.get $c) (i32.const 0xd800)) (i32.const 10)) (i32.sub (local.get $d) (i32.const 0xdc00)))))
    (i32.store8 (local.get $w) (i32.or (i32.shr_u (local.get $c) (i32.const 18)) (i32.const 0xf0)))
    (i32.store8 offset=1 (local.get $w) (i32.or (i32.and (i32.shr_u (local.get $c) (i32.const 12)) (i32.const 0x3f)) (i32.const 0x80)))
    (i32.store8 offset=2 (local.get $w) (i32.or (i32.and (i32.shr_u (local.get $c) (i32.const 6)) (i32.const 0x3f)) (i32.const 0x80)))
    (i32.store8 offset=3 (local.get $w) (i32.or (i32.and (local.get $c) (i32.const 0x3f)) (i32.const 0x80)))
    (local.set $w (i32.add (local.get $w) (i32.const 4)))
    (br $next)))
  (i32.store8 (local.get $at) (local.get $index))
  (i32.store8 offset=1 (local.get $at) (i32.const 0))
  (i32.store offset=2 align=1 (local.get $at) (i32.sub (local.get $w) (local.get $payload)))
  (local.get $w))

 ;; The child of `parent` (a handle) with field `index` set to `text`: its
 ;; handle, -status as the core answers, or TEXT_NOT_WRITTEN.
 (func (export "scopeWithText") (param $parent f64) (param $index i32) (param $text externref) (result f64)
  (local $end i32)
  (local.set $end (call $putText (global.get $input) (local.get $index) (local.get $text)))
  (if (i32.eqz (local.get $end)) (then (return (f64.const -65536))))
  (call $scopeCreate (local.get $parent) (i32.sub (local.get $end) (global.get $input)) (i32.const 0)))

 ;; The same with two fields (`first` and `second` two different fields).
 (func (export "scopeWithTwoTexts") (param $parent f64) (param $first i32) (param $firstText externref) (param $second i32) (param $secondText externref) (result f64)
  (local $end i32)
  (local.set $end (call $putText (global.get $input) (local.get $first) (local.get $firstText)))
  (if (i32.eqz (local.get $end)) (then (return (f64.const -65536))))
  (local.set $end (call $putText (local.get $end) (local.get $second) (local.get $secondText)))
  (if (i32.eqz (local.get $end)) (then (return (f64.const -65536))))
  (call $scopeCreate (local.get $parent) (i32.sub (local.get $end) (global.get $input)) (i32.const 0)))
)
