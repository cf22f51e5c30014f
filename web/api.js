// api.js - the JSON API of farmd (docs/api.md), same origin.

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// GET a JSON route; throws ApiError with farmd's own message on 4xx/5xx.
export async function get(path, signal) {
  let r;
  try {
    r = await fetch(path, { signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, `farmd does not answer (${e.message})`);
  }
  let body = null;
  try { body = await r.json(); } catch { /* not JSON */ }
  if (!r.ok) throw new ApiError(r.status, (body && body.error) || `${path}: HTTP ${r.status}`);
  return body;
}

export const enc = encodeURIComponent;
