// fetch() wrappers for the annotation API: session cookie + CSRF header, ETag/If-Match.

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function request(method, url, { body, ifMatch } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (ifMatch !== undefined) headers["If-Match"] = `"${ifMatch}"`;
  const res = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = res.status === 204 ? "" : await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  return { status: res.status, ok: res.ok, data, etag: res.headers.get("ETag") };
}

function versionOf(etag, fallback) {
  const m = etag && /"(\d+)"/.exec(etag);
  return m ? Number(m[1]) : fallback;
}

async function json(method, url, opts) {
  const r = await request(method, url, opts);
  if (!r.ok) throw new ApiError(r.status, r.data);
  return r.data;
}

async function allPages(url) {
  let next = url;
  const out = [];
  while (next) {
    const page = await json("GET", next);
    out.push(...page.results);
    next = page.next;
  }
  return out;
}

export const api = {
  async annotation(frameId) {
    const r = await request("GET", `/api/v1/frames/${frameId}/annotation/`);
    if (!r.ok) throw new ApiError(r.status, r.data);
    return { ...r.data, version: versionOf(r.etag, r.data.version) };
  },
  // -> {status: 200|412|400|..., data}; 412 data.current is what the server holds now.
  async save(frameId, version, body) {
    const r = await request("PUT", `/api/v1/frames/${frameId}/annotation/`, { body, ifMatch: version });
    return { status: r.status, data: r.data, version: versionOf(r.etag, null) };
  },
  async review(frameId, version, decision, comment) {
    const url = `/api/v1/frames/${frameId}/annotation/review/`;
    const r = await request("POST", url, { body: { decision, comment }, ifMatch: version });
    return { status: r.status, data: r.data };
  },
  predictions: (frameId) => json("GET", `/api/v1/frames/${frameId}/predictions/`),
  propose: (frameId, mode) => json("POST", `/api/v1/frames/${frameId}/propose/`, { body: { mode } }),
  geometry: (frameId, body) => json("POST", `/api/v1/frames/${frameId}/geometry/`, { body }),
  labels: (project) => json("GET", `/api/v1/label-classes/?project=${encodeURIComponent(project)}`),
  frames: (videoId) => allPages(`/api/v1/frames/?video=${videoId}&limit=1000`),
  annotationsOfVideo: (videoId) => allPages(`/api/v1/annotations/?video=${videoId}&limit=1000`),
  async queueNext(project, skip) {
    const url = `/api/v1/queue/next/?project=${encodeURIComponent(project)}&skip=${skip}`;
    const r = await request("GET", url);
    if (r.status === 204) return null;
    if (!r.ok) throw new ApiError(r.status, r.data);
    return r.data;
  },
};
