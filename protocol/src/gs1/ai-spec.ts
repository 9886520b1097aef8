/** One component of an AI's data field, as GS1's Barcode Syntax Dictionary describes it. */
export interface AiComponentSpec {
  /** N: digits; X: GS1 AI encodable character set 82; Y: character set 39; Z: base64url. */
  readonly cset: 'N' | 'X' | 'Y' | 'Z';
  readonly min: number;
  readonly max: number;
  readonly optional: boolean;
  /** Names of GS1's reference linters applied to this component (csum, yymmd0, ...). */
  readonly linters: readonly string[];
}

/** An Application Identifier: data format and the rules the Syntax Dictionary attaches to it. */
export interface AiSpec {
  readonly ai: string;
  /** Listed in GS1's table of predefined-length AIs: never needs an FNC1 separator after it. */
  readonly predefinedLength: boolean;
  /** May be a GS1 Digital Link data attribute (query parameter). */
  readonly dlDataAttribute: boolean;
  readonly components: readonly AiComponentSpec[];
  /** Each entry must be satisfied: one of its alternatives (an AND-list of AIs or nn-patterns) must be present. */
  readonly req: readonly (readonly (readonly string[])[])[];
  /** AIs (or nn-patterns) that must not appear with this one. */
  readonly ex: readonly string[];
  /** Digital Link primary key: its alternative qualifier sequences; null when not a primary key. */
  readonly dlPrimaryKey: readonly (readonly string[])[] | null;
  readonly title: string;
}
