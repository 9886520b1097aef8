import zlib from 'node:zlib';
import { buildDigitalLink, buildElementString } from '@cradle/protocol';
import bwipjs from 'bwip-js';

/** One issued code as the printers need it. */
export interface PrintableCode {
  epc: string;
  gtin: string | null;
  serial: string | null;
  sscc: string | null;
  batch_code: string | null;
}

export type Symbol = 'qr' | 'datamatrix' | 'gs1-128';

/** GS1 Digital Link of a code on the brand's resolver: /01/{gtin}/10/{batch}/21/{serial}, or /00/{sscc}. */
export function digitalLinkOf(c: PrintableCode, origin: string): string {
  const elements: Record<string, string> = c.sscc ? { '00': c.sscc } : { '01': c.gtin!, ...(c.batch_code ? { '10': c.batch_code } : {}), '21': c.serial! };
  const r = buildDigitalLink(elements, { origin });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** GS1 element string in human-readable form, e.g. (01)06923456000012(10)B1(21)Xy3... */
export function hriOf(c: PrintableCode): string {
  const elements: Record<string, string> = c.sscc ? { '00': c.sscc } : { '01': c.gtin!, ...(c.batch_code ? { '10': c.batch_code } : {}), '21': c.serial! };
  const r = buildElementString(elements, { format: 'hri' });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function bwipOptions(c: PrintableCode, symbol: Symbol, origin: string) {
  if (symbol === 'qr') return { bcid: 'qrcode', text: digitalLinkOf(c, origin), eclevel: 'M' };
  if (symbol === 'datamatrix') return { bcid: 'gs1datamatrix', text: hriOf(c) };
  return { bcid: 'gs1-128', text: hriOf(c), height: 12, includetext: true };
}

const esc = (s: string) => s.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A sheet of labels as SVG: each symbol (bwip-js) with its human-readable line under it. */
export function svgSheet(codes: readonly PrintableCode[], symbol: Symbol, origin: string, columns = 6): string {
  const cell = symbol === 'gs1-128' ? { w: 300, h: 120 } : { w: 160, h: 190 };
  const rows = Math.max(1, Math.ceil(codes.length / columns));
  const parts: string[] = [];
  codes.forEach((c, i) => {
    const svg = bwipjs.toSVG(bwipOptions(c, symbol, origin) as Parameters<typeof bwipjs.toSVG>[0]);
    const vb = /viewBox="([^"]+)"/.exec(svg)?.[1] ?? '0 0 100 100';
    const inner = svg.replace(/^[\s\S]*?<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
    const x = (i % columns) * cell.w + 10;
    const y = Math.floor(i / columns) * cell.h + 10;
    const size = symbol === 'gs1-128' ? { w: cell.w - 20, h: 80 } : { w: 140, h: 140 };
    parts.push(`<svg x="${x}" y="${y}" width="${size.w}" height="${size.h}" viewBox="${vb}" preserveAspectRatio="xMidYMid meet">${inner}</svg>`);
    if (symbol !== 'gs1-128') parts.push(`<text x="${x + 70}" y="${y + 160}" font-family="monospace" font-size="7" text-anchor="middle">${esc(hriOf(c))}</text>`);
  });
  const width = columns * cell.w + 20;
  const height = rows * cell.h + 20;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
}

/** A sheet of 2D symbols as a PNG (8-bit greyscale), composited from bwip-js module matrices. */
export function pngSheet(codes: readonly PrintableCode[], symbol: 'qr' | 'datamatrix', origin: string, columns = 6, scale = 4): Buffer {
  const matrices = codes.map((c) => {
    const r = bwipjs.raw(bwipOptions(c, symbol, origin) as Parameters<typeof bwipjs.raw>[0]) as unknown as { pixs: number[]; pixx: number; pixy: number }[];
    return r[0]!;
  });
  const quiet = 4;
  const cellModules = Math.max(...matrices.map((m) => Math.max(m.pixx, m.pixy))) + 2 * quiet;
  const cellPx = cellModules * scale;
  const rows = Math.max(1, Math.ceil(matrices.length / columns));
  const width = Math.min(columns, Math.max(1, matrices.length)) * cellPx;
  const height = rows * cellPx;
  const img = Buffer.alloc(height * (width + 1), 255);
  for (let y = 0; y < height; y++) img[y * (width + 1)] = 0; // PNG filter byte: none
  matrices.forEach((m, i) => {
    const ox = (i % columns) * cellPx + quiet * scale;
    const oy = Math.floor(i / columns) * cellPx + quiet * scale;
    for (let my = 0; my < m.pixy; my++) {
      for (let mx = 0; mx < m.pixx; mx++) {
        if (!m.pixs[my * m.pixx + mx]) continue;
        for (let dy = 0; dy < scale; dy++) {
          const row = (oy + my * scale + dy) * (width + 1) + 1 + ox + mx * scale;
          img.fill(0, row, row + scale);
        }
      }
    }
  });
  return encodePng(width, height, img);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** PNG (ISO/IEC 15948): greyscale, 8 bits, rows already prefixed with their filter byte. */
function encodePng(width: number, height: number, filtered: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(filtered)), chunk('IEND', Buffer.alloc(0))]);
}

/** CSV for line printers: one code per line, RFC 4180 quoting. */
export function csvList(codes: readonly PrintableCode[], origin: string): string {
  const q = (v: string | null) => (v === null ? '' : /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = ['epc,gtin,serial,sscc,batch,digital_link,element_string'];
  for (const c of codes) lines.push([c.epc, c.gtin, c.serial, c.sscc, c.batch_code, digitalLinkOf(c, origin), hriOf(c)].map(q).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
