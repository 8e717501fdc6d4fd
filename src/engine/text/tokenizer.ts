/**
 * The model's tokenizer, with what @huggingface/tokenizers does not give:
 * each token's [start, end) UTF-16 offsets into the note as written, and the
 * special-token ids the engine builds windows with. Ids come from the library
 * unchanged, so they are the ids the model was trained on.
 */
import { EngineError } from '../errors';
import type { TokenizerLike } from '../host';
import { byteLevelTokenBytes } from './byteLevel';
import { byteLevelOffsets } from './byteLevelOffsets';
import { charLevelOffsets, type SurfaceRules } from './charLevelOffsets';
import {
  alignCharwise,
  alignUnicodeNormalization,
  cachedCharNormalizer,
  type NormalizedText,
  type UnicodeForm,
} from './normalizedText';
import type { Encoding } from './types';

type Json = Record<string, unknown>;

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

/** The tokenizer's own library object, with the parts we use and that its types keep private. */
interface LibraryTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
  normalizer: ((text: string) => string) | null;
}

// The package's type declarations are ESM-only while its CommonJS build is what
// Node and the bundle load; the shape we use is declared in LibraryTokenizer.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: new (json: object, config: object) => unknown };

const UNICODE_FORMS = new Set(['NFC', 'NFD', 'NFKC', 'NFKD']);

export class ClinicalTokenizer implements TokenizerLike {
  readonly vocabSize: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly maskId: number | undefined;
  readonly unkId: number | undefined;
  /** 'byte-level' for GPT-2-style BPE (ModernBERT), 'char-level' for WordPiece and Unigram */
  readonly kind: 'byte-level' | 'char-level';

  private readonly lib: LibraryTokenizer;
  private readonly prefixIds: number[];
  private readonly suffixIds: number[];
  private readonly addedContent = new Map<number, string>();
  private readonly idBytes: Array<Uint8Array | undefined>;
  private readonly normalize: (text: string) => NormalizedText;
  private readonly surfaceRules: SurfaceRules;
  /** RoBERTa-style post-processors drop the leading space ('Ġ') from offsets; ModernBERT's template keeps it */
  private readonly trimOffsets: boolean;
  private offsetScratch = new Int32Array(0);

  /**
   * @param tokenizerJson the parsed tokenizer.json
   * @param tokenizerConfig the parsed tokenizer_config.json, when the folder has one
   */
  constructor(tokenizerJson: unknown, tokenizerConfig: unknown = {}) {
    const json = asObject(tokenizerJson, 'tokenizer.json');
    const config = tokenizerConfig === null || tokenizerConfig === undefined ? {} : asObject(tokenizerConfig, 'tokenizer_config.json');
    const model = json.model;
    if (model === null || typeof model !== 'object' || Array.isArray(model)) {
      throw new EngineError('bad-tokenizer', 'tokenizer.json has no "model" section; it is not a Hugging Face tokenizer file.');
    }
    const modelJson = model as Json;
    const modelType = typeof modelJson.type === 'string' ? modelJson.type : inferModelType(modelJson);
    if (modelType !== 'BPE' && modelType !== 'WordPiece' && modelType !== 'Unigram') {
      throw new EngineError(
        'bad-tokenizer',
        `tokenizer.json uses a "${String(modelType)}" model; supported are BPE, WordPiece and Unigram tokenizers.`,
      );
    }
    checkVocabularyShape(modelJson, modelType);
    const addedTokens = readAddedTokens(json.added_tokens);
    for (const t of addedTokens) this.addedContent.set(t.id, t.content);

    try {
      const full = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...json, added_tokens: addedTokens };
      this.lib = new Tokenizer(full, config) as unknown as LibraryTokenizer;
    } catch {
      // the library's own message names its internals ("text is not iterable"), which helps no one choosing a file
      throw new EngineError(
        'bad-tokenizer',
        `tokenizer.json could not be loaded as a ${modelType} tokenizer: the file is damaged or was edited. Use the tokenizer.json that came with the checkpoint.`,
      );
    }

    this.vocabSize = vocabularySize(modelJson, addedTokens);
    this.kind = containsType(json.pre_tokenizer, 'ByteLevel') ? 'byte-level' : 'char-level';
    if (this.kind === 'byte-level' && modelType !== 'BPE') {
      throw new EngineError('bad-tokenizer', `tokenizer.json pairs a ByteLevel pre-tokenizer with a ${modelType} model, which is not supported.`);
    }
    this.idBytes = new Array(this.vocabSize);

