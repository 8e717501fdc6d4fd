/** Small note folders written into a temp dir for a test, removed afterwards. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TempWorkspace {
  root: string;
  notes: string;
  db: string;
  write(rel: string, content: string | Buffer): string;
  cleanup(): void;
}

export function tempWorkspace(): TempWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'cmb-search-'));
  const notes = join(root, 'notes');
  mkdirSync(notes);
  return {
    root,
    notes,
    db: join(root, 'storage', 'index.sqlite'),
    write(rel, content) {
      const p = join(notes, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export const clinicalNotes: Record<string, string> = {
  'cardiology/afib.txt': 'Post-op day 2. New onset atrial fibrillation with rapid ventricular response. Started amiodarone infusion. Telemetry shows rate control.',
  'cardiology/chf.md': 'Congestive heart failure exacerbation. Furosemide 40 mg IV given. Weight down 2 kg. Echo: ejection fraction 30 percent.',
  'ortho/hip.txt': 'Right femur fracture after a fall. Orthopedics consulted; operative fixation planned. Pain controlled with morphine.',
  'ortho/wrist.txt': 'Distal radius broken after fall on outstretched hand. Splint applied. Follow up in clinic.',
  'endo/dm.txt': 'Type 2 diabetes mellitus, HbA1c 9.1. Metformin increased; insulin glargine started at bedtime.',
  'pulm/copd.txt': 'COPD exacerbation with wheeze. Nebulised salbutamol and prednisolone. Oxygen saturation 91 percent on room air.',
};
