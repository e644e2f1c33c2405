// Schema Health page: polls api/state and redraws the tables. No framework, no external resources.
// URLs are relative so the page also works behind a reverse proxy that mounts it under a path.
// Every value from the server is written with textContent, never parsed as HTML, so telemetry cannot inject markup.
"use strict";

(function () {
  const refreshMs = Math.max(200, Number(document.body.dataset.refreshMs) || 5000);

  function el(tag, options, children) {
    const node = document.createElement(tag);
    const opts = options || {};
    if (opts.cls) node.className = opts.cls;
    if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
    if (opts.title) node.title = opts.title;
    if (opts.attrs) for (const [k, v] of Object.entries(opts.attrs)) node.setAttribute(k, v);
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  function td(text, cls) { return el("td", { text: text, cls: cls }); }

  // 45s, 12m 5s, 3h 12m, 2d 4h: two units at most.
  function humanDuration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
    let rest = Math.max(0, Math.floor(seconds));
    if (rest < 60) return rest + "s";
    const units = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
    const parts = [];
    for (const [name, size] of units) {
      if (rest >= size || parts.length) {
        const value = Math.floor(rest / size);
        rest -= value * size;
        if (value) parts.push(value + name); else parts.push("");
      }
      if (parts.length === 2) break;
    }
    return parts.filter(Boolean).join(" ");
  }

  function iso(ts) { return ts ? new Date(ts * 1000).toISOString().replace(".000", "") : ""; }

  function ago(ts, now) {
    if (!ts) return el("span", { text: "never" });
    return el("time", { text: humanDuration(now - ts) + " ago", title: iso(ts), attrs: { datetime: iso(ts) } });
  }

  function cellWith(node) { return el("td", {}, [node]); }

  function pct(value) {
    if (value === null || value === undefined) return "–";
    return (value * 100).toFixed(2).replace(/\.?0+$/, "") + " %";
  }

  function pill(text, cls) { return el("span", { cls: "pill " + (cls || text), text: text }); }

  function changesList(changes) {
    if (!changes || !changes.length) return el("span", { cls: "empty", text: "no details" });
    const list = el("ul", { cls: "changes" });
    for (const change of changes) {
      const parts = [change.breaking ? "breaking" : "compatible", change.kind, change.path || "#"];
      const item = el("li", { attrs: { "data-kind": change.kind } }, [
        el("code", { text: parts.join(" · ") }),
        el("span", { text: " " + (change.message || "") }),
      ]);
      list.appendChild(item);
    }
    return list;
  }

  function fill(tableId, emptyId, rows) {
    const body = document.querySelector("#" + tableId + " tbody");
    body.replaceChildren(...rows);
    if (emptyId) document.getElementById(emptyId).hidden = rows.length > 0;
    document.getElementById(tableId).hidden = rows.length === 0 && Boolean(emptyId);
  }

  function driftRow(drift, now) {
    const key = drift.repo + "/" + drift.track + "/" + drift.schema;
    const row = el("tr", { attrs: { "data-key": key, "data-classification": drift.classification } });
    row.append(td(drift.repo), td(drift.schema), td(drift.track),
      cellWith(pill(drift.classification)), cellWith(changesList(drift.changes)),
      td(humanDuration(drift.duration_s)));
    if (drift.active) row.append(cellWith(ago(drift.last_detected, now)));
    else row.append(cellWith(ago(drift.resolved_at, now)));
    row.append(td(drift.count, "num"));
    return row;
  }

  function render(state) {
    const now = state.generated_at;
    const drifts = state.drift.drifts;
    fill("active-drift", "active-empty", drifts.filter((d) => d.active).map((d) => driftRow(d, now)));
    fill("resolved-drift", "resolved-empty", drifts.filter((d) => !d.active).map((d) => driftRow(d, now)));

    const readiness = state.readiness;
    const verdict = document.getElementById("verdict");
    verdict.textContent = "strict: " + readiness.verdict;
    verdict.className = "pill " + readiness.verdict;
    document.getElementById("readiness-summary").textContent =
      readiness.verdict + " over " + readiness.window + (readiness.reasons.length ? ": " + readiness.reasons.join("; ") : "");
    fill("readiness", "readiness-empty", readiness.schemas.map((s) => {
      const row = el("tr", { attrs: { "data-key": s.track + "/" + s.schema, "data-verdict": s.verdict } });
      row.append(td(s.schema), td(s.track), cellWith(pill(s.verdict)), td(pct(s.rejection_rate), "num"),
        td(s.total, "num"), td(s.reasons.join("; ")));
      return row;
    }));

    document.getElementById("validation-caption").textContent =
      "Validation per schema over the last " + humanDuration(state.validation.window_s);
    fill("validation", "validation-empty", state.validation.schemas.map((s) => {
      const row = el("tr", { attrs: { "data-key": s.track + "/" + s.schema } });
      row.append(td(s.schema), td(s.track), td(s.modes.join(", ") || "off"), td(s.total, "num"),
        td(pct(s.failure_rate), "num"), td(pct(s.would_reject_rate), "num"), td(s.services.join(", ")));
      return row;
    }));

    const registry = state.registry;
    const status = document.getElementById("registry-status");
    const label = !registry.enabled ? "disabled" : registry.up === null ? "checking" : registry.up ? "up" : "down";
    status.replaceChildren(pill(label, label === "checking" ? "unknown" : label), el("span", { text: " " + registry.url }));
    status.dataset.status = label;
    fill("registry", null, registry.tracks.map((t) => {
      const row = el("tr", { attrs: { "data-track": t.track } });
      row.append(td(t.track), cellWith(ago(t.last_sync, now)), td(t.error || ""));
      return row;
    }));

    const dlqRows = state.dlq.streams.map((d) => {
      const row = el("tr", { attrs: { "data-stream": d.stream } });
      row.append(td(d.stream), td(d.depth === null ? (d.error || "–") : d.depth, "num"), cellWith(ago(d.at, now)));
      return row;
    }).concat(state.dlq.reported.filter((r) => r.depth !== null).map((r) => {
      const row = el("tr");
      row.append(td(r.service + "/" + r.instance + " (reported)"), td(r.depth, "num"), cellWith(ago(r.at, now)));
      return row;
    }));
    fill("dlq", null, dlqRows);

    fill("backpressure", "backpressure-empty", state.backpressure.map((b) => {
      const row = el("tr", { cls: b.stale ? "stale" : "", attrs: { "data-coordinator": b.coordinator_id } });
      row.append(td(b.coordinator_id), cellWith(pill(b.level)), td(b.queue_size + " / " + b.capacity, "num"),
        cellWith(ago(b.ts, now)));
      return row;
    }));

    const phase = state.service.phase;
    document.getElementById("updated").textContent =
      "updated " + iso(now) + (phase === "live" ? "" : " · event bus: " + phase);
  }

  async function refresh() {
    const connection = document.getElementById("connection");
    try {
      const response = await fetch("api/state", { cache: "no-store", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      render(await response.json());
      connection.hidden = true;
    } catch (error) {
      connection.textContent = "orchestrator unreachable (" + error.message + "); retrying";
      connection.hidden = false;
    } finally {
      setTimeout(refresh, refreshMs);
    }
  }

  refresh();
})();
