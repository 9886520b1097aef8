/** Regenerates protocol/src/gs1/ai-table.generated.ts from the vendored GS1 Barcode Syntax Dictionary. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAiTable } from './ai-table-codegen';

const root = join(__dirname, '..');
const text = readFileSync(join(root, 'vendor/gs1-syntax-dictionary/gs1-syntax-dictionary.txt'), 'utf8');
writeFileSync(join(root, 'src/gs1/ai-table.generated.ts'), renderAiTable(text));
