import type { ConsumerTrace, Stage } from './trace';

export type Lang = 'zh' | 'en';

const T = {
  zh: {
    title: '溯源查询', genuine: '正品验证', product: '产品', batch: '批次', produced: '生产日期', expiry: '保质期至', chain: '全链路溯源',
    recalled: '该批次已召回，请停止食用并联系客服。', held: '该批次暂停销售，正在复核。',
    first: '首次查询：这是正品，您是第一位查询此码的人。', repeat: (n: number) => `此码此前已被查询 ${n} 次。如非本人查询，请留意。`,
    caution: (n: number, p: number) => `此码已被查询 ${n} 次${p > 1 ? `，涉及 ${p} 个省份` : ''}。请核对包装并谨慎购买。`,
    suspicious: (n: number, p: number) => `警告：此码已被查询 ${n} 次${p > 0 ? `，分布在 ${p} 个省份` : ''}，可能是仿冒码。请联系客服。`,
    stage: { farm: '牧场奶源', factory: '工厂生产', sterilisation: '杀菌', qc: '质检报告', warehouse: '仓库发货', dealer: '授权经销商', store: '门店', sold: '售出' } as Record<Stage, string>,
    pass: '合格', fail: '不合格', report: '查看报告', share: '提供我的位置（用于防窜货）', shared: '已记录，谢谢！', switchTo: 'English',
    notGenuine: '此码不是正品码', notGenuineBody: '系统中没有这个码：它不是本品牌发出的溯源码，可能是仿冒品。请勿食用，并联系客服 400-000-0000。',
    notActivated: '此码尚未激活', notActivatedBody: '这个码还没有在生产线上使用过，正品不会出现这种情况。请联系客服核实。',
    badLink: '链接无效', sterilised: '杀菌温度',
  },
  en: {
    title: 'Product trace', genuine: 'Authenticity', product: 'Product', batch: 'Batch', produced: 'Produced', expiry: 'Best before', chain: 'From farm to you',
    recalled: 'This batch has been RECALLED. Stop using it and contact customer service.', held: 'This batch is on hold while it is re-checked.',
    first: 'First check: this is genuine, and you are the first to check this code.', repeat: (n: number) => `This code was checked ${n} time(s) before. If that was not you, take care.`,
    caution: (n: number, p: number) => `This code was checked ${n} times${p > 1 ? ` in ${p} provinces` : ''}. Check the pack and buy with care.`,
    suspicious: (n: number, p: number) => `Warning: this code was checked ${n} times${p > 0 ? ` in ${p} provinces` : ''}: it may be a copy. Contact customer service.`,
    stage: { farm: 'Farm milk', factory: 'Made at', sterilisation: 'Sterilisation', qc: 'QC report', warehouse: 'Shipped from', dealer: 'Authorised dealer', store: 'Store', sold: 'Sold' } as Record<Stage, string>,
    pass: 'passed', fail: 'failed', report: 'View report', share: 'Share my location (helps stop grey market)', shared: 'Recorded, thank you!', switchTo: '中文',
    notGenuine: 'This code is not genuine', notGenuineBody: 'This code was never issued by the brand: the product may be counterfeit. Do not use it; call customer service 400-000-0000.',
    notActivated: 'This code was never activated', notActivatedBody: 'This code was never used on a production line, which never happens to a genuine can. Please contact customer service.',
    badLink: 'Invalid link', sterilised: 'Sterilisation temperature',
  },
};

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '');

const STYLE = `body{margin:0;font:15px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:#222;background:#f6f6f4}
main{max-width:30em;margin:auto;padding:12px}h1{font-size:20px;margin:4px 0 12px}h2{font-size:16px;margin:0 0 6px}
section{background:#fff;border-radius:8px;padding:12px;margin:0 0 10px}.ok{border-left:5px solid #2a8a3a}.warn{border-left:5px solid #c77700}
.bad,.recall{border-left:5px solid #c00}.recall{background:#c00;color:#fff;font-weight:bold}dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:2px 12px}
dt{color:#666}ol{margin:0;padding-left:18px}li{margin:4px 0}small{color:#666}a{color:#0b5cad}button{font:inherit;padding:6px 10px}
nav{text-align:right;font-size:13px}`;

