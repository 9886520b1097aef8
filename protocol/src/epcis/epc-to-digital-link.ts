import { setBounded } from '../bounded-map';
import { gs1CheckDigit } from '../gs1/check-digit';
import { GS1_CANONICAL_ORIGIN, encodeDigitalLinkValue, parseDigitalLink } from '../digital-link/digital-link';

// Module-level helpers, not closures: this runs for every EPC of every hashed event, and under tsx (esbuild
// keepNames) each closure is named again on every call.
const dl = (path: string) => `${GS1_CANONICAL_ORIGIN}${path}`;
const withCheck = (digits: string) => digits + gs1CheckDigit(digits);
function enc(s: string): string | undefined {
  try {
    return encodeDigitalLinkValue(decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/**
 * EPC URI → canonical GS1 Digital Link (EPC Tag Data Standard 2.0 §7 / CBV 2.0 §8.9 rule 17), for the schemes that
 * carry GS1 keys. Returns undefined for anything else (left as-is by the event hash).
 */
export function epcUriToCanonicalDigitalLink(uri: string): string | undefined {
  return uri.startsWith(SGTIN_URN) ? sgtinToCanonicalDigitalLink(uri) : anyEpcUriToCanonicalDigitalLink(uri);
}

const SGTIN_URN = 'urn:epc:id:sgtin:';
/** A serial that encodeURIComponent and decodeURIComponent both leave as it is (the usual case). */
const PLAIN_SERIAL = /^[A-Za-z0-9._~-]+$/;
const SGTIN_PREFIX_LIMIT = 4096;
/** "{companyPrefix}.{itemRef}" of recent SGTINs → "https://id.gs1.org/01/{gtin}/21/" (null: not a valid GTIN part). */
const sgtinPrefixes = new Map<string, string | null>();

/**
 * An SGTIN, the EPC of every serialised can, the way the general conversion would: the GTIN part (which the cans of a
 * line share) is converted once and remembered, and a plain serial is appended as it is. Every ingested scan's event
 * is hashed through here, and the general path's regular expressions, split and re-encoding showed in its profile.
 */
function sgtinToCanonicalDigitalLink(uri: string): string | undefined {
  const dot1 = uri.indexOf('.', SGTIN_URN.length);
  const dot2 = dot1 < 0 ? -1 : uri.indexOf('.', dot1 + 1);
  const serial = dot2 < 0 ? '' : uri.slice(dot2 + 1);
  if (!PLAIN_SERIAL.test(serial)) return anyEpcUriToCanonicalDigitalLink(uri);
  const gtinPart = uri.slice(SGTIN_URN.length, dot2);
  let prefix = sgtinPrefixes.get(gtinPart);
  if (prefix === undefined) {
    const probe = anyEpcUriToCanonicalDigitalLink(`${SGTIN_URN}${gtinPart}.0`);
    prefix = probe === undefined ? null : probe.slice(0, -1);
    setBounded(sgtinPrefixes, SGTIN_PREFIX_LIMIT, gtinPart, prefix);
  }
  return prefix === null ? undefined : prefix + serial;
}

/** The general conversion, every scheme (exported for the test that holds the SGTIN path to it). */
export function anyEpcUriToCanonicalDigitalLink(uri: string): string | undefined {
  const m = /^urn:epc:(id|class|idpat):([a-z]+):(.*)$/.exec(uri);
  if (!m) return undefined;
  const [, kind, scheme, body = ''] = m;
  const parts = body.split('.');
  const [cp = '', ref = '', rest] = [parts[0], parts[1], parts.length > 2 ? parts.slice(2).join('.') : undefined];
  if (!/^\d+$/.test(cp)) return undefined;
  switch (`${kind}:${scheme}`) {
    case 'id:sgtin':
    case 'class:lgtin':
    case 'idpat:sgtin': {
      if (!/^\d+$/.test(ref) || cp.length + ref.length !== 13) return undefined;
      const gtin = withCheck(ref[0] + cp + ref.slice(1));
      if (kind === 'idpat' || rest === undefined || rest === '*') return dl(`/01/${gtin}`);
      const v = enc(rest);
      return v === undefined ? undefined : dl(`/01/${gtin}/${scheme === 'lgtin' ? '10' : '21'}/${v}`);
    }
    case 'id:sscc':
      return /^\d+$/.test(ref) && cp.length + ref.length === 17 ? dl(`/00/${withCheck(ref[0] + cp + ref.slice(1))}`) : undefined;
    case 'id:sgln': {
      if (!/^\d*$/.test(ref) || cp.length + ref.length !== 12 || rest === undefined) return undefined;
      const gln = withCheck(cp + ref);
      const ext = enc(rest);
      return ext === undefined ? undefined : dl(rest === '0' ? `/414/${gln}` : `/414/${gln}/254/${ext}`);
    }
    case 'id:pgln':
      return cp.length + ref.length === 12 ? dl(`/417/${withCheck(cp + ref)}`) : undefined;
    case 'id:grai': {
      if (cp.length + ref.length !== 12 || rest === undefined) return undefined;
      const v = enc(rest);
      return v === undefined ? undefined : dl(`/8003/0${withCheck(cp + ref)}${v}`);
    }
    case 'id:giai': {
      const v = enc(ref);
      return v === undefined ? undefined : dl(`/8004/${cp}${v}`);
    }
    case 'id:gsrn':
    case 'id:gsrnp':
      return cp.length + ref.length === 17 ? dl(`/${scheme === 'gsrn' ? '8018' : '8017'}/${withCheck(cp + ref)}`) : undefined;
    case 'id:gdti': {
      if (cp.length + ref.length !== 12 || rest === undefined) return undefined;
      const v = enc(rest);
      return v === undefined ? undefined : dl(`/253/${withCheck(cp + ref)}${v}`);
    }
    default:
      return undefined;
  }
}

/** Most fine-grained keys and qualifiers kept in the event hash's constrained canonical Digital Link (CBV 2.0 §8.9 rule 18). */
const FINEST: readonly (readonly string[])[] = [['01', '21'], ['01', '10'], ['01', '235'], ['414', '254'], ['8006', '21'], ['8006', '10'], ['8010', '8011']];

/** A Digital Link URI reduced to https://id.gs1.org, no query, finest identification only; undefined if not one. */
export function constrainedCanonicalDigitalLink(uri: string): string | undefined {
  const parsed = parseDigitalLink(uri, { checkAssociations: false });
  if (!parsed.ok) return undefined;
  const { primaryKey, qualifiers } = parsed.value;
  const keep = FINEST.find(([key, q]) => key === primaryKey.ai && qualifiers.some((x) => x.ai === q));
  let path = `/${primaryKey.ai}/${encodeDigitalLinkValue(primaryKey.value)}`;
  const qual = keep && qualifiers.find((x) => x.ai === keep[1]);
  if (qual) path += `/${qual.ai}/${encodeDigitalLinkValue(qual.value)}`;
  return GS1_CANONICAL_ORIGIN + path;
}
