// The outbound policy for tests about the codec rather than the policy: send
// every field as it is, to any destination (the default hashes session_id and
// omits defined fields for destinations that are not allow-listed).
export const CLEAR = Object.freeze({ redactExternal: {} });