    const template = readTemplate(json.post_processor);
    const lookup = (names: Array<unknown>): number | undefined => {
      for (const name of names) {
        const token = typeof name === 'string' ? name : tokenContent(name);
        if (token === undefined) continue;
        const id = this.lib.token_to_id(token);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    const clsId = template?.prefix.at(-1) ?? lookup([config.cls_token, '[CLS]', '<s>']);
    const sepId = template?.suffix[0] ?? lookup([config.sep_token, '[SEP]', '</s>']);
    const padId = lookup([config.pad_token, '[PAD]', '<pad>']);
    if (clsId === undefined || sepId === undefined) {
      throw new EngineError(
        'bad-tokenizer',
        'The tokenizer has no [CLS]/[SEP] special tokens; an encoder model (BERT, ModernBERT) needs them. Check tokenizer.json.',
      );
    }
    if (padId === undefined) {
      throw new EngineError('bad-tokenizer', 'The tokenizer has no padding token ([PAD]); check tokenizer.json and tokenizer_config.json.');
    }
    this.clsId = clsId;
    this.sepId = sepId;
    this.padId = padId;
    this.prefixIds = template ? template.prefix : [clsId];
    this.suffixIds = template ? template.suffix : [sepId];
    this.maskId = lookup([config.mask_token, '[MASK]', '<mask>']);
    this.unkId = lookup([modelJson.unk_token, config.unk_token, '[UNK]', '<unk>']);
    if (modelType === 'Unigram' && typeof modelJson.unk_id === 'number') this.unkId = modelJson.unk_id;

    this.trimOffsets = this.kind === 'byte-level' && trimsOffsets(json.post_processor);
    this.normalize = this.makeNormalizer(json.normalizer);
    const metaspace = findMetaspace(json.pre_tokenizer);
    this.surfaceRules = {
      continuingPrefix: modelType === 'WordPiece' ? stringOr(modelJson.continuing_subword_prefix, '##') : undefined,
      endOfWordSuffix: typeof modelJson.end_of_word_suffix === 'string' ? modelJson.end_of_word_suffix : undefined,
      metaspace,
      unkId: this.unkId,
      isAdded: (id) => this.addedContent.has(id),
    };
  }

  /** Token ids of the text with their offsets into it; [CLS] ... [SEP] around them unless addSpecialTokens is false. */
  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): Encoding {
    if (typeof text !== 'string') throw new EngineError('bad-input', 'Text to tokenize must be a string.');
    const addSpecial = opts.addSpecialTokens ?? true;
    const { ids: contentIds, tokens } = this.lib.encode(text, { add_special_tokens: false });
    const n = contentIds.length;
    if (this.offsetScratch.length < 2 * n) this.offsetScratch = new Int32Array(Math.max(2 * n, 2 * this.offsetScratch.length));
    const raw = this.offsetScratch;
    if (n > 0) {
      const norm = this.normalize(text);
      if (this.kind === 'byte-level') byteLevelOffsets(contentIds, this.bytesOf, norm, text.length, raw);
      else charLevelOffsets(contentIds, tokens, this.surfaceRules, norm, text, raw);
      if (this.trimOffsets) trimSpaces(text, raw, n);
    }

    const pre = addSpecial ? this.prefixIds : [];
    const post = addSpecial ? this.suffixIds : [];
    const total = pre.length + n + post.length;
    const ids: number[] = new Array(total);
    const offsets: Array<[number, number]> = new Array(total);
    const special: boolean[] = new Array(total);
    let k = 0;
    for (const id of pre) {
      ids[k] = id;
      offsets[k] = [0, 0];
      special[k++] = true;
    }
    for (let i = 0; i < n; i++) {
      if (typeof contentIds[i] !== 'number') {
        // a BPE without [UNK] meets a piece outside its vocabulary: ids would be holes
        throw new EngineError('bad-tokenizer', 'The tokenizer produced a token that is not in its vocabulary and it has no [UNK] token; tokenizer.json is incomplete.');
      }
      ids[k] = contentIds[i];
      offsets[k] = [raw[2 * i], raw[2 * i + 1]];
      special[k++] = false;
    }
    for (const id of post) {
      ids[k] = id;
      offsets[k] = [text.length, text.length];
      special[k++] = true;
    }
    return { ids, offsets, special };
  }

  /** The vocabulary's string for an id (byte-level spelling for BPE: 'Ġchest'), or undefined. */
  tokenString(id: number): string | undefined {
    return this.lib.id_to_token(id);
  }

