/**
 * A small tokenizer in ModernBERT's format (NFC, byte-level BPE, [CLS] A [SEP])
 * for test checkpoints: 512 ids, learned here by a tiny deterministic BPE
 * training over synthetic clinical sentences, so tests and demo models need no
 * download and every byte of any text can still be tokenized.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BYTE_TO_CHAR } from './byteLevel';

export const TEST_VOCAB_SIZE = 512;
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const FIRST_BYTE_ID = SPECIAL_TOKENS.length; // 5
const FIRST_MERGE_ID = FIRST_BYTE_ID + 256; // 261

/** Synthetic, not from any patient: the words the test tokenizer learns to keep whole. */
export const TRAINING_SAMPLE = [
  'Patient denies chest pain. BP 120/80. Metformin 500 mg PO BID.',
  'Patient is a 67 y/o male with history of hypertension, hyperlipidemia and type 2 diabetes mellitus.',
  'He presents with shortness of breath and chest pressure for 3 days. Denies fever, chills, nausea or vomiting.',
  'Vitals: BP 142/88, HR 96, RR 18, temperature 37.2 C, SpO2 94% on room air.',
  'Exam: patient is alert and oriented. Lungs with bibasilar crackles. Heart regular rate and rhythm, no murmurs.',
  'Labs: troponin negative, creatinine 1.3, potassium 4.1, sodium 138, glucose 212, hemoglobin A1c 8.4%.',
  'Assessment: acute on chronic heart failure exacerbation, rule out acute coronary syndrome.',
  'Plan: furosemide 40 mg IV BID, aspirin 81 mg daily, atorvastatin 40 mg at bedtime, lisinopril 10 mg daily.',
  'Continue metformin 500 mg PO BID; hold if creatinine rises. Insulin sliding scale with meals.',
  'Echocardiogram shows ejection fraction of 35% with mild mitral regurgitation.',
  'Chest x-ray with pulmonary edema and small bilateral pleural effusions.',
  'The patient was counseled on diet, daily weights and medication adherence. Follow up in clinic in 2 weeks.',
  'Patient reports pain 6/10 in the left lower quadrant, worse after meals. No diarrhea, no blood in stool.',
  'History of present illness: the patient is a 54 year old female with asthma and COPD presenting with cough.',
  'Medications: albuterol inhaler as needed, prednisone 40 mg PO daily for 5 days, azithromycin 250 mg PO daily.',
  'Allergies: penicillin (rash). Social history: former smoker, denies alcohol or drug use.',
  'Discharge diagnosis: community acquired pneumonia. Discharged home in stable condition.',
  'Denies headache, dizziness, palpitations or syncope. Blood pressure well controlled on current medications.',
].join('\n');

/** GPT-2's pre-tokenization, as the ByteLevel pre-tokenizer applies it. */
const PRE_TOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

interface TrainedBpe {
  vocab: Record<string, number>;
  merges: string[];
}

/**
 * Byte-pair merges learned from the sample: at each step the most frequent
 * adjacent pair is merged (ties: the lexicographically smallest pair), until the
 * vocabulary holds `vocabSize` ids.
 */
function trainByteLevelBpe(sample: string, vocabSize: number): TrainedBpe {
  const vocab: Record<string, number> = {};
  SPECIAL_TOKENS.forEach((t, i) => (vocab[t] = i));
  for (let b = 0; b < 256; b++) vocab[BYTE_TO_CHAR[b]] = FIRST_BYTE_ID + b;
  let nextId = FIRST_MERGE_ID;

  const wordCounts = new Map<string, number>();
  for (const m of sample.normalize('NFC').matchAll(PRE_TOKENIZE)) {
    let w = '';
    for (const byte of Buffer.from(m[0], 'utf8')) w += BYTE_TO_CHAR[byte];
    wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }
  const words = [...wordCounts.keys()].sort().map((w) => ({ symbols: [...w], count: wordCounts.get(w)! }));

  const merges: string[] = [];
  while (nextId < vocabSize) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === undefined) throw new Error('The BPE training sample is too small for the vocabulary size.');
    const [a, b] = best.split(' ');
    merges.push(best);
    const merged = a + b;
    if (!(merged in vocab)) vocab[merged] = nextId++;
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === a && w.symbols[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(w.symbols[i]);
      }
      w.symbols = out;
    }
  }
  return { vocab, merges };
}

/** The test tokenizer.json as an object; the same on every call and machine. */
export function makeTestTokenizerJson(): Record<string, unknown> {
  const { vocab, merges } = trainByteLevelBpe(TRAINING_SAMPLE, TEST_VOCAB_SIZE);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const special = (id: number) => ({ id: SPECIAL_TOKENS[id], ids: [id], tokens: [SPECIAL_TOKENS[id]] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      // as in ModernBERT: "text [MASK]" does not keep the space before the mask
      lstrip: content === '[MASK]',
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: byteLevel,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      special_tokens: Object.fromEntries(SPECIAL_TOKENS.map((t, id) => [t, special(id)])),
    },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** tokenizer_config.json to go with it, as transformers writes one. */
export function makeTestTokenizerConfig(): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    mask_token: '[MASK]',
    unk_token: '[UNK]',
    model_max_length: 8192,
    model_input_names: ['input_ids', 'attention_mask'],
  };
}

/** Writes tokenizer.json and tokenizer_config.json into a (test) model folder. */
export function writeTestTokenizerFiles(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(makeTestTokenizerJson(), null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(makeTestTokenizerConfig(), null, 2) + '\n');
}
