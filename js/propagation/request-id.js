// Request-id rules shared by the HTTP integrations: an inbound id is used only
// when the service trusts its caller, and only if it is a short plain token,
// so that whatever reaches a log line or a response header is inert.
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The inbound id if it may be used as this request's id, else undefined.
 * `maxBytes` is the current field limit (configure({ maxValueBytes })): an id
 * the scope could not hold is replaced like any other bad id.
 */
export function acceptInboundId(value, maxBytes) {
  if (typeof value !== 'string' || value.length > maxBytes) return undefined;
  return REQUEST_ID_PATTERN.test(value) ? value : undefined;
}
