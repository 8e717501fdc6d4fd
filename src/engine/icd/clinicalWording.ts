/**
 * How clinicians write a diagnosis, and how the code sets word it: "breast
 * cancer" is "Malignant neoplasm of breast", "HTN" is "hypertension". The
 * words ranker of ICD suggestions adds the code sets' wording to the
 * phrase, so a phrase as written finds its codes' descriptions.
 *
 * Written for this project (no library holds this mapping from clinical
 * shorthand to the CMS descriptions' vocabulary; UMLS does, under a licence
 * the extension cannot ship). Only abbreviations with one clinical meaning
 * are listed; "CP" (chest pain or cerebral palsy), "PE", "MS", "RA", "HA" are
 * not. Abbreviations match in capitals only ("MI", not "mi" for miles);
 * words in any case.
 */

/** capitals as written -> the code sets' words */
const ABBREVIATIONS: Record<string, string> = {
  ADHD: 'attention deficit hyperactivity disorder',
  AFIB: 'atrial fibrillation',
  AKI: 'acute kidney failure',
  ARDS: 'acute respiratory distress syndrome',
  BPH: 'benign prostatic hyperplasia',
  CABG: 'coronary artery bypass graft',
  CAD: 'coronary atherosclerosis artery disease',
  CHF: 'congestive heart failure',
  CKD: 'chronic kidney disease',
  COPD: 'chronic obstructive pulmonary disease airway obstruction',
  CVA: 'cerebral infarction stroke',
  DKA: 'diabetes ketoacidosis',
  DM: 'diabetes mellitus',
  DM2: 'type 2 diabetes mellitus',
  T2DM: 'type 2 diabetes mellitus',
  T1DM: 'type 1 diabetes mellitus',
  DVT: 'deep vein thrombosis embolism',
  ESRD: 'end stage renal disease',
  GERD: 'gastro-esophageal reflux disease',
  GI: 'gastrointestinal',
  HLD: 'hyperlipidemia',
  HTN: 'hypertension',
  IBS: 'irritable bowel syndrome',
  MDD: 'major depressive disorder',
  MI: 'myocardial infarction',
  NSTEMI: 'non-ST elevation myocardial infarction',
  OSA: 'obstructive sleep apnea',
  PNA: 'pneumonia',
  PTSD: 'posttraumatic stress disorder',
  PVD: 'peripheral vascular disease',
  SOB: 'shortness of breath',
  STEMI: 'ST elevation myocardial infarction',
  TB: 'tuberculosis',
  TIA: 'transient cerebral ischemia',
  URI: 'upper respiratory infection',
  UTI: 'urinary tract infection',
};

/** a word in any case -> the code sets' words for it */
const SYNONYMS: Record<string, string> = {
  cancer: 'malignant neoplasm',
  cancers: 'malignant neoplasm',
  carcinoma: 'malignant neoplasm',
  malignancy: 'malignant neoplasm',
  tumor: 'neoplasm',
  tumour: 'neoplasm',
  kidney: 'renal',
  renal: 'kidney',
  insufficiency: 'failure disease',
  stroke: 'cerebral infarction',
  dyspnea: 'shortness of breath',
  hyperlipidaemia: 'hyperlipidemia',
  afib: 'atrial fibrillation',
};

const WORD = /[\p{L}\p{N}]+/gu;

/** The phrase with the code sets' wording for its shorthand and synonyms appended ("HTN" -> "HTN hypertension"). */
export function withCodeSetWording(text: string): string {
  const added: string[] = [];
  for (const m of text.matchAll(WORD)) {
    const w = m[0];
    const expansion = (w === w.toUpperCase() ? ABBREVIATIONS[w] : undefined) ?? SYNONYMS[w.toLowerCase()];
    if (expansion && !added.includes(expansion)) added.push(expansion);
  }
  return added.length ? `${text} ${added.join(' ')}` : text;
}
