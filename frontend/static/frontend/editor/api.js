// The editor's calls to the annotation API, on the shared fetch client (../http.js): the
// annotation's version travels as ETag / If-Match.

import { ApiError, api as json, request } from "../http.js";

function versionOf(etag, fallback) {
  const m = etag && /"(\d+)"/.exec(etag);
  return m ? Number(m[1]) : fallback;
}

export const api = {
  async annotation(frameId) {
    const r = await request("GET", `/api/v1/frames/${frameId}/annotation/`);
    if (!r.ok) throw new ApiError(r.status, r.data);
    return { ...r.data, version: versionOf(r.etag, r.data.version) };
  },
  // -> {status: 200|412|400|..., data}; 412 data.current is what the server holds now.
  async save(frameId, version, body) {
    const r = await request("PUT", `/api/v1/frames/${frameId}/annotation/`, { json: body, ifMatch: version });
    return { status: r.status, data: r.data, version: versionOf(r.etag, null) };
  },
  async review(frameId, version, decision, comment) {
    const url = `/api/v1/frames/${frameId}/annotation/review/`;
    const r = await request("POST", url, { json: { decision, comment }, ifMatch: version });
    return { status: r.status, data: r.data };
  },
  async reopen(frameId, version, comment) {
    const url = `/api/v1/frames/${frameId}/annotation/reopen/`;
    const r = await request("POST", url, { json: { comment }, ifMatch: version });
    return { status: r.status, data: r.data };
  },
  predictions: (frameId) => json("GET", `/api/v1/frames/${frameId}/predictions/`),
  // FullGrad of a prediction: POST asks for it (-> {status: done, url} or {status: queued|running,
  // job}); GET reads where it stands (-> {status: none|queued|running|done|failed, url, error}).
  requestSaliency: (predictionId) => json("POST", `/api/v1/predictions/${predictionId}/saliency/`),
  saliency: (predictionId) => json("GET", `/api/v1/predictions/${predictionId}/saliency/`),
  propose: (frameId, mode) => json("POST", `/api/v1/frames/${frameId}/propose/`, { json: { mode } }),
  geometry: (frameId, body) => json("POST", `/api/v1/frames/${frameId}/geometry/`, { json: body }),
  labels: (project) => json("GET", `/api/v1/label-classes/?project=${encodeURIComponent(project)}`),
  // The editor's window on a video: {around: frame id} or {at_ms}, and a radius.
  filmstrip(videoId, params) {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
    return json("GET", `/api/v1/videos/${videoId}/filmstrip/?${query}`);
  },
  // A brush or eraser stroke merged into the annotation and saved -> {status, data, version}.
  async stroke(frameId, version, body) {
    const r = await request("POST", `/api/v1/frames/${frameId}/annotation/stroke/`, { json: body, ifMatch: version });
    return { status: r.status, data: r.data, version: versionOf(r.etag, null) };
  },
  // A POST: it claims the frame it answers.
  async queueNext(project, skip) {
    const url = `/api/v1/queue/next/?project=${encodeURIComponent(project)}&skip=${skip}`;
    const r = await request("POST", url);
    if (r.status === 204) return null;
    if (!r.ok) throw new ApiError(r.status, r.data);
    return r.data;
  },
};
