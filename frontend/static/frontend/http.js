// The one fetch client of the pages and the editor: session cookie + CSRF header, JSON in and
// out, ETag/If-Match, clear error messages. Also el(), a small DOM builder (text never as HTML).

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// "image_size" -> "Image size"; "non_field_errors" and "detail" carry no field name.
function fieldName(key) {
  const words = key.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function messages(value, labels) {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => messages(v, labels));
  if (typeof value === "object") return errorLines(value, labels);
  return [String(value)];
}

function errorLines(body, labels) {
  return Object.entries(body).flatMap(([key, value]) => {
    if (key === "code") return [];
    const texts = messages(value, labels);
    if (key === "detail" || key === "non_field_errors") return texts;
    return texts.map((t) => `${labels[key] || fieldName(key)}: ${t}`);
  });
}

// An error body as sentences for the page, never raw JSON: DRF's {detail} as is, and its
// {field: [messages]} as "Field: message." lines joined by spaces (`labels`: field -> the name
// the page shows for it).
export function errorSentence(body, status, labels = {}) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string" && body.detail) return body.detail;
    const lines = errorLines(body, labels);
    if (lines.length) return lines.join(" ");
  } else if (typeof body === "string" && body) {
    return body;
  }
  return status ? `The server answered ${status}.` : "The server did not answer.";
}

export class ApiError extends Error {
  constructor(status, body) {
    super(errorSentence(body, status));
    this.status = status;
    this.body = body;
  }
}

export function parseBody(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return { detail: text.slice(0, 300) };
  }
}

// -> {status, ok, data, etag}. HTTP errors do not throw (the caller reads status); network
// errors do. `json` is sent as JSON, `body` as is; `ifMatch` is a version number.
export async function request(method, url, { json, body, headers = {}, ifMatch } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (!SAFE_METHODS.has(method)) init.headers["X-CSRFToken"] = csrfToken();
  if (ifMatch !== undefined) init.headers["If-Match"] = `"${ifMatch}"`;
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  const response = await fetch(url, init);
  const text = response.status === 204 ? "" : await response.text();
  return { status: response.status, ok: response.ok, data: parseBody(text), etag: response.headers.get("ETag") };
}

// The response's JSON; throws ApiError unless 2xx.
export async function api(method, url, options) {
  const r = await request(method, url, options);
  if (!r.ok) throw new ApiError(r.status, r.data);
  return r.data;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}
