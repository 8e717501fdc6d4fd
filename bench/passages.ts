/**
 * A deterministic mix of clinical-style passages from 200 to 1,700 characters,
 * built from the demo notes when present, else from synthetic sentences.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SENTENCES = [
  'Patient is a 67 year old male with a history of hypertension, type 2 diabetes mellitus and CKD stage 3 presenting with chest pain.',
  'He denies shortness of breath, diaphoresis or palpitations.',
  'BP 148/92, HR 88, RR 16, SpO2 97% on room air, T 37.1 C.',
  'Troponin I <0.01 ng/mL x2; BMP notable for creatinine 1.6 mg/dL and potassium 4.9 mmol/L.',
  'ECG shows normal sinus rhythm without acute ST changes.',
  'Continue metformin 500 mg PO BID, lisinopril 20 mg daily and atorvastatin 40 mg nightly.',
  'CT chest with contrast: no pulmonary embolism; small bilateral pleural effusions; mild cardiomegaly.',
  'Family history: mother with breast cancer, father with MI at 58.',
  'Assessment and plan: atypical chest pain, likely musculoskeletal; rule out ACS with serial troponins.',
  'Post-operative day 2 s/p laparoscopic cholecystectomy, tolerating diet, pain controlled with acetaminophen.',
  'Discharged home in stable condition with follow-up in cardiology clinic in 2 weeks.',
  'Possible early pneumonia in the right lower lobe; start ceftriaxone 1 g IV daily and azithromycin.',
];

function* notesText(): Generator<string> {
  const dir = path.resolve(__dirname, '..', 'demo', 'notes');
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir).sort()) yield fs.readFileSync(path.join(dir, f), 'utf8');
  }
  let i = 0;
  for (;;) yield Array.from({ length: 12 }, (_, k) => SENTENCES[(i + k * 5) % SENTENCES.length]).join(' ') + ` (${i++})`;
}

export function benchPassages(count: number): string[] {
  const out: string[] = [];
  let n = 0;
  for (const text of notesText()) {
    let pos = 0;
    while (pos < text.length && out.length < count) {
      const len = 200 + ((n++ * 373) % 1500);
      const piece = text.slice(pos, pos + len).trim();
      if (piece.length >= 200) out.push(piece);
      pos += len;
    }
    if (out.length >= count) break;
  }
  return out;
}
