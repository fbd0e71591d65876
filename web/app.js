// gt-dashboard's page: renders the town from /api/status (the same JSON as
// `gt-status --json`), then keeps it live from one event stream
// (/api/events): "status" (the whole town again when it changed), "feed"
// (one `gt-feed --json` event), "pane" ({agent, html}: the agent's tmux
// pane, already escaped HTML from the server).  No polling: the cost is
// asked for again when feed events come, once per burst (costSoon()).
"use strict";

const csrf = document.querySelector('meta[name="gt-csrf"]').content;
const $ = (sel) => document.querySelector(sel);
const panes = new Map(); // address -> latest pane html
let lastStatus = null;

function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null) continue;
		if (k === "class") e.className = v;
		else if (k === "text") e.textContent = v;
		else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
		else e.setAttribute(k, v);
	}
	for (const k of kids) if (k !== null && k !== undefined) e.append(k);
	return e;
}

function ago(t) {
	if (!t) return "-";
	const ms = Date.parse(t);
	if (isNaN(ms)) return String(t);
	const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
	if (s < 60) return s + "s ago";
	if (s < 3600) return Math.round(s / 60) + "m ago";
	if (s < 86400) return Math.round(s / 3600) + "h ago";
	return Math.round(s / 86400) + "d ago";
}

function tokens(u) {
	if (!u) return null;
	const i = u.tokens_in || 0, o = u.tokens_out || 0;
	if (!i && !o && typeof u.cost_usd !== "number") return null;
	let s = `${i.toLocaleString()} in / ${o.toLocaleString()} out`;
	if (typeof u.cost_usd === "number") s += ` · $${u.cost_usd.toFixed(4)}`;
	return s;
}

async function post(path, body) {
	const r = await fetch(path, {
		method: "POST",
		headers: { "Content-Type": "application/json", "X-Gt-Csrf": csrf },
		body: JSON.stringify(body),
		credentials: "same-origin",
	});
	const text = await r.text();
	if (!r.ok) {
		let msg = text;
		try { msg = JSON.parse(text).error; } catch (e) { /* plain text */ }
		throw new Error(msg || r.statusText);
	}
	return text;
}

// ---- agents ----

function agentCard(a) {
	const card = el("article", { class: "agent", "data-address": a.address });
	const msg = el("div", { class: "msg" });
	const input = el("input", { placeholder: "nudge " + a.address, "aria-label": "nudge text" });
	const form = el("form", { class: "nudge" }, input, el("button", { type: "submit", text: "Nudge" }));
	form.addEventListener("submit", async (ev) => {
		ev.preventDefault();
		if (!input.value.trim()) return;
		form.querySelector("button").disabled = true;
		msg.className = "msg";
		msg.textContent = "sending…";
		try {
			const out = await post("/api/nudge", { agent: a.address, text: input.value });
			msg.textContent = out.includes("queued") ? "queued for its next turn" : "typed into the session";
			input.value = "";
		} catch (e) {
			msg.className = "msg err";
			msg.textContent = e.message;
		}
		form.querySelector("button").disabled = false;
	});
	card.append(
		el("div", { class: "agent-head" }, el("span", { class: "addr" }), el("span", { class: "state" })),
		el("dl", { class: "facts" }),
		el("pre", { class: "pane none", text: "no session" }),
		form, msg);
	return card;
}

