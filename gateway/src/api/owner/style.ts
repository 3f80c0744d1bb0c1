import { createHash } from 'node:crypto';

/** The page's one style sheet, inline; the CSP allows exactly this text by its hash. */
export const STYLE = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#1c2230;--muted:#687083;--line:#e4e7ec;--ok:#1d8a55;--warn:#b26a00;--bad:#c62f2f;
--down:#2f6fde;--up:#9dc1f6;--metered:#f0a23b;--paid:#1d8a55;--zero:#8e6fd8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1160px;margin:0 auto;padding:20px 20px 40px}
h1{font-size:26px;margin:0 0 2px}
h2{font-size:19px;margin:28px 0 8px;display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}
header p{margin:0}
a{color:var(--down)}
.lead{max-width:75ch;font-size:16px}
.muted{color:var(--muted)}.small{font-size:13px}.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}
.switch{font-size:14px;font-weight:400}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px;margin:16px 0 8px}
.tile,figure,table{background:var(--card);border:1px solid var(--line);border-radius:10px}
.tile{padding:12px 16px;color:var(--muted)}
.big{font-size:28px;font-weight:650;color:var(--ink);line-height:1.2}
.of{font-size:16px;font-weight:400;color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:12px}
figure{margin:0;padding:12px 14px 8px}
figcaption{font-weight:600;margin-bottom:4px}
figcaption .muted{font-weight:400;font-size:13px;display:block}
svg.chart{display:block;width:100%;height:auto}
svg .grid{stroke:var(--line);stroke-width:1}
svg .axis{stroke:#9aa3b2;stroke-width:1}
svg .tick{font-size:11px;fill:var(--muted)}
svg .down{fill:var(--down)}svg .up{fill:var(--up)}svg .metered{fill:var(--metered)}svg .paid{fill:var(--paid)}svg .zero{fill:var(--zero)}
.legend{list-style:none;padding:0;margin:4px 0 0;display:flex;gap:16px;font-size:13px;color:var(--muted)}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.sw.down{background:var(--down)}.sw.up{background:var(--up)}.sw.metered{background:var(--metered)}.sw.paid{background:var(--paid)}.sw.zero{background:var(--zero)}
table{width:100%;border-collapse:separate;border-spacing:0;overflow:hidden}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;background:#fafbfc}
th,td{padding:9px 12px;border-bottom:1px solid var(--line);vertical-align:top}
tbody tr:last-child td{border-bottom:0}
td.num{text-align:right;white-space:nowrap}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code.hash{word-break:break-all;display:inline-block;width:33ch}
.nowrap{white-space:nowrap}
code.addr{word-break:break-all}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}
.dot.on{background:var(--ok)}.dot.off{background:#b4bac6}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:13px;font-weight:600;background:#eef0f3}
.badge.ok{background:#e3f4ea}.badge.warn{background:#fdf0dc}.badge.bad{background:#fbe5e5}
.problems{margin:0;padding-left:18px;font-size:13px}
.empty{background:var(--card);border:1px dashed var(--line);border-radius:10px;padding:16px;color:var(--muted)}
.owners{padding-left:18px}
footer{margin-top:28px}
@media (max-width:760px){
main{padding:14px 12px 32px}
h1{font-size:22px}
.tiles{grid-template-columns:1fr 1fr;gap:8px}
.tile{padding:10px 12px;font-size:14px}
.big{font-size:23px}
table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
table.cards{background:none;border:0}
table.cards thead{display:none}
table.cards tr{background:var(--card);border:1px solid var(--line);border-radius:10px;margin-bottom:10px;padding:4px 0}
table.cards td{border:0;padding:5px 12px;display:flex;gap:12px;justify-content:space-between;text-align:right}
table.cards td::before{content:attr(data-label);color:var(--muted);font-size:13px;text-align:left;flex:none}
table.cards td>div{min-width:0}
code.hash{width:auto}
.problems{text-align:left}
}
`;

export const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;

/** Nothing but this page's own style: no script, no outside request, no framing. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src '${STYLE_HASH}'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
