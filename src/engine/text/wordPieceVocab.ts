/**
 * Older BERT checkpoints (BioClinicalBERT, BioBERT) ship only vocab.txt. This
 * writes the tokenizer.json that Hugging Face's BertTokenizerFast would build
 * from it, so those folders load like any other.
 */
import { EngineError } from '../errors';

export interface WordPieceOptions {
  /** tokenizer_config.json's do_lower_case; BERT's default is true */
  doLowerCase?: boolean;
  /** tokenizer_config.json's strip_accents; null/undefined follows doLowerCase */
  stripAccents?: boolean | null;
  tokenizeChineseChars?: boolean;
}

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** A tokenizer.json object (WordPiece, BertNormalizer, BertPreTokenizer, [CLS] A [SEP]) from the lines of vocab.txt. */
export function wordPieceTokenizerJson(vocabText: string, opts: WordPieceOptions = {}): Record<string, unknown> {
  const lines = vocabText.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const vocab: Record<string, number> = {};
  lines.forEach((line, i) => {
    vocab[line.endsWith('\r') ? line.slice(0, -1) : line] = i;
  });
  for (const required of ['[UNK]', '[CLS]', '[SEP]', '[PAD]']) {
    if (!(required in vocab)) throw new EngineError('bad-tokenizer', `vocab.txt has no ${required} token; it is not a BERT vocabulary.`);
  }
  const lowercase = opts.doLowerCase ?? true;
  const added = SPECIALS.filter((t) => t in vocab).map((t) => ({
    id: vocab[t],
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: opts.tokenizeChineseChars ?? true,
      strip_accents: opts.stripAccents ?? null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}
