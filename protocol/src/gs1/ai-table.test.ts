import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAiTable } from '../../scripts/ai-table-codegen';
import { aiAt, aiSpec, knownAis } from './ai-table';

describe('the AI table generated from the GS1 Barcode Syntax Dictionary', () => {
  it('is current with the vendored dictionary', () => {
    const root = join(__dirname, '../..');
    const dictionary = readFileSync(join(root, 'vendor/gs1-syntax-dictionary/gs1-syntax-dictionary.txt'), 'utf8');
    expect(readFileSync(join(root, 'src/gs1/ai-table.generated.ts'), 'utf8')).toBe(renderAiTable(dictionary));
  });

  it('has the formats the brand relies on', () => {
    const fmt = (ai: string) => {
      const s = aiSpec(ai);
      return s && { fixed: s.predefinedLength, comps: s.components.map((c) => `${c.cset}${c.min}-${c.max}${c.linters.length ? `,${c.linters.join(',')}` : ''}`) };
    };
    expect(fmt('00')).toEqual({ fixed: true, comps: ['N18-18,csum,gcppos2'] });
    expect(fmt('01')).toEqual({ fixed: true, comps: ['N14-14,csum,gcppos2'] });
    expect(fmt('02')).toEqual({ fixed: true, comps: ['N14-14,csum,gcppos2'] });
    expect(fmt('10')).toEqual({ fixed: false, comps: ['X1-20'] });
    expect(fmt('11')).toEqual({ fixed: true, comps: ['N6-6,yymmd0'] });
    expect(fmt('13')?.comps).toEqual(['N6-6,yymmd0']);
    expect(fmt('15')?.comps).toEqual(['N6-6,yymmd0']);
    expect(fmt('17')?.comps).toEqual(['N6-6,yymmd0']);
    expect(fmt('21')).toEqual({ fixed: false, comps: ['X1-20'] });
    expect(fmt('37')).toEqual({ fixed: false, comps: ['N1-8'] });
    expect(fmt('240')?.comps).toEqual(['X1-30']);
    expect(fmt('400')?.comps).toEqual(['X1-30']);
    expect(fmt('414')).toEqual({ fixed: true, comps: ['N13-13,csum,gcppos1'] });
    expect(fmt('8006')).toEqual({ fixed: false, comps: ['N14-14,csum,gcppos2', 'N4-4,pieceoftotal'] });
    expect(fmt('8018')).toEqual({ fixed: false, comps: ['N18-18,csum,gcppos1'] });
    expect(aiSpec('3103')?.title).toBe('NET WEIGHT (kg)');
    expect(aiSpec('3106')).toBeUndefined();
    expect(aiSpec('01')?.dlPrimaryKey).toEqual([['22', '10', '21'], ['235']]);
  });

  it('has one AI length per two-digit prefix, as GS1 guarantees and aiAt relies on', () => {
    const lengths = new Map<string, Set<number>>();
    for (const ai of knownAis()) lengths.set(ai.slice(0, 2), (lengths.get(ai.slice(0, 2)) ?? new Set()).add(ai.length));
    expect([...lengths].filter(([, l]) => l.size > 1)).toEqual([]);
  });

  it('finds the AI at a position whatever its length', () => {
    expect(aiAt('x0109506000134352', 1)?.ai).toBe('01');
    expect(aiAt('2401234', 0)?.ai).toBe('240');
    expect(aiAt('8006123', 0)?.ai).toBe('8006');
    expect(aiAt('2300', 0)).toBeUndefined();
  });
});
