// How an integration reports a failure that must not fail the user's work
// (a request, a job): to the user's onError(error, subject) when given (a
// throwing reporter is swallowed too), else one process warning with `code`
// for the life of the integration, so a steady failure does not flood stderr.
export function failureReporter(onError, code, describe) {
  let warned = false;
  return function report(error, subject) {
    if (onError !== undefined) {
      try {
        onError(error, subject);
      } catch {
        // The reporter failing must not fail the work either.
      }
      return;
    }
    if (warned) return;
    warned = true;
    process.emitWarning(describe(error), { code });
  };
}