  /** The text a token stands for ('Ġchest' -> ' chest'; '##ing' -> 'ing'); partial UTF-8 shows as U+FFFD. */
  tokenText(id: number): string {
    if (this.addedContent.has(id)) return this.addedContent.get(id)!;
    if (this.kind === 'byte-level') return Buffer.from(this.bytesOf(id)).toString('utf8');
    const s = this.lib.id_to_token(id) ?? '';
    const prefix = this.surfaceRules.continuingPrefix;
    return prefix && s.length > prefix.length && s.startsWith(prefix) ? s.slice(prefix.length) : s;
  }

  /** The UTF-8 bytes an id spells, decoded once per id. */
  private readonly bytesOf = (id: number): Uint8Array => {
    let b = this.idBytes[id];
    if (b === undefined) {
      const added = this.addedContent.get(id);
      if (added !== undefined) b = Buffer.from(added, 'utf8');
      else {
        const s = this.lib.id_to_token(id) ?? '';
        b = byteLevelTokenBytes(s) ?? Buffer.from(s, 'utf8');
      }
      this.idBytes[id] = b;
    }
    return b;
  };

  private makeNormalizer(normalizerJson: unknown): (text: string) => NormalizedText {
    if (normalizerJson === null || normalizerJson === undefined) return (text) => ({ text, origStart: null, origEnd: null });
    const form = unicodeFormOf(normalizerJson);
    if (form) return (text) => alignUnicodeNormalization(text, form);
    const libNormalize = this.lib.normalizer;
    if (!libNormalize) return (text) => ({ text, origStart: null, origEnd: null });
    // BERT-style normalizers act on one character at a time, so a per-character map is exact for them
    const perChar = cachedCharNormalizer((ch) => libNormalize(ch));
    return (text) => alignCharwise(text, perChar);
  }
}

function trimsOffsets(post: unknown): boolean {
  if (!post || typeof post !== 'object') return false;
  const p = post as Json;
  if (p.type === 'Sequence' && Array.isArray(p.processors)) return p.processors.some(trimsOffsets);
  return (p.type === 'RobertaProcessing' || p.type === 'ByteLevel') && p.trim_offsets === true;
}

/** As Hugging Face's ByteLevel trim_offsets: spans lose leading and trailing spaces, never becoming inverted. */
function trimSpaces(text: string, raw: Int32Array, n: number): void {
  for (let k = 0; k < n; k++) {
    let s = raw[2 * k];
    let e = raw[2 * k + 1];
    while (s < e && text.charCodeAt(s) === 0x20) s++;
    while (e > s && text.charCodeAt(e - 1) === 0x20) e--;
    raw[2 * k] = s;
    raw[2 * k + 1] = e;
  }
}

function asObject(value: unknown, file: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EngineError('bad-tokenizer', `${file} is not a JSON object.`);
  }
  return value as Json;
}

function inferModelType(model: Json): string | undefined {
  if (Array.isArray(model.vocab)) return 'Unigram';
  if (model.vocab && typeof model.vocab === 'object') return 'merges' in model ? 'BPE' : 'WordPiece';
  return undefined;
}

/**
 * A Unigram vocabulary is a list of [piece, score] pairs; BPE and WordPiece
 * vocabularies map token strings to ids. A file that mixes them (a "Unigram"
 * model with a map, say) would load and then fail inside the tokenizer library
 * or tokenize every note into nothing.
 */
function checkVocabularyShape(model: Json, modelType: 'BPE' | 'WordPiece' | 'Unigram'): void {
  const vocab = model.vocab;
  const mismatch = (found: string) =>
    new EngineError(
      'bad-tokenizer',
      `tokenizer.json says its model is ${modelType} but its vocabulary is ${found}: the file is damaged or was edited. Use the tokenizer.json that came with the checkpoint.`,
    );
  if (modelType === 'Unigram') {
    if (!Array.isArray(vocab)) throw mismatch(vocab && typeof vocab === 'object' ? 'a {token: id} map, as BPE and WordPiece tokenizers have' : 'missing');
    for (const entry of vocab) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') throw mismatch('not a list of [piece, score] pairs');
    }
    return;
  }
  if (Array.isArray(vocab)) throw mismatch('a list of [piece, score] pairs, as Unigram tokenizers have');
  if (!vocab || typeof vocab !== 'object') throw mismatch('missing');
  for (const id of Object.values(vocab as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw mismatch('not a map of tokens to whole-number ids');
  }
  if (modelType === 'BPE' && model.merges !== undefined && !Array.isArray(model.merges)) {
    throw new EngineError('bad-tokenizer', 'tokenizer.json: the BPE model\'s "merges" is not a list; the file is damaged or was edited. Use the tokenizer.json that came with the checkpoint.');
  }
}

