/**
 * The pages' only stylesheet, inlined into every page under a CSP nonce (no external assets, no
 * inline `style` attributes). Light and dark follow `prefers-color-scheme`; below 720px the job
 * table becomes a list of cards.
 */
export const CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1a1e24;--muted:#5a6472;--card:#fff;--border:#d8dde4;--accent:#1f5fc4;
--info-fg:#1d4f91;--info-bg:#e3eefc;--active-fg:#0b5c73;--active-bg:#dcf3f8;--good-fg:#17663a;--good-bg:#ddf3e4;
--bad-fg:#a61b12;--bad-bg:#fde6e4;--muted-fg:#4d5560;--muted-bg:#eceef1;--neutral-fg:#5b3f96;--neutral-bg:#eee8fa;
--warn-fg:#7a4b00;--warn-bg:#fff1d6;--processed:#1f6fd1;--failed:#d33b3b;--skipped:#c07c00;--total:#7d8794;--grid:#e6e9ee}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--fg:#e4e8ee;--muted:#9aa4b2;--card:#171b21;--border:#2c333d;
--accent:#7fb0ff;--info-fg:#9cc3ff;--info-bg:#17263d;--active-fg:#7fd7ea;--active-bg:#0f2d35;--good-fg:#7fd9a0;
--good-bg:#123023;--bad-fg:#ff9b92;--bad-bg:#3a1614;--muted-fg:#b3bac4;--muted-bg:#252a31;--neutral-fg:#cbb6ff;
--neutral-bg:#261f3a;--warn-fg:#ffcc73;--warn-bg:#35270c;--processed:#5aa2ff;--failed:#ff6b6b;--skipped:#f0b03c;
--total:#8a95a3;--grid:#262c34}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,select:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.site{display:flex;align-items:baseline;gap:1rem;padding:.75rem 1rem;border-bottom:1px solid var(--border);background:var(--card)}
.site .brand{font-weight:700;font-size:1.1rem;color:var(--fg);text-decoration:none}
.site nav a{color:var(--muted)}
main{max-width:1200px;margin:0 auto;padding:1rem}
footer{max-width:1200px;margin:0 auto;padding:1rem;color:var(--muted);font-size:.85rem}
h1{font-size:1.5rem;margin:.25rem 0 .5rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
.muted{color:var(--muted)}
.small{font-size:.85rem}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
.card{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:1rem}
.card>h2:first-child{margin-top:0}
.badge{display:inline-block;padding:.05rem .55rem;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap;
border:1px solid transparent}
.tone-info{color:var(--info-fg);background:var(--info-bg)}
.tone-active{color:var(--active-fg);background:var(--active-bg)}
.tone-good{color:var(--good-fg);background:var(--good-bg)}
.tone-bad{color:var(--bad-fg);background:var(--bad-bg)}
.tone-muted{color:var(--muted-fg);background:var(--muted-bg)}
.tone-neutral{color:var(--neutral-fg);background:var(--neutral-bg)}
.markers{display:inline-flex;flex-wrap:wrap;gap:.3rem;vertical-align:middle}
.marker{display:inline-block;padding:0 .45rem;border-radius:4px;font-size:.75rem;font-weight:600;border:1px solid currentColor}
.marker-stalled,.marker-failing,.marker-rate_limited{color:var(--warn-fg);background:var(--warn-bg)}
.marker-lost,.marker-error{color:var(--bad-fg);background:var(--bad-bg)}
.bar{display:flex;align-items:center;gap:.5rem;min-width:9rem}
progress{flex:1;width:100%;min-width:5rem;height:.6rem;appearance:none;border:0;border-radius:999px;background:var(--muted-bg);overflow:hidden}
progress::-webkit-progress-bar{background:var(--muted-bg);border-radius:999px}
progress::-webkit-progress-value{background:var(--processed);border-radius:999px}
progress::-moz-progress-bar{background:var(--processed);border-radius:999px}
progress.tone-good::-webkit-progress-value{background:var(--good-fg)}
progress.tone-good::-moz-progress-bar{background:var(--good-fg)}
progress.tone-bad::-webkit-progress-value{background:var(--failed)}
progress.tone-bad::-moz-progress-bar{background:var(--failed)}
progress.tone-muted::-webkit-progress-value{background:var(--total)}
progress.tone-muted::-moz-progress-bar{background:var(--total)}
.pct{font-variant-numeric:tabular-nums;min-width:3.2rem;text-align:right}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{padding:.5rem .6rem;border-bottom:1px solid var(--border);text-align:left;vertical-align:middle}
th{white-space:nowrap;font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.table-wrap{overflow-x:auto;border:1px solid var(--border);border-radius:8px}
.table-wrap table{border:0}
.snapshots{min-width:56rem}
.snapshots td.error{min-width:14rem;max-width:22rem;overflow-wrap:anywhere}
.files-summary{font-variant-numeric:tabular-nums}
#files .table-wrap{margin:.5rem 0 1rem}
.files caption{caption-side:top;text-align:left;font-weight:650;padding:.5rem .6rem;border-bottom:1px solid var(--border)}
.files td.error{min-width:16rem;max-width:36rem;overflow-wrap:anywhere}
.file-cell{min-width:12rem;max-width:24rem}
.file-name{display:block;overflow-wrap:anywhere;font-weight:600}
.file-id{display:block;color:var(--muted);font-size:.8rem}
td.progress-cell .bar{min-width:10rem}
.job-id{display:block;color:var(--muted);font-size:.8rem}
.job-cell .markers{margin-top:.2rem}
.job-link{font-weight:600;overflow-wrap:anywhere}
.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;margin:.5rem 0 1rem}
.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted);gap:.15rem}
select,button{font:inherit;padding:.3rem .5rem;border:1px solid var(--border);border-radius:6px;background:var(--card);color:var(--fg)}
button{cursor:pointer;background:var(--accent);color:var(--card);border-color:var(--accent);font-weight:600}
.pager{display:flex;gap:1rem;margin:1rem 0}
.empty{padding:2rem 1rem;text-align:center;color:var(--muted)}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:1rem}
.headline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.big-bar{display:flex;align-items:center;gap:.75rem;margin:.5rem 0}
.big-bar progress{height:1rem}
.big-bar .pct{font-size:1.4rem;font-weight:700}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.counts{display:grid;grid-template-columns:repeat(4,1fr);gap:.5rem;margin:.5rem 0 0}
.counts div{border:1px solid var(--border);border-radius:6px;padding:.4rem .6rem}
.counts dt{font-size:.75rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.counts dd{margin:0;font-size:1.15rem;font-weight:650;font-variant-numeric:tabular-nums}
.eta{font-size:1.05rem}
figure{margin:0}
.chart svg{display:block;width:100%;overflow:visible}
.chart .grid{stroke:var(--grid);stroke-width:1}
.chart .axis{stroke:var(--muted);stroke-width:1}
.chart text{fill:var(--muted);font-size:12px;font-family:system-ui,sans-serif;font-variant-numeric:tabular-nums;
paint-order:stroke;stroke:var(--card);stroke-width:3px;stroke-linejoin:round}
.chart .line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round;vector-effect:non-scaling-stroke}
.chart .line.dot{stroke-width:8}
.s-processed{stroke:var(--processed)}
.s-failed{stroke:var(--failed)}
.s-skipped{stroke:var(--skipped)}
.s-total{stroke:var(--total);stroke-dasharray:5 4}
.legend{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0;margin:.5rem 0 0;font-size:.85rem}
.legend li{display:flex;align-items:center;gap:.35rem}
.swatch{display:inline-block;width:1.1rem;height:0;border-top:3px solid}
.swatch.k-processed{border-color:var(--processed)}
.swatch.k-failed{border-color:var(--failed)}
.swatch.k-skipped{border-color:var(--skipped)}
.swatch.k-total{border-color:var(--total);border-top-style:dashed}
ol.timeline{list-style:none;margin:0;padding:0 0 0 .4rem;border-left:2px solid var(--border)}
ol.timeline li{position:relative;padding:.2rem 0 .6rem 1rem}
ol.timeline li::before{content:"";position:absolute;left:-.45rem;top:.55rem;width:.7rem;height:.7rem;border-radius:50%;
background:var(--card);border:2px solid var(--muted)}
ol.timeline li.current::before{background:var(--accent);border-color:var(--accent)}
.notice{border-left:4px solid var(--warn-fg);background:var(--warn-bg);color:var(--fg);padding:.6rem .8rem;border-radius:4px;margin:.75rem 0}
.notice.bad{border-color:var(--bad-fg);background:var(--bad-bg)}
details summary{cursor:pointer;color:var(--accent)}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:720px){
main{padding:.75rem}
table.jobs,table.jobs tbody{display:block;width:100%;background:transparent}
table.jobs thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.jobs tr{display:grid;grid-template-columns:repeat(4,1fr);gap:.35rem .5rem;align-items:center;background:var(--card);
border:1px solid var(--border);border-radius:8px;margin:0 0 .75rem;padding:.6rem .75rem}
table.jobs td{display:block;border:0;padding:0;min-width:0}
table.jobs td.job-cell{grid-row:1;grid-column:1/-1}
table.jobs td.status-cell{grid-row:2;grid-column:1/span 2}
table.jobs td.poll-cell{grid-row:2;grid-column:3/span 2;text-align:right;color:var(--muted);font-size:.85rem}
table.jobs td.poll-cell::before{content:"polled "}
table.jobs td.progress-cell{grid-row:3;grid-column:1/-1}
table.jobs td.progress-cell .bar{min-width:0}
table.jobs td.num{grid-row:4;text-align:left}
table.jobs td.num::before{content:attr(data-label);display:block;color:var(--muted);font-size:.7rem;text-transform:uppercase;letter-spacing:.03em}
.table-wrap.cards{border:0;overflow:visible}
.counts{grid-template-columns:repeat(2,1fr)}
.chart text.minor{display:none}
table.files,table.files tbody{display:block;width:100%}
table.files caption{display:block}
table.files thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.files tr{display:flex;flex-wrap:wrap;align-items:center;gap:.3rem .75rem;padding:.6rem .75rem;border-bottom:1px solid var(--border)}
table.files td{display:block;border:0;padding:0;min-width:0;max-width:none}
table.files td.file-cell{flex-basis:100%}
table.files td.status-cell{order:1}
table.files td.updated-cell{order:2;font-size:.85rem;color:var(--muted)}
table.files td.updated-cell::before{content:"updated "}
table.files td.error{order:3;flex-basis:100%}
table.files td.child-cell{order:4;flex-basis:100%;font-size:.85rem;color:var(--muted)}
table.files td.child-cell::before{content:"child job "}
}
`;

/** A data: URI favicon (allowed by `img-src data:`), so browsers do not ask for /favicon.ico. */
export const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%231f5fc4'/%3E%3Cpath d='M3 11l3-4 3 2 4-5' stroke='white' stroke-width='2' fill='none'/%3E%3C/svg%3E";
