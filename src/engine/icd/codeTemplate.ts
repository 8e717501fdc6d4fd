/**
 * The text a code is embedded as. Clinical ModernBERT saw ICD codes in
 * pretraining serialized as "ICD [version] code for [code]: [description]"
 * (its paper, Fig. 1), so embedding a code the same way puts it where the
 * encoder learned it. The template is a setting
 * (clinicalModernbert.icd.embeddingTemplate) for models trained otherwise.
 */
import { EngineError } from '../errors';
import type { CodeRecord } from './codesets';
import { displayCode, SYSTEM_NAMES, type IcdSystem } from './systems';

export const DEFAULT_CODE_TEMPLATE = 'ICD {version} code for {code}: {description}';

const PLACEHOLDERS = ['version', 'system', 'code', 'description'] as const;
const MAX_TEMPLATE_CHARS = 500;

const VERSION: Record<IcdSystem, string> = { icd10cm: '10', icd10pcs: '10', 'icd9cm-dx': '9', 'icd9cm-sg': '9' };

/** the template to use: the default when empty; refused when it names no code and no description */
export function checkTemplate(template: unknown): string {
  if (template === undefined || template === null || (typeof template === 'string' && !template.trim())) return DEFAULT_CODE_TEMPLATE;
  if (typeof template !== 'string') throw new EngineError('bad-input', 'The ICD embedding template must be text.');
  if (template.length > MAX_TEMPLATE_CHARS) throw new EngineError('bad-input', `The ICD embedding template is longer than ${MAX_TEMPLATE_CHARS} characters.`);
  if (!template.includes('{description}') && !template.includes('{code}')) {
    throw new EngineError('bad-input', 'The ICD embedding template (clinicalModernbert.icd.embeddingTemplate) must contain {description} or {code}, e.g. "ICD {version} code for {code}: {description}".');
  }
  const unknown = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
  if (unknown.length) throw new EngineError('bad-input', `The ICD embedding template names {${unknown[0]}}; it may use {version}, {system}, {code} and {description}.`);
  return template;
}

/** "ICD 10 code for E11.9: Type 2 diabetes mellitus without complications" */
export function codeText(template: string, r: Pick<CodeRecord, 'system' | 'code' | 'long'>): string {
  return template.replace(/\{(version|system|code|description)\}/g, (_, name: string) =>
    name === 'version' ? VERSION[r.system] : name === 'system' ? SYSTEM_NAMES[r.system] : name === 'code' ? displayCode(r.system, r.code) : r.long,
  );
}
