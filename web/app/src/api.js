// Talking to /api/v1. The token is kept in sessionStorage (gone with the tab) and sent as
// "Authorization: Bearer", never in a URL; so downloads and the live stream use fetch(), not
// links or EventSource (which cannot send headers).
const TOKEN_KEY = "krige.token";

export function token() {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY) || "";
  } catch (e) {
    return "";
  }
}

export function setToken(value) {
  try {
    if (value) window.sessionStorage.setItem(TOKEN_KEY, value);
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    // storage disabled: the token lasts until the page is left
  }
}

function headers(extra) {
  const h = { Accept: "application/json", ...(extra || {}) };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    // not JSON
  }
  const err = body && body.error;
  return new ApiError(err ? err.message : `HTTP ${response.status}`, response.status);
}

export async function getJson(url, signal) {
  const response = await fetch(url, { headers: headers(), credentials: "omit", cache: "no-store", signal });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function postJson(url, body, signal) {
  const response = await fetch(url, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
    signal,
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

// Downloads `url` (with the token) and saves it as `filename` through a blob: URL.
export async function download(url, filename) {
  const response = await fetch(url, { headers: headers({ Accept: "*/*" }), credentials: "omit", cache: "no-store" });
  if (!response.ok) throw await failure(response);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return blob.size;
}

// Server-sent events over fetch() with a stream reader: calls onEvent({id, event, data}) for
// each event; reconnects (after `retry` ms) with Last-Event-ID set to the last id seen. Returns
// a function that stops it. onState("open" | "retrying" | "closed") reports the connection.
export function streamEvents(url, lastEventId, onEvent, onState) {
  const controller = new AbortController();
  let last = lastEventId;
  let retry = 2000;
  let stopped = false;

  async function connect() {
    while (!stopped) {
      try {
        const h = headers({ Accept: "text/event-stream" });
        if (last !== undefined && last !== null && last !== "") h["Last-Event-ID"] = String(last);
        const response = await fetch(url, { headers: h, credentials: "omit", cache: "no-store", signal: controller.signal });
        if (!response.ok) throw await failure(response);
        if (onState) onState("open");
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        let event = { id: null, event: "message", data: [] };
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let newline;
          while ((newline = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, newline).replace(/\r$/, "");
            buffer = buffer.slice(newline + 1);
            if (line === "") {
              // An id without data (the stream's opening position) moves the resume point too.
              if (event.id !== null) last = event.id;
              if (event.data.length > 0) {
                onEvent({ id: event.id, event: event.event, data: event.data.join("\n") });
              }
              event = { id: null, event: "message", data: [] };
              continue;
            }
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "data") event.data.push(val);
            else if (field === "id") event.id = val;
            else if (field === "event") event.event = val;
            else if (field === "retry" && /^\d+$/.test(val)) retry = Number(val);
          }
        }
      } catch (e) {
        if (stopped) return;
        if (e.status === 401 || e.status === 403 || e.status === 404) {
          if (onState) onState("closed", e);
          return;
        }
      }
      if (stopped) return;
      if (onState) onState("retrying");
      await new Promise((resolve) => setTimeout(resolve, retry));
    }
  }
  connect();
  return () => {
    stopped = true;
    controller.abort();
  };
}
