// Which bench files `npm run bench -- <name...>` runs: a name that is a
// bench's own (`http` for http.bench.mjs) runs that bench alone; any other
// runs every bench whose file name contains it (`pino`). So `http` does not
// also start http-instructions.bench.mjs (~20 minutes a Node under valgrind).

/** The files of `files` (bench/*.bench.mjs names) that `names` select, sorted; all when none given. */
export function selectBenches(files, names) {
  const benches = files.filter((f) => f.endsWith('.bench.mjs')).sort();
  if (names.length === 0) return benches;
  return benches.filter((f) =>
    names.some((name) => (benches.includes(`${name}.bench.mjs`) ? f === `${name}.bench.mjs` : f.includes(name))),
  );
}