function fillAgent(card, a) {
	const state = a.state || "unknown";
	card.className = "agent st-" + state.replace(/[^a-z-]/g, "");
	card.querySelector(".addr").textContent = a.address;
	card.querySelector(".state").textContent = state;
	const dl = card.querySelector(".facts");
	dl.replaceChildren();
	// graph: the id whose graph the value links to (gt-graph --svg)
	const fact = (k, v, graph) => {
		if (v === null || v === undefined || v === "") return;
		const dd = el("dd", { class: "fact-" + k, title: String(v) });
		if (graph) dd.append(el("a", { href: "#graph", class: "graph-link", "data-graph": graph, text: String(v),
			onclick: (ev) => { ev.preventDefault(); showGraph(graph); } }));
		else dd.textContent = String(v);
		dl.append(el("dt", { text: k }), dd);
	};
	fact("hook", a.hook || "—", a.hook);
	if (a.molecule) fact("step", (a.step || "—") + "  (" + a.molecule + ")", a.molecule);
	fact("activity", ago(a.last_activity) + (a.last_command ? " · " + a.last_command : ""));
	fact("session", a.session_running ? "running" : "stopped");
	if (a.restarts) fact("restarts", a.restarts);
	if (a.run) fact("run", `${a.run.runtime || "?"} ${a.run.mode || ""} ${a.run.status || ""}`.trim());
	fact("usage", a.run && tokens(a.run.usage));
	const pane = card.querySelector(".pane");
	if (panes.has(a.address)) setPane(pane, panes.get(a.address));
}

function setPane(pre, html) {
	if (pre.gtHtml === html) return; // unchanged: keep the selection and scroll
	const atEnd = !pre.gtHtml || pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
	pre.gtHtml = html;
	pre.className = "pane";
	pre.innerHTML = html; // escaped by the server (base/ansi.c)
	if (atEnd) pre.scrollTop = pre.scrollHeight;
}

function renderAgents(list) {
	const box = $("#agents");
	$("#agent-count").textContent = list.length ? `(${list.length}, ${list.filter(a => a.state === "working").length} working)` : "";
	if (!list.length) { box.replaceChildren(el("p", { class: "empty", text: "No agents yet." })); return; }
	const have = new Map([...box.querySelectorAll(".agent")].map(c => [c.dataset.address, c]));
	const cards = list.map(a => { const c = have.get(a.address) || agentCard(a); fillAgent(c, a); return c; });
	// moving a card would lose its pane's scroll: only when the list changed
	const now = [...box.children];
	if (now.length !== cards.length || cards.some((c, i) => now[i] !== c)) box.replaceChildren(...cards);
}

// ---- the side ----

let openConvoys = "", landed = [];

// The convoys landed last, from /api/convoys (gt-convoy-list --all
// --json), each with what its runs cost (/api/cost?id=: gt-cost --json
// ID): asked for on load and whenever the open ones change.
async function loadLanded() {
	const r = await fetch("/api/convoys");
	if (!r.ok) return;
	const last = (await r.text()).split("\n").filter(Boolean).map(l => JSON.parse(l))
		.filter(c => c.status === "closed")
		.sort((a, b) => String(b.closed_at || b.updated_at || "").localeCompare(String(a.closed_at || a.updated_at || "")))
		.slice(0, 3);
	await Promise.all(last.map(async c => {
		try {
			const cr = await fetch("/api/cost?id=" + encodeURIComponent(c.id));
			if (cr.ok) c.cost = JSON.parse((await cr.text()).split("\n")[0]);
		} catch (e) { /* shown without its cost */ }
	}));
	landed = last;
	if (lastStatus) renderConvoys(lastStatus.convoys || []);
}

function renderConvoys(list) {
	const box = $("#convoys");
	const ids = list.map(c => c.id).join(" ");
	if (ids !== openConvoys) { openConvoys = ids; loadLanded(); }
	const shown = list.concat(landed.filter(l => !list.some(c => c.id === l.id)).map(l => Object.assign({ landed: true }, l)));
	if (!shown.length) { box.replaceChildren(el("p", { class: "empty", text: "No convoys yet." })); return; }
	box.replaceChildren(...shown.map(c => {
		const done = c.done || 0, total = c.total || 0, pct = total ? Math.round(100 * done / total) : 0;
		const bar = el("div", { class: "bar" }, el("div", { style: `width:${pct}%` }));
		const cost = tokens(c.cost);
		return el("div", { class: "convoy" + (total && done === total ? " done" : "") + (c.landed ? " landed" : ""), "data-id": c.id, title: "show its graph",
			onclick: () => showGraph(c.id) },
			el("div", { class: "title" }, el("span", { text: c.title || c.id }),
				el("span", { class: "progress mono", "data-done": done, "data-total": total, text: `${done}/${total}` })),
			bar, el("div", { class: "sub", text: c.id + (c.landed ? " · landed" : "") + (cost ? " · " + cost : "") }));
	}));
}

