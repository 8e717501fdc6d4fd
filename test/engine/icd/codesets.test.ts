import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeCodeFile, formatOfFileName, mergeTitles, parseCodeFile } from '../../../src/engine/icd/codesets';
import { EngineError } from '../../../src/engine/errors';
import { FIXTURES, OFFICIAL, RELEASE, officialReason } from './fixtures';

const read = (name: string) => fs.readFileSync(path.join(RELEASE, name));

test('file names announce their format; addenda and other files are not code files', () => {
  assert.equal(formatOfFileName('icd10cm_order_2027.txt'), 'icd10cm-order');
  assert.equal(formatOfFileName('icd10cm-order-Jan-2021.txt'), 'icd10cm-order');
  assert.equal(formatOfFileName('Code Descriptions/icd10cm-codes-2027.txt'), 'icd10cm-codes');
  assert.equal(formatOfFileName('icd10pcs_codes_2023.txt'), 'icd10pcs-codes');
  assert.equal(formatOfFileName('icd10pcs_order_2027.txt'), 'icd10pcs-order');
  assert.equal(formatOfFileName('CMS32_DESC_LONG_DX.txt'), 'icd9cm-dx-long');
  assert.equal(formatOfFileName('CMS32_DESC_SHORT_SG.txt'), 'icd9cm-sg-short');
  assert.equal(formatOfFileName('icd10cm_order_addenda_2027.txt'), undefined);
  assert.equal(formatOfFileName('icd10OrderFiles.pdf'), undefined);
  assert.equal(formatOfFileName('CMS32_DESC_LONG_SHORT_DX.xlsx'), undefined);
});

test('the ICD-10-CM order file gives codes, headers and both titles', () => {
  const { records, report } = parseCodeFile(read('icd10cm_order_2027.txt'), 'icd10cm_order_2027.txt', 'icd10cm-order');
  assert.equal(report.lines, 27);
  assert.equal(report.malformed, 0);
  const e11 = records.find((r) => r.code === 'E11');
  assert.deepEqual(e11, { system: 'icd10cm', code: 'E11', billable: false, short: 'Type 2 diabetes mellitus', long: 'Type 2 diabetes mellitus' });
  const s72 = records.find((r) => r.code === 'S72001A')!;
  assert.equal(s72.billable, true);
  assert.equal(s72.short, 'Fx unsp part of nk of right femur, init for clos fx');
  assert.equal(s72.long, 'Fracture of unspecified part of neck of right femur, initial encounter for closed fracture');
  // CRLF line ends leave nothing behind
  assert.ok(records.every((r) => !/\s$/.test(r.long)));
});

test('the codes files list billable codes with their long titles', () => {
  const cm = parseCodeFile(fs.readFileSync(path.join(FIXTURES, 'icd10cm_codes_2027.txt')), 'icd10cm_codes_2027.txt', 'icd10cm-codes');
  assert.ok(cm.records.every((r) => r.billable && r.system === 'icd10cm'));
  assert.equal(cm.records.find((r) => r.code === 'E119')?.long, 'Type 2 diabetes mellitus without complications');
  const pcs = parseCodeFile(fs.readFileSync(path.join(FIXTURES, 'icd10pcs_codes_2027.txt')), 'icd10pcs_codes_2027.txt', 'icd10pcs-codes');
  assert.equal(pcs.records.find((r) => r.code === '0DTJ4ZZ')?.long, 'Resection of Appendix, Percutaneous Endoscopic Approach');
  assert.equal(pcs.report.malformed, 0);
});

test('ICD-9-CM long diagnosis titles are decoded as Latin-1, by format', () => {
  const { records, report } = parseCodeFile(read('CMS32_DESC_LONG_DX.txt'), 'CMS32_DESC_LONG_DX.txt', 'icd9cm-dx-long');
  assert.equal(report.encoding, 'latin-1');
  assert.deepEqual(report.warnings, []);
  assert.equal(records.find((r) => r.code === '38600')?.long, "Ménière's disease, unspecified");
  assert.equal(records.find((r) => r.code === 'E8497')?.long, 'Accidents occurring in residential institution');
});

test('a Latin-1 file re-saved as UTF-8 is read as UTF-8, with a warning', () => {
  const utf8 = Buffer.from(read('CMS32_DESC_LONG_DX.txt').toString('latin1'), 'utf8');
  const { records, report } = parseCodeFile(utf8, 'CMS32_DESC_LONG_DX.txt', 'icd9cm-dx-long');
  assert.equal(report.encoding, 'utf-8');
  assert.match(report.warnings[0]!, /saved as UTF-8/);
  assert.equal(records.find((r) => r.code === '38600')?.long, "Ménière's disease, unspecified");
});

test('a UTF-8 format that is not valid UTF-8 is read as Latin-1, with a warning', () => {
  const d = decodeCodeFile(Buffer.from('E119    Caf\xe9 disease\n', 'latin1'), 'icd10cm_codes_2027.txt', false);
  assert.equal(d.encoding, 'latin-1');
  assert.equal(d.text, 'E119    Café disease\n');
  assert.match(d.warning!, /not valid UTF-8/);
});

