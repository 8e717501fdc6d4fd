/**
 * Deterministic clinical-style text for benchmarks: synthetic sentences with
 * the things notes are made of (abbreviations, doses, vitals, lists, CRLF,
 * runs of spaces, a few non-ASCII characters). No real patient data.
 */

const SENTENCES = [
  'Patient is a {age} y/o {sex} with h/o HTN, HLD, T2DM who presents with {symptom} x {days} days.',
  'Denies fever, chills, nausea, vomiting. Reports {symptom} worse with exertion.',
  'Vitals: BP {sys}/{dia}, HR {hr}, RR 16, T 37.{t} °C, SpO2 {spo2}% on RA.',
  'Medications: metformin {dose} mg PO BID, lisinopril 10 mg daily, atorvastatin 40 mg qHS.',
  'Labs notable for Na 13{d}, K 4.{d}, Cr 1.{d}, troponin < 0.01 ng/mL, HbA1c {a1c}%.',
  'ECG: NSR at {hr} bpm, no ST elevations; QTc 4{d}0 ms.',
  'Assessment/Plan:\r\n  1. {symptom} -- r/o ACS; serial troponins, ASA 81 mg.\r\n  2. T2DM: hold metformin, SSI.',
  'Pt seen and examined at bedside; family (wife) present. Discussed plan — pt agrees.',
  'Echo: EF 5{d}%, mild MR, no pericardial effusion. CXR w/o acute process.',
  'Follow up with PCP in {days} weeks; return precautions given (≥ 38.5 °C, chest pain, SOB).',
  'Allergies: PCN (rash), sulfa.\tSocial: former smoker, 20 pack-years; EtOH socially.',
  'Physical exam:    Gen: NAD.    CV: RRR, no m/r/g.    Lungs: CTAB.    Abd: soft, NT/ND.',
  'Insulin glargine 2{d} units SC qHS; µg/kg/min dosing of norepinephrine weaned off.',
];
const SYMPTOMS = ['chest pain', 'dyspnea', 'palpitations', 'syncope', 'abdominal pain', 'headache', 'cough', 'fatigue'];

/** A xorshift generator: the same seed gives the same notes on every machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** At least `minChars` characters of note-like text, the same for the same seed. */
export function syntheticClinicalText(minChars: number, seed = 42): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const num = (lo: number, hi: number) => String(lo + Math.floor(r() * (hi - lo + 1)));
  const parts: string[] = [];
  let length = 0;
  while (length < minChars) {
    const s = pick(SENTENCES).replace(/\{(\w+)\}/g, (_, k: string) => {
      switch (k) {
        case 'age': return num(18, 95);
        case 'sex': return pick(['M', 'F']);
        case 'symptom': return pick(SYMPTOMS);
        case 'days': return num(1, 14);
        case 'sys': return num(90, 180);
        case 'dia': return num(50, 110);
        case 'hr': return num(50, 130);
        case 't': return num(0, 9);
        case 'spo2': return num(88, 100);
        case 'dose': return pick(['500', '850', '1000']);
        case 'a1c': return `${num(5, 12)}.${num(0, 9)}`;
        default: return num(0, 9);
      }
    });
    const sep = r() < 0.15 ? '\r\n\r\n' : ' ';
    parts.push(s, sep);
    length += s.length + sep.length;
  }
  return parts.join('');
}
