/**
 * CoNLL / IOB files: one token per line (`token TAB tag`, or columns separated
 * by spaces with the token first and the tag last), a blank line between
 * sentences, optional `-DOCSTART-` lines between documents.
 *
 * Reading. A sentence's text is its tokens joined by single spaces. Without
 * `-DOCSTART-` lines every sentence is one document (NCBI-disease: 5,424
 * training sentences, 5,424 documents); with them, the sentences of a group
 * form one document, joined by line breaks, so a document split never
 * separates sentences of one note. Tags: IOB2, IOB1, BIOES and BILOU (`B-`,
 * `I-`, `E-`/`L-`, `S-`/`U-`, with `-` or `_`), or bare labels (IO) when no
 * tag of the file has a prefix. An `I-X` that does not continue an `X` span
 * starts one, which reads IOB1 correctly and repairs broken IOB2 the way
 * conlleval and seqeval do. A bare label in a prefixed file is reported and
 * read as O. Label names keep their case.
 *
 * Writing. IOB2 tags, `token TAB tag`. The words are the source's own (CoNLL,
 * Prodigy tokens) or else those of splitWords; a span boundary inside a word
 * splits the word and is reported; a line break in the text ends a sentence;
 * `-DOCSTART- -X- -X- O` goes before each document when any document has more
 * than one sentence.
 */
import type { DatasetProblem, LabelledDocument, LabelledSpan, SourceWord } from './types';
import { splitWords } from './words';

const PREFIXED = /^([BIESLU])[-_](.+)$/;
const DOCSTART = '-DOCSTART-';

interface Row {
  token: string;
  tag: string;
  line: number;
}

function columns(line: string): string[] {
  return line.includes('\t') ? line.split('\t').map((c, i, all) => (i === all.length - 1 ? c.trim() : c)) : line.trim().split(/\s+/);
}

const isOutside = (tag: string) => tag.toUpperCase() === 'O';

/** Is `sample` (the start of a file) CoNLL with prefixed tags? Used when the extension does not say. */
export function looksLikeConll(sample: string): boolean {
  const lines = sample.split('\n').slice(0, 200);
  if (lines.length > 1) lines.pop(); // the last line of a sample may be cut short
  let tagged = 0;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith(DOCSTART)) continue;
    const cols = columns(line);
    const tag = cols[cols.length - 1]!;
    if (cols.length < 2 || !(isOutside(tag) || PREFIXED.test(tag))) return false;
    tagged++;
  }
  return tagged > 0;
}

export function parseConll(text: string, name: string, problems: DatasetProblem[]): LabelledDocument[] {
  const groups: Row[][][] = [[]];
  let sentence: Row[] = [];
  const endSentence = () => {
    if (sentence.length) groups[groups.length - 1]!.push(sentence);
    sentence = [];
  };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const lineNo = i + 1;
    if (line.trim() === '') return endSentence();
    if (line.startsWith(DOCSTART)) {
      endSentence();
      groups.push([]);
      return;
    }
    const cols = columns(line);
    const token = cols[0]!;
    if (token.trim() === '') {
      problems.push({ doc: name, file: name, line: lineNo, message: 'the token column is empty: line left out' });
      return;
    }
    if (cols.length < 2) {
      problems.push({ doc: name, file: name, line: lineNo, message: 'no tag column (expected token TAB tag): read as O' });
      sentence.push({ token, tag: 'O', line: lineNo });
      return;
    }
    sentence.push({ token, tag: cols[cols.length - 1]!, line: lineNo });
  });
  endSentence();

  const prefixed = groups.some((g) => g.some((s) => s.some((r) => PREFIXED.test(r.tag))));
  const perSentence = groups.length === 1; // no -DOCSTART- line
  const docs: LabelledDocument[] = [];
  const build = (sentences: Row[][]) => {
    const id = `${name}:${sentences[0]![0]!.line}`;
    let text = '';
    const words: SourceWord[] = [];
    const spans: LabelledSpan[] = [];
    sentences.forEach((rows, si) => {
      if (si > 0) text += '\n';
      let open: LabelledSpan | undefined;
      const close = () => {
        if (open) spans.push(open);
        open = undefined;
      };
      rows.forEach((r, ri) => {
        if (ri > 0) text += ' ';
        const word = { start: text.length, end: text.length + r.token.length };
        text += r.token;
        words.push(word);
        if (isOutside(r.tag)) return close();
        const m = PREFIXED.exec(r.tag);
        if (!m && prefixed) {
          problems.push({ doc: id, file: name, line: r.line, message: 'tag is neither O nor B-/I-/E-/S-/L-/U- followed by a label: read as O' });
          return close();
        }
        const prefix = m ? m[1]! : 'I';
        const label = m ? m[2]! : r.tag;
        const continues = (prefix === 'I' || prefix === 'E' || prefix === 'L') && open !== undefined && open.label === label;
        if (continues) open!.end = word.end;
        else {
          close();
          open = { start: word.start, end: word.end, label };
        }
        if (prefix === 'E' || prefix === 'L' || prefix === 'S' || prefix === 'U') close();
      });
      close();
    });
    docs.push({ id, text, spans, words });
  };
  for (const g of groups) {
    if (perSentence) for (const s of g) build([s]);
    else if (g.length) build(g);
  }
  return docs;
}

