// Dateline's search page: what HTML alone cannot do. Every feature here has a plain link
// or form beneath it, so the page works without this script; nothing is loaded from elsewhere.
"use strict";

const WORLD = 1000; // the map's Mercator square, as services/index/web/maps.py draws it
const DRAG_PX = 5; // a pointer that moves less than this clicked

function go(base, params) {
  const url = new URL(base, location.href);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  location.assign(url.pathname + url.search);
}

// -- the form: sort changes search at once; "/" jumps to the search box ---------------------------
function enhanceForm() {
  const form = document.querySelector("form.search");
  for (const field of form.querySelectorAll("select[data-autosubmit], input[name=focus_only]")) {
    field.addEventListener("change", () => form.requestSubmit());
  }
  // empty fields stay out of the URL, which is the search's whole state
  form.addEventListener("formdata", (event) => {
    for (const [name, value] of [...event.formData.entries()]) {
      if (value === "") event.formData.delete(name);
    }
  });
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (event.key === "/" && !typing) {
      event.preventDefault();
      document.getElementById("q")?.focus();
    }
  });
}

// -- "more results" without leaving the page ------------------------------------------------------
function enhanceMore() {
  document.addEventListener("click", async (event) => {
    const link = event.target.closest("a.more[data-fragment]");
    if (!link) return;
    event.preventDefault();
    link.textContent = "Loading…";
    try {
      const response = await fetch(link.dataset.fragment, { headers: { Accept: "text/html" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const row = link.closest("li");
      row.insertAdjacentHTML("afterend", await response.text());
      const next = row.nextElementSibling?.querySelector("a");
      row.remove();
      next?.focus({ preventScroll: true });
    } catch (error) {
      location.assign(link.href); // the plain page of the next results
    }
  });
}

// -- drags: over the timeline (dates) and the map (a box) -------------------------------------------
function onDrag(element, { start, move, end }) {
  let origin = null;
  let dragged = false;
  element.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    origin = { x: event.clientX, y: event.clientY, state: start(event) };
    dragged = false;
    element.setPointerCapture(event.pointerId);
  });
  element.addEventListener("pointermove", (event) => {
    if (!origin) return;
    if (!dragged && Math.hypot(event.clientX - origin.x, event.clientY - origin.y) < DRAG_PX) return;
    dragged = true;
    move(origin.state, event);
  });
  element.addEventListener("pointerup", (event) => {
    if (origin && dragged) end(origin.state, event);
    origin = null;
  });
  element.addEventListener("pointercancel", () => { origin = null; dragged = false; });
  // links are draggable by default: a drag that starts on a bar or a point is ours
  element.addEventListener("dragstart", (event) => event.preventDefault());
  // the click that ends a drag must not also follow the link under the pointer
  element.addEventListener("click", (event) => {
    if (dragged) { event.preventDefault(); dragged = false; }
  }, true);
}

function enhanceTimeline() {
  const timeline = document.querySelector("[data-timeline]");
  if (!timeline) return;
  const bars = [...timeline.querySelectorAll(".bar")];
  const selection = timeline.querySelector(".selection");
  const barAt = (event) => {
    const box = timeline.getBoundingClientRect();
    const share = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 0.9999);
    return Math.floor(share * bars.length);
  };
  const span = (first, event) => {
    const last = barAt(event);
    return [Math.min(first, last), Math.max(first, last)];
  };
  onDrag(timeline, {
    start: barAt,
    move(first, event) {
      const [a, b] = span(first, event);
      const box = timeline.getBoundingClientRect();
      const left = bars[a].getBoundingClientRect().left - box.left;
      selection.style.left = `${left}px`;
      selection.style.width = `${bars[b].getBoundingClientRect().right - box.left - left}px`;
      selection.hidden = false;
    },
    end(first, event) {
      const [a, b] = span(first, event);
      go(timeline.dataset.baseUrl, { from: bars[a].dataset.start, to: bars[b].dataset.end });
    },
  });
}

function lonLat(x, y) {
  const lon = (x / WORLD) * 360 - 180;
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / WORLD))) * 180) / Math.PI;
  return [Math.min(Math.max(lon, -180), 180), Math.min(Math.max(lat, -85), 85)];
}

function enhanceMap() {
  const svg = document.querySelector("svg[data-bbox-url]");
  if (!svg) return;
  const drag = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  drag.setAttribute("class", "drag");
  const draw = (left, top, right, bottom) => {
    Object.entries({ x: left, y: top, width: right - left, height: bottom - top })
      .forEach(([name, value]) => drag.setAttribute(name, value));
    if (!drag.isConnected) svg.append(drag);
  };
  const search = (left, top, right, bottom) => {
    const [west, north] = lonLat(left, top);
    const [east, south] = lonLat(right, bottom);
    const bbox = [west, south, east, north].map((v) => Number(v.toFixed(2))).join(",");
    go(svg.dataset.bboxUrl, { bbox });
  };
  const toMap = (event) => {
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
    return [point.x, point.y];
  };
  const corners = (first, event) => {
    const [x0, y0] = first;
    const [x1, y1] = toMap(event);
    return [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)];
  };
  onDrag(svg, {
    start: toMap,
    move: (first, event) => draw(...corners(first, event)),
    end: (first, event) => search(...corners(first, event)),
  });
  keyboardBox(svg, draw, search, () => drag.remove());
}