function readAddedTokens(value: unknown): AddedTokenJson[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new EngineError('bad-tokenizer', 'tokenizer.json: "added_tokens" is not a list.');
  return value.map((t, i) => {
    if (!t || typeof t !== 'object' || typeof t.id !== 'number' || typeof t.content !== 'string') {
      throw new EngineError('bad-tokenizer', `tokenizer.json: added token #${i} has no numeric "id" and string "content".`);
    }
    return t as AddedTokenJson;
  });
}

function vocabularySize(model: Json, added: AddedTokenJson[]): number {
  let max = -1;
  const vocab = model.vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1;
  else if (vocab && typeof vocab === 'object') {
    for (const id of Object.values(vocab as Record<string, unknown>)) if (typeof id === 'number' && id > max) max = id;
  } else {
    throw new EngineError('bad-tokenizer', 'tokenizer.json: the model has no vocabulary.');
  }
  for (const t of added) if (t.id > max) max = t.id;
  return max + 1;
}

/** The ids a post-processor puts before and after a single sequence, or null when there is none. */
function readTemplate(post: unknown): { prefix: number[]; suffix: number[] } | null {
  if (!post || typeof post !== 'object') return null;
  const p = post as Json;
  if (p.type === 'Sequence' && Array.isArray(p.processors)) {
    for (const inner of p.processors) {
      const t = readTemplate(inner);
      if (t) return t;
    }
    return null;
  }
  if (p.type === 'BertProcessing' || p.type === 'RobertaProcessing') {
    const cls = p.cls as [string, number] | undefined;
    const sep = p.sep as [string, number] | undefined;
    if (!Array.isArray(cls) || !Array.isArray(sep)) throw new EngineError('bad-tokenizer', `tokenizer.json: ${p.type} lacks cls/sep.`);
    return { prefix: [cls[1]], suffix: [sep[1]] };
  }
  if (p.type === 'TemplateProcessing' && Array.isArray(p.single)) {
    const specials = (p.special_tokens ?? {}) as Record<string, { ids?: number[] }>;
    const prefix: number[] = [];
    const suffix: number[] = [];
    let seenSequence = false;
    for (const item of p.single as Json[]) {
      if (item.Sequence) {
        seenSequence = true;
        continue;
      }
      const st = item.SpecialToken as { id?: string } | undefined;
      if (!st || typeof st.id !== 'string') continue;
      const ids = specials[st.id]?.ids;
      if (!Array.isArray(ids) || ids.length === 0) {
        throw new EngineError('bad-tokenizer', `tokenizer.json: the template names special token "${st.id}" without an id.`);
      }
      (seenSequence ? suffix : prefix).push(...ids);
    }
    if (prefix.length === 0 || suffix.length === 0) return null;
    return { prefix, suffix };
  }
  return null;
}

function tokenContent(value: unknown): string | undefined {
  if (value && typeof value === 'object' && typeof (value as Json).content === 'string') return (value as Json).content as string;
  return undefined;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function containsType(cfg: unknown, type: string): boolean {
  if (!cfg || typeof cfg !== 'object') return false;
  const c = cfg as Json;
  if (c.type === type) return true;
  const inner = c.pretokenizers ?? c.normalizers;
  return Array.isArray(inner) && inner.some((x) => containsType(x, type));
}

function findMetaspace(cfg: unknown): string | undefined {
  if (!cfg || typeof cfg !== 'object') return undefined;
  const c = cfg as Json;
  if (c.type === 'Metaspace') return stringOr(c.replacement ?? c.str_rep, '\u2581');
  if (Array.isArray(c.pretokenizers)) {
    for (const x of c.pretokenizers) {
      const m = findMetaspace(x);
      if (m) return m;
    }
  }
  return undefined;
}

function unicodeFormOf(cfg: unknown): UnicodeForm | null {
  if (!cfg || typeof cfg !== 'object') return null;
  const c = cfg as Json;
  if (typeof c.type === 'string' && UNICODE_FORMS.has(c.type)) return c.type as UnicodeForm;
  if (c.type === 'Sequence' && Array.isArray(c.normalizers) && c.normalizers.length === 1) return unicodeFormOf(c.normalizers[0]);
  return null;
}