/** Splits the words that a span boundary falls inside, reporting each such span once. */
function wordsForSpans(doc: LabelledDocument, spans: readonly LabelledSpan[], problems: DatasetProblem[]): SourceWord[] {
  const source = doc.words?.length ? doc.words : splitWords(doc.text);
  let words = source.filter((w) => w.end > w.start && doc.text.slice(w.start, w.end).trim() !== '');
  for (const s of spans) {
    let split = false;
    const next: SourceWord[] = [];
    for (const w of words) {
      const cuts = [s.start, s.end].filter((c) => c > w.start && c < w.end);
      if (!cuts.length) {
        next.push(w);
        continue;
      }
      split = true;
      let from = w.start;
      for (const c of cuts) {
        next.push({ start: from, end: c });
        from = c;
      }
      next.push({ start: from, end: w.end });
    }
    if (split) problems.push({ doc: doc.id, start: s.start, end: s.end, message: `${s.label} span boundary falls inside a word: the word is split in two in the CoNLL output` });
    words = next;
  }
  return words;
}

/** The CoNLL text of `docs`, and how many documents it holds (those without words are left out). */
export function formatConll(docs: readonly LabelledDocument[], problems: DatasetProblem[]): { text: string; documents: number } {
  const withLabels = docs.filter((d) => d.label !== undefined);
  if (withLabels.length) {
    problems.push({ doc: withLabels[0]!.id, message: `CoNLL holds no document labels: the labels of ${withLabels.length} document(s) are not written` });
  }
  const blocks: Array<{ sentences: string[][] }> = [];
  for (const doc of docs) {
    const spans = doc.spans ?? [];
    const words = wordsForSpans(doc, spans, problems);
    if (!words.length) {
      problems.push({ doc: doc.id, message: 'document has no words: left out' });
      continue;
    }
    const tags: string[] = words.map(() => 'O');
    const spanOf: Array<LabelledSpan | undefined> = words.map(() => undefined);
    for (const s of spans) {
      const inside = words.map((w, i) => [w, i] as const).filter(([w]) => w.start >= s.start && w.end <= s.end);
      if (!inside.length) {
        problems.push({ doc: doc.id, start: s.start, end: s.end, message: `${s.label} span covers no word: left out` });
        continue;
      }
      const first = inside[0]![0];
      const last = inside[inside.length - 1]![0];
      if (first.start !== s.start || last.end !== s.end) {
        problems.push({ doc: doc.id, start: s.start, end: s.end, message: `${s.label} span begins or ends with whitespace: written without it` });
      }
      inside.forEach(([, i], k) => {
        tags[i] = `${k === 0 ? 'B' : 'I'}-${s.label}`;
        spanOf[i] = s;
      });
    }
    const sentences: string[][] = [[]];
    words.forEach((w, i) => {
      if (i > 0 && /[\r\n]/.test(doc.text.slice(words[i - 1]!.end, w.start))) {
        if (spanOf[i] && spanOf[i] === spanOf[i - 1]) {
          problems.push({ doc: doc.id, start: spanOf[i]!.start, end: spanOf[i]!.end, message: `${spanOf[i]!.label} span crosses a line break: its lines are written as one sentence` });
        } else sentences.push([]);
      }
      sentences[sentences.length - 1]!.push(`${doc.text.slice(w.start, w.end)}\t${tags[i]}`);
    });
    blocks.push({ sentences });
  }
  const docstart = blocks.some((b) => b.sentences.length > 1);
  let out = '';
  for (const b of blocks) {
    if (docstart) out += `${DOCSTART} -X- -X- O\n\n`;
    for (const s of b.sentences) out += s.join('\n') + '\n\n';
  }
  return { text: out, documents: blocks.length };
}
