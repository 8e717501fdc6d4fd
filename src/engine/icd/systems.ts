/**
 * The four code systems and how clinicians write their codes. Codes are stored
 * undotted and upper case (the way CMS files list them); the dot is display only.
 */
export type IcdSystem = 'icd10cm' | 'icd10pcs' | 'icd9cm-dx' | 'icd9cm-sg';

export const ALL_SYSTEMS: readonly IcdSystem[] = ['icd10cm', 'icd10pcs', 'icd9cm-dx', 'icd9cm-sg'];

export const SYSTEM_NAMES: Record<IcdSystem, string> = {
  icd10cm: 'ICD-10-CM',
  icd10pcs: 'ICD-10-PCS',
  'icd9cm-dx': 'ICD-9-CM diagnosis',
  'icd9cm-sg': 'ICD-9-CM procedure',
};

/** Undotted shapes of valid codes (headers included), per system. */
const SHAPES: Record<IcdSystem, RegExp> = {
  icd10cm: /^[A-Z][0-9][0-9A-Z]{1,5}$/,
  // no letters I or O in PCS; the order file's headers are the 3-character tables
  icd10pcs: /^[0-9A-HJ-NP-Z]{3}(?:[0-9A-HJ-NP-Z]{4})?$/,
  'icd9cm-dx': /^(?:[0-9]{3,5}|V[0-9]{2,4}|E[0-9]{3,4})$/,
  'icd9cm-sg': /^[0-9]{2,4}$/,
};

export function hasShape(system: IcdSystem, code: string): boolean {
  return SHAPES[system].test(code);
}

/** "e11.9 " -> "E119": what users type, in the stored form. */
export function normalizeCode(input: string): string {
  return input.replace(/[\s.]/g, '').toUpperCase();
}

/**
 * E119 -> E11.9, S72001A -> S72.001A; ICD-9 diagnoses 25000 -> 250.00,
 * V4581 -> V45.81, E8497 -> E849.7; ICD-9 procedures 0001 -> 00.01; PCS has no dot.
 */
export function displayCode(system: IcdSystem, code: string): string {
  const at = dotPosition(system, code);
  return at > 0 && code.length > at ? `${code.slice(0, at)}.${code.slice(at)}` : code;
}

function dotPosition(system: IcdSystem, code: string): number {
  switch (system) {
    case 'icd10cm':
      return 3;
    case 'icd10pcs':
      return 0;
    case 'icd9cm-dx':
      return code.startsWith('E') ? 4 : 3;
    case 'icd9cm-sg':
      return 2;
  }
}

/** Systems whose dotted form matches `written` (e.g. "250.00" can only be ICD-9-CM diagnosis). */
export function systemsForWritten(written: string): IcdSystem[] {
  const upper = written.toUpperCase();
  const dot = upper.indexOf('.');
  const code = upper.replace('.', '');
  return ALL_SYSTEMS.filter((s) => hasShape(s, code) && (dot < 0 ? s !== 'icd10pcs' || code.length === 7 : dotPosition(s, code) === dot));
}
