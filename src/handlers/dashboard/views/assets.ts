/**
 * @module The dashboard's stylesheet and its one script, served by the Worker from
 * `/dashboard/assets/*` so the page's Content-Security-Policy can refuse inline code.
 */

/** Works from 375 px up: tables scroll sideways inside their box, never the page. */
export const STYLE = `:root{--fg:#1d232b;--muted:#5c6773;--line:#d8dee4;--bg:#f6f8fa;--warn:#b35900;--bad:#b00020;--ok:#1a7f37;--accent:#0b5cad;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
*{box-sizing:border-box}body{margin:0;background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;background:#fff;border-bottom:1px solid var(--line)}
header h1{font-size:1rem;margin:0}header nav{display:flex;gap:.8rem;flex-wrap:wrap}header form{margin-left:auto}
main{padding:1rem;max-width:1200px;margin:0 auto}
h2{font-size:1.1rem;margin:1.2rem 0 .5rem}h3{font-size:1rem;margin:1rem 0 .4rem}
a{color:var(--accent)}.muted{color:var(--muted)}
.box{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.75rem;margin:.5rem 0;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}td.num,th.num{text-align:right}
tr.attention td:first-child{border-left:3px solid var(--warn)}tr.dead td{background:#fff1f0}
.badge{display:inline-block;padding:0 .4rem;border-radius:9px;font-size:.8rem;background:var(--line)}
.badge.bad{background:var(--bad);color:#fff}.badge.warn{background:var(--warn);color:#fff}.badge.ok{background:var(--ok);color:#fff}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:.5rem}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem}.card b{display:block;font-size:1.3rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:.5rem}
figure.chart{margin:0;background:#fff;border:1px solid var(--line);border-radius:6px;padding:.5rem}
figure.chart svg{width:100%;height:auto;display:block}figcaption{font-size:.85rem;display:flex;flex-wrap:wrap;gap:.6rem}
svg text{font-size:10px;fill:var(--muted)}svg .grid{stroke:var(--line)}svg path{fill:none;stroke-width:1.5}
.s-backlog{stroke:#0b5cad;color:#0b5cad}.s-pending{stroke:#b35900;color:#b35900}.s-acked{stroke:#1a7f37;color:#1a7f37}.s-failed{stroke:#b00020;color:#b00020}.s-dlq{stroke:#6f42c1;color:#6f42c1}
form.inline{display:inline}button,input[type=submit]{font:inherit;padding:.3rem .7rem;border:1px solid var(--line);border-radius:5px;background:#fff;cursor:pointer}
button.primary{background:var(--accent);color:#fff;border-color:var(--accent)}button.danger{background:var(--bad);color:#fff;border-color:var(--bad)}
input[type=text],input[type=password]{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:5px;max-width:100%}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}.actions form{display:flex;gap:.4rem;flex-wrap:wrap;align-items:flex-end}
pre{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid var(--line);border-radius:6px;padding:.75rem;max-height:60vh;overflow:auto}
.notice{padding:.6rem .8rem;border-radius:6px;background:#fff8e1;border:1px solid #f0d58c}.error{background:#fff1f0;border-color:#f5b5b0}
.login{max-width:340px;margin:10vh auto;background:#fff;border:1px solid var(--line);border-radius:6px;padding:1.2rem}.login input{width:100%;margin:.4rem 0 .8rem}
@media (max-width:600px){main{padding:.5rem}th,td{padding:.3rem}#overview thead{display:none}#overview tr{display:block;padding:.4rem 0;border-bottom:1px solid var(--line)}#overview td{display:flex;justify-content:space-between;gap:1rem;border:0;padding:.1rem .3rem;white-space:normal;text-align:right}#overview td::before{content:attr(data-label);color:var(--muted);font-size:.85rem;text-align:left}}`;

/**
 * Auto-refresh without a reload: every 10 s (`#refresh=<s>` in the address to change it) it fetches the page it is on and swaps in the
 * elements marked `data-live` (same id), so forms being filled keep their state. Without
 * JavaScript the page is complete as served, with a Refresh link.
 */
export const SCRIPT = `(() => {
  const live = () => document.querySelectorAll("[data-live]");
  if (live().length === 0) return;
  const status = document.getElementById("refreshed");
  // "#refresh=5" in the address refreshes every 5 s instead of every 10.
  const asked = /refresh=(\\d+)/.exec(location.hash);
  const every = asked ? Math.max(1, Number(asked[1])) * 1000 : 10000;
  async function refresh() {
    // A hidden tab costs no Redis commands: it catches up when shown again.
    if (document.hidden) return;
    try {
      const res = await fetch(location.href, { headers: { "x-dashboard-refresh": "1" }, credentials: "same-origin" });
      if (!res.ok) throw new Error(String(res.status));
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      for (const el of live()) {
        const fresh = el.id ? doc.getElementById(el.id) : null;
        if (fresh) el.replaceWith(document.importNode(fresh, true));
      }
      if (status) status.textContent = "updated " + new Date().toLocaleTimeString();
    } catch (e) {
      if (status) status.textContent = "refresh failed (" + e.message + ")";
    }
  }
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
})();`;