// The map from the keyboard: focused, it shows a box (the search's own, else the middle of the
// view); arrows move it (Shift: further), + and - resize it, Enter searches inside it, Escape drops it.
function keyboardBox(svg, draw, search, drop) {
  const status = document.getElementById("map-status");
  let box = null; // [left, top, right, bottom] in map units
  svg.tabIndex = 0;
  svg.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight ArrowUp ArrowDown + - Enter Escape");
  const show = () => {
    draw(...box);
    const [west, north] = lonLat(box[0], box[1]);
    const [east, south] = lonLat(box[2], box[3]);
    status.textContent = `Box from ${west.toFixed(1)}° to ${east.toFixed(1)}° longitude, ` +
      `${south.toFixed(1)}° to ${north.toFixed(1)}° latitude: Enter searches inside it.`;
  };
  const start = () => {
    const shown = svg.querySelector("rect.bbox");
    const v = svg.viewBox.baseVal;
    const [x, y, w, h] = shown
      ? ["x", "y", "width", "height"].map((name) => Number(shown.getAttribute(name)))
      : [v.x + v.width / 4, v.y + v.height / 4, v.width / 2, v.height / 2];
    box = [x, y, x + w, y + h];
  };
  // moved or resized, the box stays on the map and keeps a size
  const place = (left, top, right, bottom) => {
    const width = Math.min(Math.max(right - left, 1), WORLD);
    const height = Math.min(Math.max(bottom - top, 1), WORLD);
    const x = Math.min(Math.max(left, 0), WORLD - width);
    const y = Math.min(Math.max(top, 0), WORLD - height);
    box = [x, y, x + width, y + height];
  };
  // a click focuses the map too: the box shows for the keyboard's focus, or at the first key
  svg.addEventListener("focus", () => { if (svg.matches(":focus-visible")) { start(); show(); } });
  svg.addEventListener("blur", () => { box = null; drop(); });
  svg.addEventListener("keydown", (event) => {
    if (event.target !== svg || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!box) start();
    const [left, top, right, bottom] = box;
    const v = svg.viewBox.baseVal;
    const step = Math.min(v.width, v.height) * (event.shiftKey ? 0.2 : 0.04);
    const [cx, cy, w, h] = [(left + right) / 2, (top + bottom) / 2, right - left, bottom - top];
    const scaled = (by) => place(cx - (w * by) / 2, cy - (h * by) / 2, cx + (w * by) / 2, cy + (h * by) / 2);
    const moves = {
      ArrowLeft: () => place(left - step, top, right - step, bottom),
      ArrowRight: () => place(left + step, top, right + step, bottom),
      ArrowUp: () => place(left, top - step, right, bottom - step),
      ArrowDown: () => place(left, top + step, right, bottom + step),
      "+": () => scaled(0.8),
      "=": () => scaled(0.8),
      "-": () => scaled(1.25),
      _: () => scaled(1.25),
    };
    if (event.key === "Enter") {
      event.preventDefault();
      search(...box);
    } else if (event.key === "Escape") {
      box = null;
      drop();
      status.textContent = "Box dropped.";
    } else if (moves[event.key]) {
      event.preventDefault(); // arrows would scroll the page
      moves[event.key]();
      show();
    }
  });
}

// -- follow: new matches of this search appear at the top as they are indexed -----------------------
function enhanceFollow() {
  const button = document.querySelector("button.follow[data-stream]");
  const status = document.querySelector(".live");
  const hits = document.getElementById("hits");
  if (!button || !hits) return;
  let source = null;
  let arrived = 0;
  const say = (text) => { status.textContent = text; status.hidden = !text; };
  const stop = (text) => {
    source?.close();
    source = null;
    button.setAttribute("aria-pressed", "false");
    button.textContent = "Follow";
    say(text);
  };
  const show = async (event) => {
    let id = event.lastEventId;
    try {
      const data = JSON.parse(event.data);
      id = data.id || data.article?.id || id;
    } catch (error) { /* not JSON: the event id names the article */ }
    if (!/^[0-9a-f]{32}$/.test(id)) return;
    const response = await fetch(`${button.dataset.hitUrl}${id}${button.dataset.query}`);
    if (!response.ok) return;
    hits.querySelector(`li[data-id="${id}"]`)?.remove();
    hits.insertAdjacentHTML("afterbegin", await response.text());
    hits.firstElementChild.classList.add("new");
    document.querySelector(".results > .empty")?.remove();
    arrived += 1;
    say(`Following: ${arrived} new article${arrived === 1 ? "" : "s"} since you started.`);
  };
  button.addEventListener("click", () => {
    if (source) { stop(""); return; }
    let opened = false;
    source = new EventSource(button.dataset.stream);
    button.setAttribute("aria-pressed", "true");
    button.textContent = "Following";
    say("Connecting…");
    source.addEventListener("open", () => {
      opened = true;
      say(arrived ? `Following: ${arrived} new so far.` : "Following: new matches appear at the top as they are indexed.");
    });
    source.addEventListener("message", show);
    source.addEventListener("article", show);
    source.addEventListener("expired", () => {
      say("Some new articles came while the connection was away too long: reload the page to see them.");
    });
    source.addEventListener("error", () => {
      if (!opened) stop("Live updates are not available from this server.");
      else say("Connection lost: reconnecting (nothing is missed)…");
    });
  });
}

function enhanceBack() {
  const back = document.querySelector("[data-back]");
  if (!back || !document.referrer) return;
  const from = new URL(document.referrer);
  if (from.origin === location.origin && from.pathname === "/") back.href = from.pathname + from.search;
}

enhanceForm();
enhanceMore();
enhanceTimeline();
enhanceMap();
enhanceFollow();
enhanceBack();