function shell(lang: Lang, title: string, body: string, switchHref: string): string {
  return `<!doctype html><html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body><main><nav><a href="${esc(switchHref)}">${T[lang].switchTo}</a></nav>${body}</main></body></html>`;
}

/** The consumer trace page: mobile first, no scripts but the optional location button, no external resources. */
export function tracePage(t: ConsumerTrace, lang: Lang, links: { switchLang: string; qc: (id: string) => string; locate: string }): string {
  const L = T[lang];
  const a = t.authenticity;
  const verdictClass = a.verdict === 'first' || a.verdict === 'repeat' ? 'ok' : a.verdict === 'caution' ? 'warn' : 'bad';
  const verdict = a.verdict === 'first' ? L.first : a.verdict === 'repeat' ? L.repeat(a.previousQueries) : a.verdict === 'caution' ? L.caution(a.previousQueries, a.provinces) : L.suspicious(a.previousQueries, a.provinces);
  const name = lang === 'en' && t.product.nameEn ? t.product.nameEn : t.product.name;
  const parts: string[] = [];
  if (t.batch?.recalled) parts.push(`<section class="recall" role="alert">${L.recalled}</section>`);
  else if (t.batch?.held) parts.push(`<section class="warn" role="alert">${L.held}</section>`);
  parts.push(`<h1>${esc(name)}</h1>`);
  parts.push(`<section class="${verdictClass}"><h2>${L.genuine}</h2><p>${esc(verdict)}</p></section>`);
  parts.push(`<section><dl><dt>${L.batch}</dt><dd>${esc(t.code.batch ?? '')}</dd><dt>${L.produced}</dt><dd>${day(t.batch?.productionDate ?? null)}</dd><dt>${L.expiry}</dt><dd>${day(t.batch?.expiryDate ?? null)}</dd></dl></section>`);
  const steps = t.chain.map((s) => {
    let detail = s.detail ? esc(s.detail) : '';
    if (s.stage === 'qc') {
      const r = t.qcReports.find((q) => q.at === s.at);
      detail = `${s.detail === 'pass' ? L.pass : L.fail}${r ? ` · <a href="${esc(links.qc(r.id))}">${L.report}</a>` : ''}`;
    }
    if (s.stage === 'sterilisation' && s.detail) detail = `${L.sterilised} ${esc(s.detail)}`;
    return `<li><b>${L.stage[s.stage]}</b>${s.place ? ` ${esc(s.place)}` : ''}${detail ? ` <small>${detail}</small>` : ''}${s.at ? ` <small>${day(s.at)}</small>` : ''}</li>`;
  });
  parts.push(`<section><h2>${L.chain}</h2><ol>${steps.join('')}</ol></section>`);
  if (t.queryId) {
    // Location only when the consumer taps: it feeds the diversion rules; nothing is asked on load.
    parts.push(`<section><button id="loc">${L.share}</button><script>document.getElementById('loc').onclick=function(){var b=this;navigator.geolocation&&navigator.geolocation.getCurrentPosition(function(p){fetch(${JSON.stringify(links.locate)},{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({queryId:${JSON.stringify(t.queryId)},lat:p.coords.latitude,lng:p.coords.longitude})}).then(function(){b.textContent=${JSON.stringify(L.shared)};b.disabled=true})})}</script></section>`);
  }
  return shell(lang, `${L.title} · ${name}`, parts.join(''), links.switchLang);
}

/** The "not genuine" page of the resolver (404): says clearly what it means and what to do. */
export function notGenuinePage(lang: Lang, reason: 'not_issued' | 'not_activated' | 'batch_mismatch' | 'bad_link', detail: string | null, switchHref: string): string {
  const L = T[lang];
  const title = reason === 'not_activated' ? L.notActivated : reason === 'bad_link' ? L.badLink : L.notGenuine;
  const body = reason === 'not_activated' ? L.notActivatedBody : L.notGenuineBody;
  return shell(lang, title, `<section class="bad" role="alert"><h1>${esc(title)}</h1><p>${esc(body)}</p>${detail ? `<p><small>${esc(detail)}</small></p>` : ''}</section>`, switchHref);
}
