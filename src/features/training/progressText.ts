/** What the training notification and messages say, from the engine's progress and figures. Free of the VS Code API. */
import type { Progress } from '../../engine/protocol';
import type { Figures, TrainTask } from '../../engine/train/protocol';

export const taskWords = (task: TrainTask) => (task === 'ner' ? 'entities' : 'note classification');

/** One line of progress for the notification. */
export function describeProgress(p: Progress, task: TrainTask): string {
  const t = p.training;
  if (!t) return p.message;
  switch (t.phase) {
    case 'reading':
      return 'Reading the labelled notes';
    case 'features':
      return t.windowsTotal ? `Encoding the notes: ${t.windowsDone ?? 0} of ${t.windowsTotal} windows` : p.message;
    case 'training': {
      const parts = [`Epoch ${t.epoch ?? '?'} of at most ${t.epochs ?? '?'}`];
      if (t.loss !== undefined) parts.push(`loss ${t.loss.toFixed(3)}`);
      if (t.devScore !== undefined) parts.push(`dev ${task === 'ner' ? 'F1' : 'macro F1'} ${t.devScore.toFixed(3)}`);
      if (t.etaSeconds !== undefined) parts.push(t.etaSeconds < 90 ? `about ${Math.ceil(t.etaSeconds)} s left` : `about ${Math.ceil(t.etaSeconds / 60)} min left`);
      return parts.join(' · ');
    }
    case 'testing':
      return 'Scoring the test notes';
    case 'writing':
      return 'Writing the head';
  }
  return p.message;
}

/** The test figures in a few words. */
export function headline(f: Figures): string {
  return f.task === 'ner' ? `test entity F1 ${f.f1.toFixed(3)}` : `test accuracy ${f.accuracy.toFixed(3)}, macro F1 ${f.macro_f1.toFixed(3)}`;
}