function renderEscalations(list) {
	const box = $("#escalations");
	if (!list.length) { box.replaceChildren(el("p", { class: "empty", text: "Nothing needs you." })); return; }
	box.replaceChildren(...list.map(e => {
		const btn = el("button", { class: "quiet ack", text: "Ack" });
		btn.addEventListener("click", async () => {
			btn.disabled = true;
			try { await post("/api/ack", { id: e.id }); btn.textContent = "acked"; }
			catch (err) { btn.disabled = false; btn.title = err.message; btn.textContent = "retry"; }
		});
		return el("div", { class: "escalation", "data-id": e.id },
			el("div", {},
				el("div", {}, el("span", { class: "sev sev-" + (e.severity || ""), text: e.severity || "" }), " ",
					el("span", { text: e.title || e.id })),
				el("div", { class: "sub", text: `${e.id}${e.bead ? " · " + e.bead : ""}${e.count > 1 ? " · " + e.count + "×" : ""}` })),
			btn);
	}));
}

function renderMq(list) {
	const box = $("#mq");
	if (!list.length) { box.replaceChildren(el("p", { class: "empty", text: "Empty." })); return; }
	box.replaceChildren(el("table", {}, ...list.map(m =>
		el("tr", { "data-id": m.id }, el("td", { class: "mono", text: m.id }), el("td", { text: m.queue || "" }),
			el("td", { text: (m.metadata && m.metadata.rig) || "" }), el("td", { text: m.title || "" })))));
}

function renderStatus(st) {
	lastStatus = st;
	$("#town").textContent = st.town || "town";
	$("#root").textContent = st.root || "";
	document.title = "gt · " + (st.town || "town");
	const d = st.deacon || {};
	$("#deacon").textContent = d.running ? "deacon running" : "deacon stopped";
	$("#deacon").className = "pill " + (d.running ? "on" : "off");
	const e = st.estop || {}, lines = [];
	if (e.town) lines.push("E-STOP in force for the whole town" + (e.town.reason ? ": " + e.town.reason : ""));
	for (const [rig, v] of Object.entries(e.rigs || {})) lines.push(`E-STOP in force for rig ${rig}` + (v && v.reason ? ": " + v.reason : ""));
	for (const rig of e.parked || []) lines.push(`rig ${rig} is parked`);
	$("#estop").hidden = !lines.length;
	$("#estop").textContent = lines.join(" · ");
	renderAgents(st.agents || []);
	renderConvoys(st.convoys || []);
	renderEscalations(st.escalations || []);
	renderMq(st.merge_queue || []);
}

function feedItem(ev, fresh) {
	return el("li", { class: fresh ? "new" : "", "data-commit": ev.commit },
		el("span", { class: "when", text: (ev.time || "").replace("T", " ").replace(/Z$/, "") }), " ",
		el("span", { class: "who", text: ev.actor || "" }), " ",
		el("span", { text: (ev.command ? ev.command + ": " : "") + (ev.summary || "") }));
}

function addFeed(ev, fresh) {
	const ol = $("#feed");
	ol.prepend(feedItem(ev, fresh));
	while (ol.children.length > 300) ol.lastChild.remove();
}

// What the runs cost (/api/cost: gt-cost --json, the town's sum with its
// beads): the total, then the beads that cost most.  A run's cost reaches
// the ledger as a commit, so a feed event asks for it again; a burst of
// events (a batch, a refinery run) asks once, and then at most every
// COST_EVERY_MS while events keep coming: no storm of requests.
const COST_EVERY_MS = 2000;
let costWanted = false, costBusy = false, costAt = 0;

function costSoon() {
	costWanted = true;
	if (!costBusy) costLoop();
}