test('UTF-16 files are refused with a clear message', () => {
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('E119    Type 2 diabetes\n', 'utf16le')]);
  assert.throws(() => parseCodeFile(utf16, 'icd10cm_codes_2027.txt', 'icd10cm-codes'), (e: unknown) => e instanceof EngineError && e.code === 'bad-input' && /UTF-16/.test(e.message));
  const noBom = Buffer.from('E119    Type 2 diabetes\n', 'utf16le');
  assert.throws(() => parseCodeFile(noBom, 'icd10cm_codes_2027.txt', 'icd10cm-codes'), /UTF-16/);
});

test('malformed lines are counted and reported, not fatal', () => {
  const text = read('icd10cm_order_2027.txt').toString('latin1') + 'garbage line\r\n\r\n12345 not-a-code\r\n';
  const { records, report } = parseCodeFile(Buffer.from(text, 'latin1'), 'icd10cm_order_2027.txt', 'icd10cm-order');
  assert.equal(records.length, 27);
  assert.equal(report.malformed, 2);
  assert.deepEqual(report.malformedLines, [28, 30]);
  assert.match(report.warnings.join(' '), /2 malformed line\(s\) skipped \(line 28, 30\)/);
});

test('a file where most lines fail is refused, naming the first bad line', () => {
  const text = 'E119    Type 2 diabetes mellitus without complications\nthis is\nnot a\ncode file\n';
  assert.throws(
    () => parseCodeFile(Buffer.from(text), 'icd10cm_codes_2027.txt', 'icd10cm-codes'),
    (e: unknown) => e instanceof EngineError && e.code === 'bad-input' && /3 of 4 lines/.test(e.message) && /line 2/.test(e.message),
  );
  // a PCS file under an ICD-10-CM name: codes of the wrong shape
  assert.throws(() => parseCodeFile(fs.readFileSync(path.join(FIXTURES, 'icd10pcs_codes_2027.txt')), 'icd10cm_codes_2027.txt', 'icd10cm-codes'), /not in the ICD-10-CM codes file format/);
  assert.throws(() => parseCodeFile(Buffer.from('\n\n'), 'icd10cm_codes_2027.txt', 'icd10cm-codes'), /is empty/);
});

test('duplicate codes keep the first occurrence and are reported', () => {
  const text = 'I10     Essential (primary) hypertension\nI10     Something else\nE119    Type 2 diabetes mellitus without complications\n';
  const { records, report } = parseCodeFile(Buffer.from(text), 'icd10cm_codes_2027.txt', 'icd10cm-codes');
  assert.equal(records.length, 2);
  assert.equal(records[0]!.long, 'Essential (primary) hypertension');
  assert.equal(report.duplicates, 1);
  assert.match(report.warnings.join(' '), /1 duplicate code/);
});

test('ICD-9-CM long and short titles are joined', () => {
  const long = parseCodeFile(read('CMS32_DESC_LONG_SG.txt'), 'CMS32_DESC_LONG_SG.txt', 'icd9cm-sg-long').records;
  const short = parseCodeFile(read('CMS32_DESC_SHORT_SG.txt'), 'CMS32_DESC_SHORT_SG.txt', 'icd9cm-sg-short').records;
  const m = mergeTitles(long, short).find((r) => r.code === '4701')!;
  assert.equal(m.long, 'Laparoscopic appendectomy');
  assert.equal(m.short, 'Lap appendectomy');
});

test('official files parse completely, with the published counts', { skip: officialReason }, () => {
  const cm = parseCodeFile(fs.readFileSync(path.join(OFFICIAL, 'icd10cm/icd10cm-order-Jan-2021.txt')), 'icd10cm-order-Jan-2021.txt', 'icd10cm-order');
  assert.equal(cm.report.lines, 95358);
  assert.equal(cm.records.length, 95358);
  assert.equal(cm.records.filter((r) => r.billable).length, 72621);
  assert.equal(cm.report.malformed, 0);
  const pcs = parseCodeFile(fs.readFileSync(path.join(OFFICIAL, 'icd10pcs/icd10pcs_codes_2023.txt')), 'icd10pcs_codes_2023.txt', 'icd10pcs-codes');
  assert.equal(pcs.records.length, 78496);
  const dx = parseCodeFile(fs.readFileSync(path.join(OFFICIAL, 'icd9cm/CMS32_DESC_LONG_DX.txt')), 'CMS32_DESC_LONG_DX.txt', 'icd9cm-dx-long');
  assert.equal(dx.records.length, 14567);
  assert.equal(dx.report.encoding, 'latin-1');
  assert.equal(dx.records.find((r) => r.code === '38600')?.long, "Ménière's disease, unspecified");
  assert.ok(dx.records.every((r) => !r.long.includes('\ufffd')));
  const sg = parseCodeFile(fs.readFileSync(path.join(OFFICIAL, 'icd9cm/CMS32_DESC_LONG_SG.txt')), 'CMS32_DESC_LONG_SG.txt', 'icd9cm-sg-long');
  assert.equal(sg.records.length, 3882);
  for (const short of ['CMS32_DESC_SHORT_DX.txt', 'CMS32_DESC_SHORT_SG.txt']) {
    const f = formatOfFileName(short)!;
    assert.equal(parseCodeFile(fs.readFileSync(path.join(OFFICIAL, 'icd9cm', short)), short, f).report.malformed, 0);
  }
});
