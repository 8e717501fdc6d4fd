/**
 * Words for the fine-tune notification and messages, from the companion's
 * progress lines and the engine's figures. Pure: no VS Code API, tested in
 * plain Node.
 */
import type { CompanionEvent, EvalEvent, StepEvent } from '../../engine/finetune/companion';
import type { Figures } from '../../engine/train/protocol';

/** the share of the notification's bar that training takes; conversion and scoring take the rest */
export const TRAINING_SHARE = 90;

function duration(s: number): string {
  if (s >= 5400) return `${(s / 3600).toFixed(1)} h`;
  return s >= 90 ? `${Math.round(s / 60)} min` : `${Math.max(1, Math.round(s))} s`;
}

export interface ProgressLine {
  message?: string;
  /** 0..TRAINING_SHARE: how far training is */
  percent?: number;
}

/** What one companion event changes in the notification (undefined: nothing). */
export function describeEvent(e: CompanionEvent, task: 'ner' | 'classify'): ProgressLine | undefined {
  if (e.event === 'step') {
    const s = e as unknown as StepEvent;
    const parts = [`Epoch ${s.epoch}`, `step ${s.step} of ${s.total_steps}`];
    if (typeof s.loss === 'number') parts.push(`loss ${s.loss.toFixed(3)}`);
    if (typeof s.tokens_per_s === 'number') parts.push(`${Math.round(s.tokens_per_s).toLocaleString('en-US')} tokens/s`);
    if (typeof s.eta_s === 'number' && s.step < s.total_steps) parts.push(`about ${duration(s.eta_s)} left`);
    return { message: parts.join(' · '), percent: s.total_steps > 0 ? (TRAINING_SHARE * s.step) / s.total_steps : undefined };
  }
  if (e.event === 'eval') {
    const v = e as unknown as EvalEvent;
    const score = typeof v.f1 === 'number' ? v.f1.toFixed(3) : '-';
    const what = task === 'ner' ? 'entity F1' : 'macro-F1';
    if (v.final) return { message: `${v.split === 'test' ? 'Test' : 'Dev'} ${what} ${score} (companion)` };
    return { message: `Epoch ${v.epoch}: dev ${what} ${score}${v.best ? ' (best so far)' : ''}` };
  }
  if (e.event === 'checkpoint') return { message: `Checkpoint saved (step ${String(e['step'])})` };
  return undefined;
}

/** "entity F1 0.972 (precision 0.98, recall 0.96) on 30 test notes" */
export function headline(f: Figures): string {
  return f.task === 'ner'
    ? `entity F1 ${f.f1.toFixed(3)} (precision ${f.precision.toFixed(2)}, recall ${f.recall.toFixed(2)}) on ${f.documents} test note${f.documents === 1 ? '' : 's'}`
    : `macro-F1 ${f.macro_f1.toFixed(3)}, accuracy ${f.accuracy.toFixed(3)} on ${f.documents} test note${f.documents === 1 ? '' : 's'}`;
}

/** A folder name for the result: model, task and time, e.g. Clinical_ModernBERT-ner-20261129-1932. */
export function defaultOutputName(modelName: string, task: 'ner' | 'classify', now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}`;
  const base = modelName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 60) || 'model';
  return `${base}-${task}-${stamp}`;
}

export interface PythonChoice {
  python?: string;
  /** the user named it: use it or say why not, never another one */
  pythonOnly: boolean;
  /** where it came from, for the log */
  source: 'setting' | 'python-extension' | 'discovery';
}

/**
 * The interpreter to try: the clinicalModernbert.python setting, else the
 * Python extension's active environment (falling back to discovery when it
 * lacks PyTorch), else discovery alone.
 */
export function choosePython(setting: string | undefined, activeEnvironment: string | undefined): PythonChoice {
  if (setting && setting.trim()) return { python: setting.trim(), pythonOnly: true, source: 'setting' };
  if (activeEnvironment && activeEnvironment.trim()) return { python: activeEnvironment.trim(), pythonOnly: false, source: 'python-extension' };
  return { pythonOnly: false, source: 'discovery' };
}
