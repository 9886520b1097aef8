// Types for the CommonJS builds we use: kdbush@3 (UMD) and geokdbush@1 (its own typings are for v2, ESM-only).
declare module 'kdbush' {
  class KDBush<T> {
    constructor(points: readonly T[], getX: (p: T) => number, getY: (p: T) => number, nodeSize?: number, arrayType?: Float64ArrayConstructor);
    range(minX: number, minY: number, maxX: number, maxY: number): number[];
    within(x: number, y: number, r: number): number[];
  }
  export = KDBush;
}

declare module 'geokdbush' {
  import type KDBush = require('kdbush');
  /** Points nearest to (lng, lat) by great-circle distance, nearest first; maxDistance in km. */
  export function around<T>(index: KDBush<T>, lng: number, lat: number, maxResults?: number, maxDistance?: number, predicate?: (p: T) => boolean): T[];
  /** Great-circle distance in km. */
  export function distance(lng1: number, lat1: number, lng2: number, lat2: number): number;
}