async function costLoop() {
	costBusy = true;
	while (costWanted) {
		const wait = costAt + COST_EVERY_MS - Date.now();
		if (wait > 0) await new Promise(r => setTimeout(r, wait));
		costWanted = false;
		costAt = Date.now();
		try { await loadCost(); } catch (e) { /* the next event tries again */ }
	}
	costBusy = false;
}

function costLine(u) {
	const s = tokens(u);
	return s ? s : `${u.runs || 0} run${u.runs === 1 ? "" : "s"}`;
}

async function loadCost() {
	const r = await fetch("/api/cost");
	if (!r.ok) return;
	const sum = (await r.text()).split("\n").filter(Boolean).map(l => JSON.parse(l))[0];
	if (!sum || !sum.runs) return;
	const beads = (sum.beads || []).filter(b => tokens(b))
		.sort((a, b) => (b.cost_usd || 0) - (a.cost_usd || 0) || ((b.tokens_in || 0) + (b.tokens_out || 0)) - ((a.tokens_in || 0) + (a.tokens_out || 0)))
		.slice(0, 5);
	$("#cost").replaceChildren(
		el("div", { class: "total", text: `${sum.runs} run${sum.runs === 1 ? "" : "s"} · ${sum.turns || 0} turns` }),
		el("div", { class: "sub", text: tokens(sum) || "no tokens reported" }),
		...beads.map(b => el("div", { class: "cost-bead", "data-id": b.id, title: "show its graph", onclick: () => showGraph(b.id) },
			el("div", { class: "title" }, el("span", { class: "mono", text: b.id }), " ", el("span", { text: b.title || "" })),
			el("div", { class: "sub", text: costLine(b) }))));
}

// ---- the graph (gt-graph --svg) ----

async function showGraph(id) {
	$("#graph-id").value = id;
	const box = $("#graph");
	box.closest("section").scrollIntoView({ block: "nearest" });
	box.replaceChildren(el("p", { class: "empty", text: "loading " + id + "…" }));
	const r = await fetch("/api/graph?id=" + encodeURIComponent(id));
	if (!r.ok) {
		let msg = r.statusText;
		try { msg = (await r.json()).error; } catch (e) { /* not JSON */ }
		box.replaceChildren(el("p", { class: "empty", text: msg }));
		return;
	}
	// an <img> never runs what an SVG may hold
	const url = URL.createObjectURL(new Blob([await r.text()], { type: "image/svg+xml" }));
	box.replaceChildren(el("img", { src: url, alt: "dependency graph of " + id }));
}

// ---- start ----

async function start() {
	$("#graph-form").addEventListener("submit", (ev) => { ev.preventDefault(); if ($("#graph-id").value.trim()) showGraph($("#graph-id").value.trim()); });
	try {
		const [st, feed] = await Promise.all([fetch("/api/status"), fetch("/api/feed?n=100")]);
		if (st.ok) renderStatus(await st.json());
		if (feed.ok) for (const l of (await feed.text()).split("\n").filter(Boolean)) addFeed(JSON.parse(l), false);
	} catch (e) { /* the stream brings it */ }
	costSoon();
	const es = new EventSource("/api/events");
	es.onopen = () => { $("#live").textContent = "live"; $("#live").className = "pill on"; };
	es.onerror = () => { $("#live").textContent = "reconnecting"; $("#live").className = "pill off"; };
	es.addEventListener("status", (m) => renderStatus(JSON.parse(m.data)));
	es.addEventListener("feed", (m) => { addFeed(JSON.parse(m.data), true); costSoon(); });
	es.addEventListener("pane", (m) => {
		const p = JSON.parse(m.data);
		panes.set(p.agent, p.html);
		const card = [...document.querySelectorAll("#agents .agent")].find(c => c.dataset.address === p.agent);
		if (card) setPane(card.querySelector(".pane"), p.html);
	});
	setInterval(() => { if (lastStatus) for (const a of lastStatus.agents || []) {
		const c = [...document.querySelectorAll("#agents .agent")].find(x => x.dataset.address === a.address);
		if (c) fillAgent(c, a);
	} }, 10000);
}

start();
