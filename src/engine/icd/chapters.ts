/**
 * Chapters (ICD-10-CM, ICD-9-CM) and sections (ICD-10-PCS): small, stable tables
 * written from the official tabular lists, so a hover can name where a code
 * belongs even before any code set is installed. Blocks (E08-E13) are not
 * here: the order files do not carry them, and a hand-copied table of ~280
 * blocks would be a second, unchecked source of truth.
 */
import type { IcdSystem } from './systems';

export interface Chapter {
  /** "4", "PCS 0", "V" */
  id: string;
  /** "E00-E89", "00", "V01-V91" */
  range: string;
  title: string;
}

type Row = [id: string, first: string, last: string, title: string];

const ICD10CM: Row[] = [
  ['1', 'A00', 'B99', 'Certain infectious and parasitic diseases'],
  ['2', 'C00', 'D49', 'Neoplasms'],
  ['3', 'D50', 'D89', 'Diseases of the blood and blood-forming organs and certain disorders involving the immune mechanism'],
  ['4', 'E00', 'E89', 'Endocrine, nutritional and metabolic diseases'],
  ['5', 'F01', 'F99', 'Mental, behavioral and neurodevelopmental disorders'],
  ['6', 'G00', 'G99', 'Diseases of the nervous system'],
  ['7', 'H00', 'H59', 'Diseases of the eye and adnexa'],
  ['8', 'H60', 'H95', 'Diseases of the ear and mastoid process'],
  ['9', 'I00', 'I99', 'Diseases of the circulatory system'],
  ['10', 'J00', 'J99', 'Diseases of the respiratory system'],
  ['11', 'K00', 'K95', 'Diseases of the digestive system'],
  ['12', 'L00', 'L99', 'Diseases of the skin and subcutaneous tissue'],
  ['13', 'M00', 'M99', 'Diseases of the musculoskeletal system and connective tissue'],
  ['14', 'N00', 'N99', 'Diseases of the genitourinary system'],
  ['15', 'O00', 'O9A', 'Pregnancy, childbirth and the puerperium'],
  ['16', 'P00', 'P96', 'Certain conditions originating in the perinatal period'],
  ['17', 'Q00', 'Q99', 'Congenital malformations, deformations and chromosomal abnormalities'],
  ['18', 'R00', 'R99', 'Symptoms, signs and abnormal clinical and laboratory findings, not elsewhere classified'],
  ['19', 'S00', 'T88', 'Injury, poisoning and certain other consequences of external causes'],
  ['20', 'V00', 'Y99', 'External causes of morbidity'],
  ['21', 'Z00', 'Z99', 'Factors influencing health status and contact with health services'],
  ['22', 'U00', 'U85', 'Codes for special purposes'],
];

const ICD9DX: Row[] = [
  ['1', '001', '139', 'Infectious and parasitic diseases'],
  ['2', '140', '239', 'Neoplasms'],
  ['3', '240', '279', 'Endocrine, nutritional and metabolic diseases, and immunity disorders'],
  ['4', '280', '289', 'Diseases of the blood and blood-forming organs'],
  ['5', '290', '319', 'Mental disorders'],
  ['6', '320', '389', 'Diseases of the nervous system and sense organs'],
  ['7', '390', '459', 'Diseases of the circulatory system'],
  ['8', '460', '519', 'Diseases of the respiratory system'],
  ['9', '520', '579', 'Diseases of the digestive system'],
  ['10', '580', '629', 'Diseases of the genitourinary system'],
  ['11', '630', '679', 'Complications of pregnancy, childbirth, and the puerperium'],
  ['12', '680', '709', 'Diseases of the skin and subcutaneous tissue'],
  ['13', '710', '739', 'Diseases of the musculoskeletal system and connective tissue'],
  ['14', '740', '759', 'Congenital anomalies'],
  ['15', '760', '779', 'Certain conditions originating in the perinatal period'],
  ['16', '780', '799', 'Symptoms, signs, and ill-defined conditions'],
  ['17', '800', '999', 'Injury and poisoning'],
  ['V', 'V01', 'V91', 'Supplementary classification of factors influencing health status and contact with health services'],
  ['E', 'E000', 'E999', 'Supplementary classification of external causes of injury and poisoning'],
];

const ICD9SG: Row[] = [
  ['0', '00', '00', 'Procedures and interventions, not elsewhere classified'],
  ['1', '01', '05', 'Operations on the nervous system'],
  ['2', '06', '07', 'Operations on the endocrine system'],
  ['3', '08', '16', 'Operations on the eye'],
  ['3A', '17', '17', 'Other miscellaneous diagnostic and therapeutic procedures'],
  ['4', '18', '20', 'Operations on the ear'],
  ['5', '21', '29', 'Operations on the nose, mouth, and pharynx'],
  ['6', '30', '34', 'Operations on the respiratory system'],
  ['7', '35', '39', 'Operations on the cardiovascular system'],
  ['8', '40', '41', 'Operations on the hemic and lymphatic system'],
  ['9', '42', '54', 'Operations on the digestive system'],
  ['10', '55', '59', 'Operations on the urinary system'],
  ['11', '60', '64', 'Operations on the male genital organs'],
  ['12', '65', '71', 'Operations on the female genital organs'],
  ['13', '72', '75', 'Obstetrical procedures'],
  ['14', '76', '84', 'Operations on the musculoskeletal system'],
  ['15', '85', '86', 'Operations on the integumentary system'],
  ['16', '87', '99', 'Miscellaneous diagnostic and therapeutic procedures'],
];

/** ICD-10-PCS sections, by the code's first character. */
const PCS_SECTIONS: Record<string, string> = {
  '0': 'Medical and Surgical',
  '1': 'Obstetrics',
  '2': 'Placement',
  '3': 'Administration',
  '4': 'Measurement and Monitoring',
  '5': 'Extracorporeal or Systemic Assistance and Performance',
  '6': 'Extracorporeal or Systemic Therapies',
  '7': 'Osteopathic',
  '8': 'Other Procedures',
  '9': 'Chiropractic',
  B: 'Imaging',
  C: 'Nuclear Medicine',
  D: 'Radiation Therapy',
  F: 'Physical Rehabilitation and Diagnostic Audiology',
  G: 'Mental Health',
  H: 'Substance Abuse Treatment',
  X: 'New Technology',
};

function inRows(rows: Row[], key: string): Chapter | undefined {
  const r = rows.find(([, first, last]) => key.length === first.length && key >= first && key <= last);
  return r ? { id: r[0], range: r[1] === r[2] ? r[1] : `${r[1]}-${r[2]}`, title: r[3] } : undefined;
}

/** The chapter (or PCS section) of an undotted code, if its shape places it in one. */
export function chapterOf(system: IcdSystem, code: string): Chapter | undefined {
  switch (system) {
    case 'icd10cm':
      return inRows(ICD10CM, code.slice(0, 3));
    case 'icd10pcs': {
      const title = PCS_SECTIONS[code[0] ?? ''];
      return title ? { id: code[0]!, range: code[0]!, title } : undefined;
    }
    case 'icd9cm-dx':
      return inRows(ICD9DX, code.slice(0, code.startsWith('E') ? 4 : 3));
    case 'icd9cm-sg':
      return inRows(ICD9SG, code.slice(0, 2));
  }
}

/** "Chapter 4", "Section 0", "Supplementary V" */
export function chapterLabel(system: IcdSystem, c: Chapter): string {
  if (system === 'icd10pcs') return `Section ${c.id}`;
  if (c.id === 'V' || c.id === 'E') return `Supplementary classification ${c.id}`;
  return `Chapter ${c.id}`;
}
